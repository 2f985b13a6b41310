"""ScratchGAN (de Masson d'Autume et al. 2019): a language GAN trained from scratch, no MLE at all.

Each trainer step, on a large batch:
1. draw x ~ G (sequences end at eos; everything after it is masked);
2. dense rewards from the per-token recurrent D: r_t = 2 D(x_t | x_<t) - 1;
3. discounted returns R_t = sum_{s >= t} gamma^(s-t) r_s;
4. baseline b <- lambda b + (1 - lambda) mean(R); G loss -sum_t (R_t - b) log G(x_t | x_<t)
   (masked, per generated token), one Adam step (beta1 0.5);
5. one Adam step of D: per-position binary cross-entropy, every prefix of the real batch labelled
   real and every prefix of x generated, plus L2 on all of D's weights.
Rewards come from D before its update on the same batch. Every ingredient the paper
ablates is a flag: --batch_size; --discriminator_l2 / --discriminator_dropout /
--discriminator_layer_norm; --embeddings_file (pre-trained vectors, off when empty);
--position_signal; --reinforce_baseline; --dense_rewards.
"""
from __future__ import annotations

import tensorflow as tf
from absl import logging

from tfgan_text.config import ScratchGANConfig
from tfgan_text.data.word_vectors import read_word_vectors, task_words
from tfgan_text.losses.discriminator import per_token_discriminator_loss
from tfgan_text.losses.policy_gradient import (discounted_returns, discriminator_rewards, moving_average_baseline,
                                               reinforce_loss)
from tfgan_text.methods.base import Method, Phase
from tfgan_text.models.scratchgan import RecurrentDiscriminator, ScratchGANGenerator
from tfgan_text.sampling import sample, sequence_log_probs, sequence_mask
from tfgan_text.optimization import adam, apply_gradients
from tfgan_text.replicas import global_sum, replica_seed


class ScratchGAN(Method):
    name = "scratchgan"
    config_class = ScratchGANConfig
    identity_flags = ("embeddings_file", "discriminator_embedding_dim", "discriminator_hidden_dim",
                      "discriminator_layer_norm", "position_signal")

    def __init__(self, task, config, steps_per_epoch):
        super().__init__(task, config, steps_per_epoch)
        spec = task.spec
        pretrained = None
        if config.embeddings_file:
            pretrained, missing = read_word_vectors(config.embeddings_file, task_words(task), config.seed)
            logging.info("pre-trained vectors: %d of %d words found in %s; %d get a seeded random vector%s",
                         spec.vocab_size - len(missing), spec.vocab_size, config.embeddings_file, len(missing),
                         f" (e.g. {', '.join(missing[:5])})" if missing else "")
            print(f"pre-trained vectors ({pretrained.shape[1]}-d): {spec.vocab_size - len(missing):,} of "
                  f"{spec.vocab_size:,} words found in {config.embeddings_file}; {len(missing):,} missing")
        self.generator = ScratchGANGenerator(spec.vocab_size, config.embedding_dim, config.hidden_dim,
                                             config.num_layers, pretrained).build_variables()
        self.discriminator = RecurrentDiscriminator(
            spec.vocab_size, config.discriminator_embedding_dim, config.discriminator_hidden_dim, spec.max_length,
            pretrained, config.discriminator_dropout, config.discriminator_layer_norm,
            config.position_signal).build_variables()
        self.generator_optimizer = adam(config.learning_rate, config.scratchgan_beta1,
                                        variables=self.generator.trainable_variables)
        self.discriminator_optimizer = adam(config.discriminator_learning_rate, config.scratchgan_beta1,
                                            variables=self.discriminator.trainable_variables)
        self.baseline = tf.Variable(0.0, trainable=False, name="reinforce_baseline",
                                    aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

    def checkpoint_objects(self) -> dict:
        return {"generator": self.generator, "generator_optimizer": self.generator_optimizer,
                "discriminator": self.discriminator, "discriminator_optimizer": self.discriminator_optimizer,
                "baseline": self.baseline}

    def phases(self) -> list[Phase]:
        return [Phase("scratchgan", self.num_steps(self.config.steps, self.config.epochs), self.train_step)]

    def train_step(self, real: tf.Tensor, seed: tf.Tensor) -> dict:
        spec, seed = self.task.spec, replica_seed(seed)
        sample_seed, discriminator_seed = (tf.random.experimental.stateless_fold_in(seed, i) for i in range(2))
        fake = sample(self.generator, spec, tf.shape(real)[0], sample_seed, with_log_probs=False).tokens
        values = self.generator_step(fake)
        values.update(self.discriminator_step(tf.cast(real, tf.int32), fake, discriminator_seed))
        return values

    def generator_step(self, fake: tf.Tensor) -> dict:
        """REINFORCE on dense, discounted D rewards with a moving-average baseline."""
        c, spec = self.config, self.task.spec
        mask = sequence_mask(fake, spec.eos_id)
        rewards = discriminator_rewards(self.discriminator.real_probability(fake), mask, c.dense_rewards)
        returns = discounted_returns(rewards, c.discount, mask)
        num_tokens = global_sum(tf.reduce_sum(mask))
        mean_return = global_sum(tf.reduce_sum(returns * mask)) / num_tokens
        baseline = 0.0
        if c.reinforce_baseline:
            self.baseline.assign(moving_average_baseline(self.baseline, mean_return, c.baseline_decay))
            baseline = tf.identity(self.baseline)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            log_probs = sequence_log_probs(self.generator, fake, spec, training=True)
            loss = reinforce_loss(log_probs, returns, baseline, mask, normalizer=num_tokens)
        grad_norm = apply_gradients(self.generator_optimizer, tape, loss, variables, c.grad_clip)
        return {"generator_loss": loss, "generator_grad_norm": grad_norm,
                "reward": global_sum(tf.reduce_sum(rewards)) / num_tokens, "mean_return": mean_return,
                "baseline": tf.convert_to_tensor(baseline, tf.float32),
                "generated_length": num_tokens / global_sum(tf.cast(tf.shape(fake)[0], tf.float32))}

    def discriminator_step(self, real: tf.Tensor, fake: tf.Tensor, seed: tf.Tensor) -> dict:
        """Per-position BCE: real prefixes 1, generated 0 (each term a mean over its tokens), + L2."""
        spec = self.task.spec
        real_mask, fake_mask = sequence_mask(real, spec.eos_id), sequence_mask(fake, spec.eos_id)
        real_tokens, fake_tokens = global_sum(tf.reduce_sum(real_mask)), global_sum(tf.reduce_sum(fake_mask))
        replicas = tf.distribute.get_replica_context().num_replicas_in_sync
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real, training=True, seed=tf.random.experimental.stateless_fold_in(seed, 0))
            fake_logits = self.discriminator(fake, training=True, seed=tf.random.experimental.stateless_fold_in(seed, 1))
            classification = (per_token_discriminator_loss(real_logits, 1, real_mask, real_tokens)
                              + per_token_discriminator_loss(fake_logits, 0, fake_mask, fake_tokens))
            # The L2 term is the same on every replica: each carries its 1/replicas share.
            loss = classification + self.config.discriminator_l2 * self.discriminator.l2_loss() / replicas
        grad_norm = apply_gradients(self.discriminator_optimizer, tape, loss, variables, self.config.grad_clip)
        real_correct = tf.reduce_sum(tf.cast(real_logits > 0, tf.float32) * real_mask)
        fake_correct = tf.reduce_sum(tf.cast(fake_logits < 0, tf.float32) * fake_mask)
        return {"discriminator_loss": global_sum(classification),
                "discriminator_grad_norm": grad_norm,
                "discriminator_accuracy_real": global_sum(real_correct) / real_tokens,
                "discriminator_accuracy_fake": global_sum(fake_correct) / fake_tokens}
