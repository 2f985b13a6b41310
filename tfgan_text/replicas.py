"""Randomness per example, so that splitting a batch across replicas changes no draw.

Under a tf.distribute strategy with R replicas, every replica receives the
same step seed (`replica_seed` no longer folds the
replica id in). Each random draw is made for the WHOLE global set of rows
from that seed, and a replica keeps only its own rows. Row i's noise is then
a function of (seed, i) alone: replicas draw different samples (they hold
different rows), and R replicas compute exactly what one device computes on
the global batch. The price is R times the noise of one replica, which is
small beside the model (sampling needs one uniform per row and time step).

The contract: replica r holds global rows [r * n, r * n + n) of a set of
`total` rows (default R * n), the order in which tf.distribute splits a
global batch. Nothing here communicates, so these helpers may run inside
loops and conditionals of a replica function.
"""
from __future__ import annotations

import tensorflow as tf


def num_replicas() -> int:
    """Replicas in sync: 1 on the default strategy and in cross-replica or eager code."""
    context = tf.distribute.get_replica_context()
    return 1 if context is None else context.num_replicas_in_sync


def replica_share(total: int) -> int:
    """Rows each replica draws of a set of `total` rows a method makes itself (the last may hold padding)."""
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return -(-total // replicas)


def replica_rows(local_size: int | tf.Tensor, total: int | tf.Tensor | None = None) -> tuple[tf.Tensor, tf.Tensor]:
    """(first global row of this replica, global row count) for `local_size` rows per replica."""
    local_size = tf.convert_to_tensor(local_size, tf.int32)
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return tf.constant(0), local_size if total is None else tf.convert_to_tensor(total, tf.int32)
    start = tf.cast(context.replica_id_in_sync_group, tf.int32) * local_size
    if total is None:
        total = local_size * context.num_replicas_in_sync
    return start, tf.convert_to_tensor(total, tf.int32)


def take_rows(values: tf.Tensor, start: tf.Tensor, local_size: tf.Tensor) -> tf.Tensor:
    """values[start : start + local_size] along axis 0; rows past the end repeat the last row (padding)."""
    last = tf.shape(values)[0] - 1
    return tf.gather(values, tf.minimum(start + tf.range(local_size), last))


def _per_example(draw, shape, seed, total):
    shape = list(shape) if isinstance(shape, (list, tuple)) else tf.unstack(tf.convert_to_tensor(shape, tf.int32))
    seed = tf.cast(seed, tf.int32)
    if num_replicas() == 1 and total is None:
        return draw(shape, seed)
    start, total = replica_rows(shape[0], total)
    return take_rows(draw([total, *shape[1:]], seed), start, tf.convert_to_tensor(shape[0], tf.int32))


def uniform(shape, seed: tf.Tensor, dtype=tf.float32, total: int | tf.Tensor | None = None) -> tf.Tensor:
    """`tf.random.stateless_uniform(shape, seed)` whose row i (axis 0) depends on (seed, global row i) only."""
    return _per_example(lambda s, k: tf.random.stateless_uniform(s, k, dtype=dtype), shape, seed, total)


def normal(shape, seed: tf.Tensor, total: int | tf.Tensor | None = None) -> tf.Tensor:
    """`tf.random.stateless_normal(shape, seed)` whose row i (axis 0) depends on (seed, global row i) only."""
    return _per_example(lambda s, k: tf.random.stateless_normal(s, k), shape, seed, total)


def dropout(x: tf.Tensor, rate: float, seed: tf.Tensor) -> tf.Tensor:
    """`tf.nn.experimental.stateless_dropout(x, rate, seed)` with the mask of each row drawn per example."""
    if num_replicas() == 1:
        return tf.nn.experimental.stateless_dropout(x, rate=rate, seed=seed)
    keep = uniform(tf.shape(x), seed, x.dtype) >= rate  # the same test and scaling as TensorFlow's own
    return tf.where(keep, x * tf.cast(1.0 / (1.0 - rate), x.dtype), tf.zeros([], x.dtype))


def dropout_rows(x: tf.Tensor, rate: float, seed: tf.Tensor, rows: tf.Tensor, total: int | tf.Tensor) -> tf.Tensor:
    """Dropout of x [n, ...] as if its rows were rows `rows` [n] of a [total, ...] tensor dropped out by
    `tf.nn.experimental.stateless_dropout(seed)` on one device.

    For a batch whose rows come from different global sets (RankGAN's ranker: a replica's share of the
    D batch beside the reference sentences every replica holds), which `dropout` cannot place.
    """
    if rate <= 0.0:
        return x
    shape = tf.concat([[tf.convert_to_tensor(total, tf.int32)], tf.shape(x)[1:]], axis=0)
    keep = tf.gather(tf.random.stateless_uniform(shape, tf.cast(seed, tf.int32), dtype=x.dtype), rows) >= rate
    return tf.where(keep, x * tf.cast(1.0 / (1.0 - rate), x.dtype), tf.zeros([], x.dtype))


# --- running and reducing across replicas (moved here from optimization.py) ---------------------------
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
