"""Tokenizers built on tensorflow-text: text lines in, lists of string tokens out.

`word` follows the convention of the published COCO numbers (lower-cased words,
punctuation split off, English clitics such as "n't" and "'s" kept as tokens);
`whitespace` splits on white space only; `char` yields every Unicode character,
spaces included, so that character-level models can write words apart.
"""
from __future__ import annotations

from typing import Sequence

import tensorflow as tf
import tensorflow_text as tf_text

# Clitics first so that "don't" -> "do", "n't" and "man's" -> "man", "'s".
_CLITICS = r"n't\b|'s\b|'re\b|'ve\b|'ll\b|'d\b|'m\b"
_WORD_DELIMITERS = r"\s+|" + _CLITICS + r"|\p{P}|\p{S}"
WORD_KEPT = _CLITICS + r"|\p{P}|\p{S}"


class Tokenizer:
    """Splits lines into tokens and joins tokens back into a line."""

    name = "base"
    joiner = " "

    def tokenize(self, lines: Sequence[str]) -> list[list[str]]:
        if not lines:
            return []
        ragged = self._tokenize_tensor(tf.constant(list(lines), dtype=tf.string))
        return [[token.decode("utf-8") for token in row] for row in ragged.to_list()]

    def detokenize(self, tokens: Sequence[str]) -> str:
        return self.joiner.join(tokens)

    def _tokenize_tensor(self, lines: tf.Tensor) -> tf.RaggedTensor:
        raise NotImplementedError


class WordTokenizer(Tokenizer):
    name = "word"

    def _tokenize_tensor(self, lines: tf.Tensor) -> tf.RaggedTensor:
        lowered = tf_text.case_fold_utf8(lines)
        return tf_text.regex_split(lowered, _WORD_DELIMITERS, WORD_KEPT)


class WhitespaceTokenizer(Tokenizer):
    name = "whitespace"

    def _tokenize_tensor(self, lines: tf.Tensor) -> tf.RaggedTensor:
        return tf_text.WhitespaceTokenizer().tokenize(lines)


class CharTokenizer(Tokenizer):
    name = "char"
    joiner = ""

    def _tokenize_tensor(self, lines: tf.Tensor) -> tf.RaggedTensor:
        return tf.strings.unicode_split(lines, "UTF-8")


TOKENIZERS = {cls.name: cls for cls in (WordTokenizer, WhitespaceTokenizer, CharTokenizer)}


def get_tokenizer(name: str) -> Tokenizer:
    """Returns the tokenizer called `name` (one of TOKENIZERS)."""
    if name not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer {name!r}; choose one of {', '.join(TOKENIZERS)}")
    return TOKENIZERS[name]()
