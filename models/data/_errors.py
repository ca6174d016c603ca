"""The one exception type of the datasets package."""


class DataError(Exception):
    """A dataset could not be loaded: bad name, option, file, checksum or download.

    The message names the bad value or path and says what to do about it.
    """
