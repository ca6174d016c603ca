"""The Optuna storage that every worker of a study shares, and how the workers share it.

- ``rdb``: open a storage (one pool per URL and process), ride out a database restart, re-queue
  the trials of dead workers (``StaleTrials``);
- ``lock``: a named lock of the storage (PostgreSQL advisory lock, ``flock`` beside SQLite);
- ``sqlite_wal``: every SQLite connection in write-ahead-log mode;
- ``heartbeat``: heartbeats and owners of trials in flight; failing those of dead workers, and
  those lost while being asked (no owner, no heartbeat);
- ``shared_study``: one worker's side of a shared study (ask under the lock, wait for others while
  their trials show life);
- ``writes``: many writes to one trial in one transaction.
"""
