"""Registers ``hydra/launcher=gammasweep_joblib`` (Hydra only loads plugins from hydra_plugins)."""

from sweeps.launch.warm_joblib import WarmJoblibLauncher as _Impl


class GammasweepJoblibLauncher(_Impl):
    """The launcher named by ``hydra/launcher=gammasweep_joblib``; see ``sweeps.launch.warm_joblib``."""
