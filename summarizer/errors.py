"""One exception family: the CLI turns each into one line and an exit code."""


class SummarizerError(Exception):
    """A failure the user can act on; its message says what went wrong and what to do."""


class ConfigError(SummarizerError):
    """models.toml is missing, malformed or inconsistent."""


class InputError(SummarizerError):
    """The article given cannot be read or used."""


class ModelError(SummarizerError):
    """A model cannot be found, downloaded or loaded."""
