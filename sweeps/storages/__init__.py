"""The Optuna storage that every worker of a study shares, and how the workers share it.

- ``rdb``: open a storage (one pool per URL and process), ride out a database restart, re-queue
  the trials of dead workers (``StaleTrials``);
- ``lock``: a named lock of the storage (PostgreSQL advisory lock, ``flock`` beside SQLite);
- ``sqlite_wal``: every SQLite connection in write-ahead-log mode;
- ``heartbeat``: heartbeats for trials in flight, and failing those of dead workers;
- ``shared_study``: one worker's side of a shared study (ask under the lock, wait for others);
- ``writes``: many writes to one trial in one transaction.
"""
