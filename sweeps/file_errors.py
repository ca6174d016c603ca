"""A file the sweep cannot create or write (a name too long, a read-only or vanished folder,
permissions) ends the sweep with one paragraph naming the file and the reason, and exit 2, instead of
a traceback; the batch it stopped is re-queued first (``stages.trials``). A full disk has its own
paragraph (``disk_full``)."""

from __future__ import annotations

import errno

from sweeps.errors import SweepError, chain


class FileTrouble(SweepError):
    """A file of the sweep could not be created or written, explained in one paragraph."""


def caused(e: BaseException | None) -> OSError | None:
    """The ``OSError`` naming a file that ``e`` is, or was raised from or during; else None."""
    return next((x for x in chain(e) if isinstance(x, OSError) and x.filename is not None), None)


def paragraph(e: OSError, output_dir: str) -> str:
    name = errno.errorcode.get(e.errno or 0, "")
    reason = f"{e.strerror or e} ({name})" if name else str(e.strerror or e)
    hint = {
        errno.ENAMETOOLONG: "a file name may have at most 255 bytes (hydra.sweep.subdir, a study or run name)",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "this user may not write there",
        errno.EPERM: "this user may not write there",
        errno.ENOENT: "a folder on the way is missing (deleted while the sweep ran?)",
    }.get(e.errno or 0)
    return (f"Could not write {str(e.filename)!r}: {reason}{'; ' + hint if hint else ''}. Finished trials are "
            "kept; the trials in flight were re-queued. Point output_dir (now "
            f"{output_dir!r}) or hydra.sweep.dir at a folder this user can write, with short names, "
            "then run the same command again.")
