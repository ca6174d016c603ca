"""Which study preset (conf/study/<name>.yaml) produces the data a section needs."""

GAMMA = "gamma_sensitivity"        # γ swept with lr (and ε): curves, maps, tunability, importances
GAMMA_ONE = "gamma_sensitivity"    # γ = 1 under both initial_square_avg conventions
SCHEDULE = "gamma_schedule"        # constant vs rising γ
OPTIMIZERS = "optimizer_comparison"
RIGOROUS = "gamma_rigorous"       # tasks, batch sizes, conventions, Reddi, rotation: side by side
