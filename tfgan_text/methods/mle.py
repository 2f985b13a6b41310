"""Maximum likelihood (teacher forcing): the baseline every GAN must beat honestly."""
from __future__ import annotations

import tensorflow as tf
from absl import flags

from tfgan_text.methods.base import Method, Phase
from tfgan_text.models.seq2seq import hard_attention_losses
from tfgan_text.models.output_layers import OUTPUT_LAYERS, PROPOSALS
from tfgan_text.sampling import sequence_log_probs, sequence_mask, teacher_forcing_inputs
from tfgan_text.training.optimization import adam, apply_gradients, global_sum, replica_seed

# Output layers of every LSTM generator (methods/base.py `build_generator`; models/output_layers.py).
flags.DEFINE_enum("output_layer", "full", list(OUTPUT_LAYERS), "LSTM generators: how MLE training (and MLE "
                  "pre-training) computes the output softmax; sampling and evaluation always use the exact "
                  "normalised probabilities.")
flags.DEFINE_integer("num_sampled", 1024, "--output_layer=sampled_softmax|nce|negative_sampling|blackout: "
                     "negatives drawn per training step (shared by the batch, with replacement).", lower_bound=1)
flags.DEFINE_enum("sampling_proposal", "unigram", list(PROPOSALS), "Proposal of the negatives: unigram "
                  "(training-data counts, add-one smoothed) or log_uniform (Zipf over ids; assumes ids sorted "
                  "by frequency, as corpus vocabularies are).")
flags.DEFINE_integer("hierarchical_classes", 0, "--output_layer=hierarchical_softmax: classes of the "
                     "frequency-ranked two-level tree; 0: ceil(sqrt(V)).", lower_bound=0)


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


def mle_train_step(generator, optimizer, tokens: tf.Tensor, spec, seed: tf.Tensor, clip_norm: float) -> dict:
    """One teacher-forcing update of `generator` on target `tokens`: the MLE phase of every method that
    has one (a conditional generator comes bound to the batch's sources, `Task.condition`)."""
    variables = generator.trainable_variables
    with tf.GradientTape() as tape:
        loss, mean_nll = mle_loss(generator, tokens, spec, replica_seed(seed))
    grad_norm = apply_gradients(optimizer, tape, loss, variables, clip_norm)
    return {"loss": mean_nll, "grad_norm": grad_norm}


class MLE(Method):
    name = "mle"
    identity_flags = ("output_layer", "hierarchical_classes")  # the hierarchical softmax has other weights

    def __init__(self, task, config, steps_per_epoch):
        super().__init__(task, config, steps_per_epoch)
        self.generator = self.build_generator()
        self.optimizer = adam(config.learning_rate)
        self.optimizer.build(self.generator.trainable_variables)

    def checkpoint_objects(self) -> dict:
        return {"generator": self.generator, "generator_optimizer": self.optimizer}

    def phases(self) -> list[Phase]:
        return [Phase("mle", self.num_steps(self.config.steps, self.config.epochs), self.mle_step)]

    def mle_step(self, rows: tf.Tensor, seed: tf.Tensor) -> dict:
        generator, tokens = self.task.condition(self.generator, rows)
        return mle_train_step(generator, self.optimizer, tokens, self.task.spec, seed, self.config.grad_clip)
