"""Trains GloVe word vectors on a task's training data and writes them in GloVe's text format.

ScratchGAN uses fixed pre-trained word vectors; no GloVe file exists on these
machines, so this tool makes one from the same corpus, tokenizer and
vocabulary flags the training run uses (so every word matches):

    python -m tfgan_text.glove --train_data=../shared/data/coco_train.txt --tokenizer=word \\
        --vectors_output=runs/word_vectors/coco_glove64.txt --vectors_dim=64

The algorithm is in tfgan_text/models/glove.py, imported only when the command runs (so a Ctrl-C while
TensorFlow loads is one line, like any other).
"""
from __future__ import annotations

import sys

from absl import flags

from tfgan_text.cli import config_from_flags, define_config_flags, parse, run_command
from tfgan_text.config import GloveConfig, TaskConfig, TrainingConfig, training_config_classes
from tfgan_text.errors import UsageError

CLI_FLAGS = flags.FlagValues()
# The vectors' own flags, and a training run's (its flagfile works here): the task's are read.
define_config_flags(CLI_FLAGS, [GloveConfig] + training_config_classes())


def main(argv: list[str]) -> None:
    from tfgan_text.data.build import build_task
    from tfgan_text.data.word_vectors import task_words, write_word_vectors
    from tfgan_text.models.glove import cooccurrences, train_glove

    parse(CLI_FLAGS, argv, __doc__)
    c = config_from_flags(CLI_FLAGS, GloveConfig)
    if not c.vectors_output:
        raise UsageError("--vectors_output: required (the vectors file to write)")
    seed = config_from_flags(CLI_FLAGS, TrainingConfig).seed
    task = build_task(config_from_flags(CLI_FLAGS, TaskConfig), seed=seed)
    rows, cols, counts = cooccurrences(task.train, c.vectors_window, task.spec.pad_id, task.spec.eos_id)
    print(f"GloVe: {len(counts):,} non-zero co-occurrences of {task.spec.vocab_size:,} words "
          f"(window {c.vectors_window})")
    vectors = train_glove(rows, cols, counts, task.spec.vocab_size, c.vectors_dim, c.vectors_epochs, seed,
                          c.vectors_x_max, c.vectors_alpha, c.vectors_learning_rate, c.vectors_batch_size)
    written = write_word_vectors(c.vectors_output, task_words(task), vectors)
    print(f"wrote {written:,} vectors of size {c.vectors_dim} to {c.vectors_output}")


def run(argv: list[str] | None = None) -> int:
    return run_command("tfgan-text-glove", main, argv)


if __name__ == "__main__":
    sys.exit(run())
