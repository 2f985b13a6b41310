"""Trains GloVe word vectors on a task's training data and writes them in GloVe's text format.

ScratchGAN uses fixed pre-trained word vectors; no GloVe file exists on these
machines, so this tool makes one from the same corpus, tokenizer and
vocabulary flags the training run uses (so every word matches):

    python -m tfgan_text.glove --train_data=../shared/data/coco_train.txt --tokenizer=word \\
        --vectors_output=runs/word_vectors/coco_glove64.txt --vectors_dim=64

GloVe (Pennington et al. 2014): symmetric co-occurrence counts X_ij within a
window, each pair weighted 1/distance; then weighted least squares
    sum_ij f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2,  f(x) = min(1, (x / x_max)^alpha)
minimised by AdaGrad over shuffled minibatches of the non-zero pairs. The
written vector of a word is w + w~.
"""
from __future__ import annotations

import sys
import types

import numpy as np
import tensorflow as tf
from absl import flags

from tfgan_text.errors import UsageError, parse_command_line

flags.DEFINE_string("vectors_output", "", "GloVe tool: the vectors file to write (GloVe text format).")
flags.DEFINE_integer("vectors_dim", 64, "GloVe tool: vector size.", lower_bound=1)
flags.DEFINE_integer("vectors_window", 10, "GloVe tool: co-occurrence window (tokens on each side).",
                     lower_bound=1)
flags.DEFINE_integer("vectors_epochs", 25, "GloVe tool: passes over the non-zero co-occurrences.", lower_bound=1)
flags.DEFINE_float("vectors_x_max", 100.0, "GloVe tool: count at which a pair's weight reaches 1.", lower_bound=1e-6)
flags.DEFINE_float("vectors_alpha", 0.75, "GloVe tool: exponent of the weighting function.", lower_bound=0.0)
flags.DEFINE_float("vectors_learning_rate", 0.05, "GloVe tool: AdaGrad learning rate.", lower_bound=0.0)
flags.DEFINE_integer("vectors_batch_size", 4096, "GloVe tool: pairs per AdaGrad step.", lower_bound=1)

FLAGS = flags.FLAGS


def cooccurrences(sequences: np.ndarray, window: int, pad_id: int | None = 0,
                  eos_id: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Symmetric co-occurrence counts (rows, cols, counts) of id sequences [N, T], weighted 1/distance.

    Tokens after the end token (padding) are not words and are left out; the end token itself is kept.
    """
    sequences = np.asarray(sequences, np.int64)
    valid = np.ones_like(sequences, bool)
    if eos_id is not None:
        after_eos = np.cumsum(sequences == eos_id, axis=1) - (sequences == eos_id) > 0
        valid &= ~after_eos
    elif pad_id is not None:
        valid &= sequences != pad_id
    vocab_size = int(sequences.max()) + 1
    keys, weights = [], []
    for distance in range(1, min(window, sequences.shape[1] - 1) + 1):
        left, right = sequences[:, :-distance], sequences[:, distance:]
        both = valid[:, :-distance] & valid[:, distance:]
        pairs = left[both] * vocab_size + right[both]
        reverse = right[both] * vocab_size + left[both]
        keys += [pairs, reverse]
        weights += [np.full(len(pairs) * 2, 1.0 / distance)]
    keys = np.concatenate(keys) if keys else np.zeros([0], np.int64)
    unique, inverse = np.unique(keys, return_inverse=True)
    counts = np.bincount(inverse, weights=np.concatenate(weights) if weights else None, minlength=len(unique))
    return unique // vocab_size, unique % vocab_size, counts


def glove_loss(w, w_context, b, b_context, rows, cols, counts, x_max: float, alpha: float) -> tf.Tensor:
    """Sum of f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2 over the given pairs."""
    counts = tf.cast(counts, tf.float32)
    weight = tf.minimum(1.0, tf.pow(counts / x_max, alpha))
    dot = tf.reduce_sum(tf.gather(w, rows) * tf.gather(w_context, cols), axis=1)
    error = dot + tf.gather(b, rows) + tf.gather(b_context, cols) - tf.math.log(counts)
    return tf.reduce_sum(weight * tf.square(error))


def train_glove(rows: np.ndarray, cols: np.ndarray, counts: np.ndarray, vocab_size: int, dim: int, epochs: int,
                seed: int, x_max: float = 100.0, alpha: float = 0.75, learning_rate: float = 0.05,
                batch_size: int = 4096, log=print) -> np.ndarray:
    """Word vectors [vocab_size, dim] = w + w~ after `epochs` AdaGrad passes; logs the mean loss per pass."""
    rng = np.random.default_rng(seed)
    scale = 0.5 / dim
    w, w_context = (tf.Variable(rng.uniform(-scale, scale, (vocab_size, dim)).astype(np.float32)) for _ in range(2))
    b, b_context = (tf.Variable(np.zeros(vocab_size, np.float32)) for _ in range(2))
    variables = [w, w_context, b, b_context]
    # AdaGrad with GloVe's initial squared-gradient sum of 1.
    accumulators = [tf.Variable(tf.ones_like(v)) for v in variables]

    @tf.function
    def step(batch_rows, batch_cols, batch_counts):
        with tf.GradientTape() as tape:
            loss = glove_loss(w, w_context, b, b_context, batch_rows, batch_cols, batch_counts, x_max, alpha)
        for variable, accumulator, grad in zip(variables, accumulators, tape.gradient(loss, variables)):
            grad = tf.convert_to_tensor(grad)
            accumulator.assign_add(tf.square(grad))
            variable.assign_sub(learning_rate * grad / tf.sqrt(accumulator))
        return loss

    for epoch in range(epochs):
        order = rng.permutation(len(counts))
        total = 0.0
        for start in range(0, len(order), batch_size):
            index = order[start:start + batch_size]
            total += float(step(rows[index], cols[index], counts[index].astype(np.float32)))
        log(f"GloVe epoch {epoch + 1}/{epochs}: mean weighted squared error {total / max(1, len(counts)):.4f}")
    return (w + w_context).numpy()


def run(argv: list[str] | None = None) -> int:
    from tfgan_text import main
    from tfgan_text.data.word_vectors import task_words, write_word_vectors

    argv = list(sys.argv if argv is None else argv)
    try:
        parse_command_line(FLAGS, argv)
        config = types.SimpleNamespace(**{name: FLAGS[name].value for name in FLAGS})
        if not config.vectors_output:
            raise UsageError("--vectors_output: required (the vectors file to write)")
        task = main.build_task(config)
        rows, cols, counts = cooccurrences(task.train, config.vectors_window, task.spec.pad_id, task.spec.eos_id)
        print(f"GloVe: {len(counts):,} non-zero co-occurrences of {task.spec.vocab_size:,} words "
              f"(window {config.vectors_window})")
        vectors = train_glove(rows, cols, counts, task.spec.vocab_size, config.vectors_dim, config.vectors_epochs,
                              config.seed, config.vectors_x_max, config.vectors_alpha,
                              config.vectors_learning_rate, config.vectors_batch_size)
        written = write_word_vectors(config.vectors_output, task_words(task), vectors)
        print(f"wrote {written:,} vectors of size {config.vectors_dim} to {config.vectors_output}")
    except UsageError as e:
        print(f"tfgan-text-glove: error: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(run())
