"""Token <-> id mapping, built from the training split and saved as plain text."""
from __future__ import annotations

import collections
import hashlib
import os
from typing import Iterable, Sequence

from tfgan_text.errors import UsageError

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIAL_TOKENS = (PAD, BOS, EOS, UNK)


class Vocabulary:
    """An ordered list of tokens; ids 0..3 are pad, bos, eos and unk."""

    def __init__(self, tokens: Sequence[str]):
        if tuple(tokens[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
            raise ValueError(f"a vocabulary must start with {', '.join(SPECIAL_TOKENS)}")
        if len(set(tokens)) != len(tokens):
            raise ValueError("a vocabulary must not repeat a token")
        self.tokens = list(tokens)
        self._ids = {token: index for index, token in enumerate(self.tokens)}

    pad_id, bos_id, eos_id, unk_id = 0, 1, 2, 3

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], min_count: int = 1,
              max_size: int = 0) -> "Vocabulary":
        """Most frequent tokens first (ties by first appearance), specials at the front."""
        counts = collections.Counter(token for sentence in sentences for token in sentence)
        kept = [token for token, count in counts.most_common() if count >= min_count
                and token not in SPECIAL_TOKENS]
        if max_size:
            kept = kept[: max(0, max_size - len(SPECIAL_TOKENS))]
        return cls(list(SPECIAL_TOKENS) + kept)

    def __len__(self) -> int:
        return len(self.tokens)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.tokens == other.tokens

    def digest(self) -> str:
        """A short hash of the tokens in order: two runs share ids only when their digests match."""
        return hashlib.sha256("\n".join(self.tokens).encode("utf-8")).hexdigest()[:16]

    def encode(self, tokens: Sequence[str]) -> list[int]:
        return [self._ids.get(token, self.unk_id) for token in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens up to (not including) the first eos; pad and bos are dropped."""
        out = []
        for index in ids:
            index = int(index)
            if index == self.eos_id:
                break
            if index not in (self.pad_id, self.bos_id):
                out.append(self.tokens[index])
        return out

    def save(self, path: str) -> None:
        """One token per line, UTF-8; written to a temporary file, then renamed."""
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            for token in self.tokens:
                f.write(_escape(token) + "\n")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str) -> "Vocabulary":
        """The vocabulary `save` wrote to `path`; any other file is a one-line UsageError naming it."""
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError as e:
            raise UsageError(f"{path}: cannot read the vocabulary ({e.strerror or e.__class__.__name__})") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = raw[:e.start].count(b"\n") + 1
            raise UsageError(f"{path}: not a vocabulary (line {line} is not valid UTF-8)") from None
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # as text mode reads lines
        tokens = [_unescape(line) for line in (lines[:-1] if lines[-1] == "" else lines)]
        if tuple(tokens[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
            raise UsageError(f"{path}: not a vocabulary (its first lines must be {', '.join(SPECIAL_TOKENS)})")
        first_line: dict[str, int] = {}
        for number, token in enumerate(tokens, 1):
            if token in first_line:
                raise UsageError(f"{path}: not a vocabulary (line {number} repeats the token {token!r} of line "
                                 f"{first_line[token]})")
            first_line[token] = number
        return cls(tokens)


def _escape(token: str) -> str:
    # Keeps one token per line even for the newline and backslash characters.
    return token.replace("\\", "\\\\").replace("\n", "\\n")


def _unescape(line: str) -> str:
    out, i = [], 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            out.append("\n" if line[i + 1] == "n" else line[i + 1])
            i += 2
        else:
            out.append(line[i])
            i += 1
    return "".join(out)
