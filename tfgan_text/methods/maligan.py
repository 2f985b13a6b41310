"""MaliGAN (Che et al. 2017): maximum-likelihood augmented, importance-weighted by D.

An optimal D gives p_data / p_G = D / (1 - D) = r. Per adversarial G step:
sample sequences x_i ~ G, weight each by w_i = r_i / sum_j r_j - 1/B (the
normalised ratio minus the baseline 1/B) and minimise
-sum_i w_i sum_t log G(x_t^i | x_<t^i).

Mixed MLE-Mali training (--maligan_prefix_decrement=K > 0, the paper's
variance reduction): keep the first N tokens of each real sequence, let G
complete it --maligan_completions times, weight the completions as above
within each prefix's group, and train the first N real tokens by MLE. N
starts at T and drops by K every --maligan_decrement_every G steps (default:
one epoch of the training data). Everything else (pre-training, D, the
schedule) is `AdversarialMethod`'s.
"""
from __future__ import annotations

import tensorflow as tf

from tfgan_text.config import MaliGANConfig
from tfgan_text.losses.discriminator import log_density_ratio
from tfgan_text.losses.policy_gradient import maligan_weights, weighted_sequence_loss
from tfgan_text.methods.adversarial import AdversarialMethod
from tfgan_text.replicas import replica_rows, take_rows
from tfgan_text.rollout import complete
from tfgan_text.sampling import sample, sequence_log_probs
from tfgan_text.optimization import apply_gradients
from tfgan_text.replicas import global_concat, global_sum


class MaliGAN(AdversarialMethod):
    name = "maligan"
    config_class = MaliGANConfig

    def generator_step(self, real_tokens: tf.Tensor, seed: tf.Tensor) -> dict:
        if self.config.maligan_prefix_decrement > 0:
            return self.mixed_generator_step(real_tokens, seed)
        spec, batch_size = self.task.spec, tf.shape(real_tokens)[0]
        tokens = sample(self.generator, spec, batch_size, tf.random.experimental.stateless_fold_in(seed, 0),
                        with_log_probs=False).tokens
        # The weights are normalised over the global batch: every replica sees all the ratios.
        all_weights = maligan_weights(global_concat(log_density_ratio(self.discriminator(tokens))))
        weights = take_rows(all_weights, replica_rows(batch_size)[0], batch_size)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            log_probs = sequence_log_probs(self.generator, tokens, spec, training=True,
                                           seed=tf.random.experimental.stateless_fold_in(seed, 1))
            loss = weighted_sequence_loss(log_probs, weights)  # this replica's share of the global sum
        grad_norm = apply_gradients(self.adversarial_optimizer, tape, loss, variables, self.config.grad_clip)
        return {"generator_loss": global_sum(loss), "generator_grad_norm": grad_norm,
                "max_weight": tf.reduce_max(all_weights) + 1.0 / tf.cast(tf.shape(all_weights)[0], tf.float32)}

    def prefix_length(self) -> tf.Tensor:
        """N = max(0, T - K * (G steps so far // period)): the real prefix trained by MLE."""
        c = self.config
        period = c.maligan_decrement_every or self.steps_per_epoch
        periods = tf.cast(self.adversarial_optimizer.iterations, tf.int32) // period
        return tf.maximum(0, self.task.spec.max_length - c.maligan_prefix_decrement * periods)

    def mixed_generator_step(self, real_tokens: tf.Tensor, seed: tf.Tensor) -> dict:
        spec, num = self.task.spec, self.config.maligan_completions
        batch_size = tf.shape(real_tokens)[0]
        length = self.prefix_length()
        completions = complete(self.generator, spec, real_tokens, length, num,
                               tf.random.experimental.stateless_fold_in(seed, 0))
        weights = tf.reshape(maligan_weights(tf.reshape(log_density_ratio(self.discriminator(completions)),
                                                        [batch_size, num])), [-1])
        positions = tf.range(spec.max_length)[None, :]
        prefix_mask = tf.cast(positions < length, tf.float32)
        normalizer = global_sum(tf.cast(batch_size, tf.float32))
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            real_log_probs = sequence_log_probs(self.generator, real_tokens, spec, training=True,
                                                seed=tf.random.experimental.stateless_fold_in(seed, 1))
            mle = -tf.reduce_sum(real_log_probs * prefix_mask) / normalizer
            completion_log_probs = sequence_log_probs(self.generator, completions, spec, training=True,
                                                      seed=tf.random.experimental.stateless_fold_in(seed, 2))
            mali = weighted_sequence_loss(completion_log_probs, weights, 1.0 - prefix_mask) / normalizer
            loss = mle + mali
        grad_norm = apply_gradients(self.adversarial_optimizer, tape, loss, variables, self.config.grad_clip)
        return {"generator_loss": loss, "generator_mle_loss": mle, "generator_mali_loss": mali,
                "generator_grad_norm": grad_norm, "prefix_length": tf.cast(length, tf.float32)}
