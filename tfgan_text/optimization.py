"""Gradient application shared by every method, correct under any tf.distribute strategy."""
from __future__ import annotations

import keras
import tensorflow as tf

from tfgan_text.losses.likelihood import mle_loss
from tfgan_text.replicas import replica_seed


def adam(learning_rate: float, beta_1: float = 0.9, beta_2: float = 0.999,
         variables: list | None = None) -> keras.optimizers.Adam:
    """Adam; with `variables`, its slots are built for them now (so a checkpoint holds them from step 0)."""
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2)
    if variables is not None:
        optimizer.build(variables)
    return optimizer


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


def mle_train_step(generator, optimizer, tokens: tf.Tensor, spec, seed: tf.Tensor, clip_norm: float) -> dict:
    """One teacher-forcing update of `generator` on target `tokens`: the MLE phase of every method that
    has one (a conditional generator comes bound to the batch's sources, `Task.condition`)."""
    variables = generator.trainable_variables
    with tf.GradientTape() as tape:
        loss, mean_nll = mle_loss(generator, tokens, spec, replica_seed(seed))
    grad_norm = apply_gradients(optimizer, tape, loss, variables, clip_norm)
    return {"loss": mean_nll, "grad_norm": grad_norm}
