"""The maximum-likelihood (teacher-forcing) loss of any generator, with its output layer's estimate."""
from __future__ import annotations

import tensorflow as tf

from tfgan_text.models.seq2seq import hard_attention_losses
from tfgan_text.replicas import global_sum
from tfgan_text.sampling import sequence_log_probs, sequence_mask, teacher_forcing_inputs


def mle_loss(generator, tokens: tf.Tensor, spec, seed: tf.Tensor, training: bool = True) -> tuple:
    """This replica's share of the global per-token training loss, and its own mean.

    The full softmax's is the exact cross-entropy; a generator built with another
    --output_layer (`generator.output_loss`) is trained on that layer's estimate.
    """
    output_loss = getattr(generator, "output_loss", None)
    if getattr(generator, "hard_attention", False):  # its position choice needs its own (REINFORCE) term
        mask = sequence_mask(tokens, spec.eos_id)
        surrogate, nll = hard_attention_losses(generator, tokens, teacher_forcing_inputs(tokens, spec.bos_id), mask,
                                               seed)
        tokens_here = tf.reduce_sum(mask)
        return tf.reduce_sum(surrogate) / global_sum(tokens_here), tf.reduce_sum(nll) / tokens_here
    if output_loss is None:
        nll_sum = -tf.reduce_sum(sequence_log_probs(generator, tokens, spec, training=training, seed=seed))
    else:
        hidden = generator.hidden_states(teacher_forcing_inputs(tokens, spec.bos_id), training=training, seed=seed)
        per_token = output_loss(generator.output_layer, hidden, tokens, seed)
        nll_sum = tf.reduce_sum(per_token * sequence_mask(tokens, spec.eos_id))
    tokens_here = tf.reduce_sum(sequence_mask(tokens, spec.eos_id))
    return nll_sum / global_sum(tokens_here), nll_sum / tokens_here
