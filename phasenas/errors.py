"""The one exception family of phasenas, so callers can catch everything we raise on purpose."""


class PhaseNASError(Exception):
    """Base class of every error phasenas raises deliberately (bad input, bad config, missing data)."""


class UsageError(PhaseNASError):
    """The user's input is wrong (bad config value, unknown run id): the CLI exits 2 and says what to fix."""
