"""RankGAN (Lin et al. 2017): a ranker in place of SeqGAN's binary discriminator.

The ranker is SeqGAN's CNN used as a feature extractor y = F(s). A sentence is
scored by how it ranks among a comparison set, relative to a reference set U of
--rankgan_reference_size real sentences (losses/ranking.py):
    R(s|U, C) = mean_{u in U} softmax over {s} + C of gamma cos(y_s, y_u).
- Ranker rounds (SeqGAN's D rounds, `AdversarialMethod.discriminator_rounds`):
  each mixed batch is split into its real and generated sentences and the
  ranker minimises -E_real log R(s|U, C-) + E_gen log R(s|U, C+).
- G step (SeqGAN's, `SeqGAN.generator_step`): --rankgan_generator_batch
  samples; the Monte Carlo roll-outs (delayed roll-out policy) are scored by
  R(s|U, C+) with C+ the step's real batch; REINFORCE on those expected rank scores.
"""
from __future__ import annotations

import tensorflow as tf
from absl import flags

from tfgan_text.losses.discriminator import REAL
from tfgan_text.losses.ranking import ranker_accuracy, ranker_loss, rank_scores
from tfgan_text.methods.seqgan import SeqGAN
from tfgan_text.replicas import num_replicas
from tfgan_text.training.optimization import apply_gradients

flags.DEFINE_integer("rankgan_reference_size", 16, "RankGAN: |U|, real reference sentences per ranking.",
                     lower_bound=1)
flags.DEFINE_float("rankgan_gamma", 1.0, "RankGAN: gamma, the inverse temperature of the ranking softmax.",
                   lower_bound=0.0)
flags.DEFINE_integer("rankgan_generator_batch", 32, "RankGAN: sentences sampled per adversarial G step (at most "
                     "--batch_size; the step's real batch is their comparison set C+).", lower_bound=1)


class RankGAN(SeqGAN):
    name = "rankgan"

    def reference_set(self, seed: tf.Tensor) -> tf.Tensor:
        """U: --rankgan_reference_size real sentences drawn at random [U, T]."""
        indices = tf.random.stateless_uniform([self.config.rankgan_reference_size], seed, 0,
                                              tf.shape(self.real_data)[0], tf.int32)
        return tf.gather(self.real_data, indices)

    def step_scorer(self, real_tokens: tf.Tensor, seed: tf.Tensor):
        """R(s|U, C+) of completed sentences, C+ = this step's real batch, U drawn afresh (ranker at inference)."""
        gamma = self.config.rankgan_gamma
        comparison = self.discriminator.features(real_tokens)
        references = self.discriminator.features(self.reference_set(seed))
        return lambda tokens: rank_scores(self.discriminator.features(tokens), comparison, references, gamma)

    def generator_step(self, real_tokens: tf.Tensor, seed: tf.Tensor) -> dict:
        """SeqGAN's G step on this replica's share of --rankgan_generator_batch samples."""
        share = max(1, self.config.rankgan_generator_batch // num_replicas())
        return super().generator_step(real_tokens[:share], seed)

    def discriminator_update(self, tokens: tf.Tensor, labels: tf.Tensor, seed: tf.Tensor) -> tuple:
        """One Adam step of the ranker on a mixed batch; returns (ranker loss, ranking accuracy) before it."""
        is_real = tf.equal(tf.cast(labels, tf.int32), REAL)
        references = self.reference_set(tf.random.experimental.stateless_fold_in(seed, 1))
        batch_size = tf.shape(tokens)[0]
        replicas = tf.distribute.get_replica_context().num_replicas_in_sync
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            features = self.discriminator.features(tf.concat([tokens, references], axis=0), training=True, seed=seed)
            sentence_features, reference_features = features[:batch_size], features[batch_size:]
            real = tf.boolean_mask(sentence_features, is_real)
            generated = tf.boolean_mask(sentence_features, tf.logical_not(is_real))
            loss = ranker_loss(real, generated, reference_features, self.config.rankgan_gamma)
            scaled = loss / replicas
        apply_gradients(self.discriminator_optimizer, tape, scaled, variables)
        return loss, ranker_accuracy(real, generated, reference_features, self.config.rankgan_gamma)
