"""How a batch of jobs runs: one backend per kind of Hydra launcher behind one interface
(``backends``), the warm joblib launcher (``warm_joblib``), submitit jobs waited for one by one
(``submitit``), and how many trials a job trains stacked (``population``)."""
