"""Errors raised when a sweep directory cannot be analysed."""


class SweepError(ValueError):
    """A sweep directory or a request about it is invalid.

    The message names the offending file (or option) and says what was
    expected, so that the user can fix the input without reading the code.
    """
