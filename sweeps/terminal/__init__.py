"""What a sweep shows in the terminal: the progress bar, the quiet console, the closing table."""

from . import console, progress, summary

__all__ = ["console", "progress", "summary"]
