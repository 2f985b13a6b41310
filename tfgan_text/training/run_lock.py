"""One writer per run directory: `<logdir>/.lock`, held for the whole run.

The lock file is created atomically (O_CREAT | O_EXCL) and holds the writer's pid, host and start
time as JSON; it is removed when the run ends, however it ends short of SIGKILL. A second process
on the same --logdir gets one line naming the holder. A lock left by a process that is no longer
running on this host (its pid is gone, a zombie, or now another process) is taken over, and the log
says so; a lock from another host cannot be checked from here, so its message says how to remove it.

Taking the lock is also the first write into --logdir, so a --logdir that is a file, or on a
read-only file system, or not writable, is reported here (one line naming the path) before training.
Only the chief of a multi-worker run takes it: the other workers write nothing into --logdir.
"""
from __future__ import annotations

import json
import os
import socket
import time
import uuid

from tfgan_text.errors import UsageError

LOCK_NAME = ".lock"
_held: set[str] = set()  # lock files this process holds (a lock naming our own pid may be a stale one)


class RunLock:
    """The lock of one run directory; `release()` (or leaving the `with` block) removes it, and any
    directory that taking it created if nothing else was written there."""

    def __init__(self, logdir: str, path: str, token: str, created: list[str]):
        self.logdir, self.path, self.token, self.created = logdir, path, token, created

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def release(self) -> None:
        if self.path in _held:
            _held.discard(self.path)
            holder = _read(self.path)
            if holder is not None and holder.get("token") == self.token:
                _remove(self.path)
        _remove_created(self.created)  # only what the run left empty


def acquire(logdir: str, flag: str = "--logdir", create: bool = True, log=print) -> RunLock:
    """Locks `logdir` for this process (creating it when `create`); a UsageError naming the path if it
    cannot be written or another live process holds it."""
    where = f"{flag}={logdir}"
    if os.path.exists(logdir) and not os.path.isdir(logdir):
        raise UsageError(f"{where}: is a file, not a directory")
    created = []
    if not os.path.isdir(logdir):
        if not create:
            raise UsageError(f"{where}: no such directory")
        created = _missing_parents(logdir)
        try:
            os.makedirs(logdir)
        except FileExistsError:
            created = []  # made meanwhile by another process: the lock below decides
        except OSError as e:
            raise UsageError(f"{where}: cannot create {_failed_path(e, logdir)} ({_reason(e)})") from None
    path = os.path.join(logdir, LOCK_NAME)
    token = uuid.uuid4().hex
    try:
        _create(path, token, where, log)
    except BaseException:
        _remove_created(created)
        raise
    _held.add(path)
    return RunLock(logdir, path, token, created)


def _create(path: str, token: str, where: str, log) -> None:
    content = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "process_start": _process_start(),
                          "started": time.strftime("%Y-%m-%d %H:%M:%S"), "token": token})
    for _ in range(5):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            _take_over_if_stale(path, where, log)
            continue
        except OSError as e:
            raise UsageError(f"{where}: cannot write in it ({_reason(e)})") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(content + "\n")
        except OSError as e:  # e.g. a full disk: the lock would be unreadable
            _remove(path)
            raise UsageError(f"{where}: cannot write {path} ({_reason(e)})") from None
        return
    raise UsageError(f"{where}: could not take {path} (other processes keep taking it)")


def check_writable(directory: str, where: str) -> None:
    """A UsageError naming `directory` unless a file can be created in it (it exists)."""
    probe = os.path.join(directory, f".write-test-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as e:
        raise UsageError(f"{where}: cannot write in {directory} ({_reason(e)})") from None
    os.close(fd)
    _remove(probe)


def _take_over_if_stale(path: str, where: str, log) -> None:
    """Removes the lock at `path` if its holder is no longer running on this host; else a UsageError."""
    holder = _read(path)
    if holder is None:
        if not os.path.exists(path):
            return  # released meanwhile
        raise UsageError(f"{where}: {path} is unreadable; if no run uses this directory, remove it")
    pid, host = holder.get("pid"), holder.get("host")
    since = f" since {holder['started']}" if holder.get("started") else ""
    if host != socket.gethostname():
        raise UsageError(f"{where}: in use by pid {pid} on host {host}{since}; if that run has ended, remove {path}")
    if _running(pid, holder.get("process_start"), path):
        raise UsageError(f"{where}: in use by pid {pid} on host {host}{since}; wait for it to end or choose "
                         "another --logdir")
    # Move it aside, then check that what moved is the stale lock read above (not one just taken).
    aside = f"{path}.stale-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return  # another process took it over first
    except OSError as e:
        raise UsageError(f"{where}: cannot replace the stale {path} ({_reason(e)})") from None
    if _read(aside) != holder:  # a live lock: put it back and report its holder on the next try
        try:
            os.link(aside, path)
        except OSError:
            pass
        _remove(aside)
        return
    _remove(aside)
    log(f"took over the stale lock {path} of pid {pid} on host {host}{since} (that process is no longer running)")


def _running(pid, process_start, path: str) -> bool:
    """Whether `pid` is a live process on this host and the same one that wrote the lock."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    if pid == os.getpid():
        return path in _held  # our pid, not our lock: left by an earlier process that had this pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's live process
    stat = _proc_stat(pid)
    if stat is None:
        return True
    state, start = stat
    if state in ("Z", "X"):
        return False  # exited, not yet reaped
    return process_start is None or start is None or start == process_start  # else: the pid was reused


def _proc_stat(pid: int) -> tuple[str, int | None] | None:
    """(state, start time in clock ticks since boot) of `pid` from /proc, or None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[0], int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _process_start() -> int | None:
    stat = _proc_stat(os.getpid())
    return stat[1] if stat else None


def _read(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            holder = json.load(f)
        return holder if isinstance(holder, dict) else None
    except (OSError, ValueError):
        return None


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _missing_parents(directory: str) -> list[str]:
    """`directory` and its ancestors that do not exist yet, outermost first."""
    missing = []
    path = os.path.abspath(directory)
    while path and not os.path.exists(path) and path != os.path.dirname(path):
        missing.append(path)
        path = os.path.dirname(path)
    return list(reversed(missing))


def _remove_created(created: list[str]) -> None:
    """Removes the directories in `created` (outermost first) from the deepest, while they are empty."""
    for directory in reversed(created):
        try:
            os.rmdir(directory)
        except OSError:
            break


def _failed_path(error: OSError, default: str) -> str:
    return error.filename if isinstance(error.filename, str) else default


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__
