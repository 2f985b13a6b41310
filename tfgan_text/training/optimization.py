"""Gradient application shared by every method, correct under any tf.distribute strategy."""
from __future__ import annotations

import keras
import tensorflow as tf


def adam(learning_rate: float, beta_1: float = 0.9, beta_2: float = 0.999) -> keras.optimizers.Adam:
    return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2)


def apply_gradients(optimizer: keras.optimizers.Optimizer, tape: tf.GradientTape, loss: tf.Tensor,
                    variables: list, clip_norm: float = 0.0) -> tf.Tensor:
    """Applies d(loss)/d(variables), clipped by the global norm of the whole batch's gradient.

    `loss` must already be this replica's share of the global loss (scaled by the
    global batch). Keras clips each replica's gradient before summing them, which
    is not the global clip: so the sum is taken here, clipped, and divided back
    by the replica count for the optimizer's own summation. Returns the norm.
    """
    grads = tape.gradient(loss, variables)
    grads = [tf.convert_to_tensor(g) if g is not None else tf.zeros_like(v) for g, v in zip(grads, variables)]
    context = tf.distribute.get_replica_context()
    if context is not None and context.num_replicas_in_sync > 1:
        grads = context.all_reduce(tf.distribute.ReduceOp.SUM, grads)
    norm = tf.linalg.global_norm(grads)
    if clip_norm > 0:
        grads, _ = tf.clip_by_global_norm(grads, clip_norm, use_norm=norm)
    if context is not None and context.num_replicas_in_sync > 1:
        grads = [g / context.num_replicas_in_sync for g in grads]
    optimizer.apply(grads, variables)
    return norm


def replica_seed(seed: tf.Tensor) -> tf.Tensor:
    """The step seed every replica must share: randomness is drawn per example (`tfgan_text.replicas`).

    Replicas still draw different samples, because each keeps its own rows of a
    draw over the global batch; folding the replica id in instead would make
    the result depend on the number of replicas. Kept so that callers need not change.
    """
    return seed


def global_sum(value: tf.Tensor) -> tf.Tensor:
    """The sum of `value` over all replicas (a no-op on one device)."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return value
    return context.all_reduce(tf.distribute.ReduceOp.SUM, value)


def global_concat(value: tf.Tensor) -> tf.Tensor:
    """`value` [n, ...] (floats) of every replica concatenated in replica order: the global batch's rows.

    Each replica writes its rows into zeros and the copies are summed (exact: the
    other terms are 0); MirroredStrategy's own all_gather in a replica function
    mismatched its collective keys with the all-reduces around it.
    """
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return value
    replicas = context.num_replicas_in_sync
    rows = tf.shape(value)[0]
    start = tf.cast(context.replica_id_in_sync_group, tf.int32) * rows
    scattered = tf.scatter_nd((start + tf.range(rows))[:, None], value,
                              tf.concat([[rows * replicas], tf.shape(value)[1:]], axis=0))
    return context.all_reduce(tf.distribute.ReduceOp.SUM, scattered)


# --- cross-replica steps: a phase step whose updates sit inside loops or conditionals ---------------
# tf.distribute cannot synchronise replicas (all-reduce, optimizer updates) inside a tf loop or
# tf.cond of a replica function; a step marked `Phase(..., cross_replica=True)` runs in the
# cross-replica context instead and calls `on_replicas` for each synchronised piece.

def on_replicas(fn, *args):
    """Runs the replica function `fn(*args)` on every replica; returns its per-replica results."""
    return tf.distribute.get_strategy().run(fn, args=args)


def replica_mean(values: dict) -> dict:
    """The mean over replicas of each per-replica scalar in `values` (the trainer's own reduction)."""
    strategy = tf.distribute.get_strategy()
    return {name: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None) for name, value in values.items()}


def replica_concat(per_replica: tf.Tensor, total: int | tf.Tensor) -> tf.Tensor:
    """The first `total` rows of the per-replica tensors concatenated in replica order (drops padding)."""
    strategy = tf.distribute.get_strategy()
    if strategy.num_replicas_in_sync == 1:
        return strategy.experimental_local_results(per_replica)[0][:total]
    return strategy.gather(per_replica, axis=0)[:total]
