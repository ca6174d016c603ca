"""The one exception type of the models package."""


class ModelError(ValueError):
    """A bad model name, option, or input; the message names the value and what is allowed."""
