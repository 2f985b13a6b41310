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
Under a strategy, rankings need whole sets: the G step takes the first
--rankgan_generator_batch rows of the GLOBAL batch (each replica its share)
and ranks against all of them; a ranker update gathers every replica's
features of its share of the D batch, so that C+, C- are the global batch's.
"""
from __future__ import annotations

import tensorflow as tf

from tfgan_text.config import RankGANConfig
from tfgan_text.errors import UsageError
from tfgan_text.losses.discriminator import REAL
from tfgan_text.losses.ranking import rank_scores, ranker_accuracy, ranker_loss
from tfgan_text.methods.seqgan import SeqGAN
from tfgan_text.replicas import dropout_rows, num_replicas, replica_rows, take_rows
from tfgan_text.optimization import apply_gradients
from tfgan_text.replicas import global_concat, global_sum


class RankGAN(SeqGAN):
    name = "rankgan"
    config_class = RankGANConfig

    def __init__(self, task, config, steps_per_epoch):
        super().__init__(task, config, steps_per_epoch)
        self.generator_batch = min(config.rankgan_generator_batch, config.batch_size)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if self.generator_batch % replicas:
            raise UsageError(f"--rankgan_generator_batch={config.rankgan_generator_batch}: must be a multiple of "
                             f"the {replicas} replicas")

    def reference_set(self, seed: tf.Tensor) -> tf.Tensor:
        """U: --rankgan_reference_size real sentences drawn at random [U, T] (the same on every replica)."""
        indices = tf.random.stateless_uniform([self.config.rankgan_reference_size], seed, 0,
                                              tf.shape(self.real_data)[0], tf.int32)
        return tf.gather(self.real_data, indices)

    def step_scorer(self, real_tokens: tf.Tensor, seed: tf.Tensor):
        """R(s|U, C+) of completed sentences, C+ = this step's real sentences of every replica, U drawn afresh
        (ranker at inference)."""
        gamma = self.config.rankgan_gamma
        comparison = global_concat(self.discriminator.features(real_tokens))
        references = self.discriminator.features(self.reference_set(seed))
        return lambda tokens: rank_scores(self.discriminator.features(tokens), comparison, references, gamma)

    def generator_step(self, real_tokens: tf.Tensor, seed: tf.Tensor) -> dict:
        """SeqGAN's G step on this replica's share of the global batch's first --rankgan_generator_batch rows."""
        share = self.generator_batch // num_replicas()
        batch = tf.cast(global_concat(tf.cast(real_tokens, tf.float32)), real_tokens.dtype)  # token ids: exact
        return super().generator_step(take_rows(batch, replica_rows(share)[0], share), seed)

    def discriminator_update(self, tokens: tf.Tensor, labels: tf.Tensor, seed: tf.Tensor) -> tuple:
        """One Adam step of the ranker on this replica's share of a mixed batch; returns (ranker loss, ranking
        accuracy) before it, over the whole batch.

        The ranking compares every sentence of the batch: each replica computes the features of its share
        and they are gathered (the gradient flows back to each share's replica). Dropout masks are drawn
        per row of [whole batch | references], as one device draws them.
        """
        share, replicas = tf.shape(tokens)[0], num_replicas()
        batch_size = global_sum(share)
        num_references = self.config.rankgan_reference_size
        references = self.reference_set(tf.random.experimental.stateless_fold_in(seed, 1))
        rows = tf.concat([replica_rows(share)[0] + tf.range(share), batch_size + tf.range(num_references)], axis=0)
        is_real = tf.equal(tf.cast(global_concat(tf.cast(labels, tf.float32)), tf.int32), REAL)
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            features = self.discriminator.features(tf.concat([tokens, references], axis=0))  # before dropout
            features = dropout_rows(features, self.discriminator.dropout, seed, rows, batch_size + num_references)
            sentence_features, reference_features = global_concat(features[:share]), features[share:]
            real = tf.boolean_mask(sentence_features, is_real)
            generated = tf.boolean_mask(sentence_features, tf.logical_not(is_real))
            loss = ranker_loss(real, generated, reference_features, self.config.rankgan_gamma)
            scaled = loss / replicas  # every replica holds the whole loss; apply_gradients sums them
        apply_gradients(self.discriminator_optimizer, tape, scaled, variables)
        return loss, ranker_accuracy(real, generated, reference_features, self.config.rankgan_gamma)
