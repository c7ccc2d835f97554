"""The exception the tools turn into one ``error: ...`` line (exit code 2)."""


class UsageError(Exception):
    """A user-fixable problem with the command line, config or data; the
    message says what is wrong and what to change."""
