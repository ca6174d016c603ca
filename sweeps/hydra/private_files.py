"""A job's config files readable by its owner only: they hold the storage URL and tracking URI.

Hydra writes ``config.yaml``, ``hydra.yaml`` and ``overrides.yaml`` into the job's
``hydra.output_subdir`` (``.hydra``) with the process's umask, just before it calls the
callbacks' ``on_job_start`` (``hydra.core.utils.run_job``). ``PrivateJobFiles`` is that callback,
registered in conf/config.yaml (``hydra.callbacks``): it makes the folder 0700 and every file in
it 0600, before the job's task runs, in a single run and in every job of a sweep (each launcher
runs Hydra's ``run_job`` with the callbacks of the sweep). Between Hydra's write and the callback
(the same process, no task code in between) the files have the umask's mode; a process umask
would close that gap, but would also make every database, report and artifact private. ``private_folder`` does the same for
submitit's folder of pickled jobs, which hold the config too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

FOLDER_MODE, FILE_MODE = 0o700, 0o600


class PrivateJobFiles(Callback):
    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        subdir = config.hydra.output_subdir
        if subdir is not None:
            make_private(Path(config.hydra.runtime.output_dir) / str(subdir))


def make_private(folder: Path) -> None:
    """``folder`` 0700 and the files in it 0600 (nothing to do if it does not exist)."""
    if not folder.is_dir():
        return
    os.chmod(folder, FOLDER_MODE)
    for path in folder.iterdir():
        if path.is_file() and not path.is_symlink():
            os.chmod(path, FILE_MODE)


def private_folder(folder: Path) -> None:
    """``folder`` (made if missing) 0700: what is written inside is out of other users' reach
    from the start, whatever the umask."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, FOLDER_MODE)
