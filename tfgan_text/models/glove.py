"""GloVe word vectors (Pennington et al. 2014), trained by `python -m tfgan_text.glove`: symmetric co-occurrence counts X_ij within a
window, each pair weighted 1/distance; then weighted least squares
    sum_ij f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2,  f(x) = min(1, (x / x_max)^alpha)
minimised by AdaGrad over shuffled minibatches of the non-zero pairs. The
written vector of a word is w + w~.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf


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
