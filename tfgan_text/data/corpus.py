"""Reads a UTF-8 text corpus, one sentence per line, and rejects files that are not one."""
from __future__ import annotations

import os

from tfgan_text.errors import UsageError


def read_lines(path: str, flag: str) -> list[str]:
    """The non-blank lines of `path`, stripped. `flag` names the flag that gave the path."""
    return [line.strip() for _, line in read_numbered_lines(path, flag)]


def read_numbered_lines(path: str, flag: str) -> list[tuple[int, str]]:
    """(line number, line without its line break) of the non-blank lines of `path`, not stripped."""
    where = f"--{flag}={path}"
    if not os.path.exists(path):
        raise UsageError(f"{where}: no such file")
    if os.path.isdir(path):
        raise UsageError(f"{where}: is a directory, expected a text file with one sentence per line")
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise UsageError(f"{where}: cannot read it ({e.strerror or e.__class__.__name__})") from None
    if b"\x00" in raw:
        raise UsageError(f"{where}: looks binary (contains NUL bytes), expected UTF-8 text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"{where}: is not valid UTF-8 (byte {e.start}: {raw[e.start:e.start + 1]!r})") from None
    lines = [(number, line) for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1) if line.strip()]
    if not lines:
        raise UsageError(f"{where}: is empty (no non-blank lines)")
    return lines
