"""The project's errors: bad input (one line, exit code 2) and divergence (exit code 1)."""


class UsageError(Exception):
    """Bad input (a flag, a file, a run directory). The message names the flag or file."""

    exit_code = 2


class TrainingDiverged(RuntimeError):
    """A step produced a non-finite value; nothing after the last good checkpoint was saved."""
