"""What runs inside a job: one trial (``task``) or K trials stacked (``population_task``), each a
``member`` with its MLflow run, linked to its Optuna trial (``trial_link``), built from the job's
config (``builders``)."""
