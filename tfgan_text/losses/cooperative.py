"""CoT's generator objective (Lu et al. 2019): the exact per-step KL(G || M), as a pure function."""
from __future__ import annotations

import tensorflow as tf

from tfgan_text.sampling import sequence_mask, token_distribution


def cooperative_kl(generator_logits: tf.Tensor, mediator_logits: tf.Tensor, tokens: tf.Tensor, spec) -> tf.Tensor:
    """sum over real positions of KL(G(.|s_t) || M(.|s_t)) over the whole vocabulary; M is a constant."""
    g = token_distribution(generator_logits, spec)
    m = token_distribution(tf.stop_gradient(mediator_logits), spec)
    return tf.reduce_sum(g.kl_divergence(m) * sequence_mask(tokens, spec.eos_id))
