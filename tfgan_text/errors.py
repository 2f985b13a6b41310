"""The project's errors: bad input (one line, exit code 2) and faults during training (exit code 1)."""


class UsageError(Exception):
    """Bad input (a flag, a file, a run directory). The message names the flag or file."""

    exit_code = 2


class TrainingFailed(RuntimeError):
    """A fault during training (one line, exit code 1): nothing after the last good checkpoint was saved,
    and that checkpoint stays usable."""

    exit_code = 1


class TrainingDiverged(TrainingFailed):
    """A step produced a non-finite value; nothing after the last good checkpoint was saved."""


class CheckpointSaveFailed(TrainingFailed):
    """Writing a checkpoint failed (a full disk, a lost mount); its partial files were removed."""


class Interrupted(KeyboardInterrupt):
    """A stop by a signal (SIGTERM turned into the same clean exit as Ctrl-C: a KeyboardInterrupt, so no
    `except Exception` swallows it); `signum` is the signal, `message` what was saved and how to go on."""

    def __init__(self, signum: int, message: str = ""):
        super().__init__(message or signum)
        self.signum, self.message = signum, message
