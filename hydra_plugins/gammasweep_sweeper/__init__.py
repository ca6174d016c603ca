"""Registers gammasweep's Optuna sweeper with Hydra (Hydra only loads plugins from hydra_plugins)."""

from sweeps.hydra import sweeper as _impl


class GammasweepSweeper(_impl.OptunaSweeper):
    """The sweeper named by ``conf/hydra/sweeper/gammasweep.yaml``; see ``sweeps.hydra.sweeper``."""
