"""SeqGAN (Yu et al. 2017): policy gradient with Monte Carlo search, D as the reward.

Per adversarial G step:
1. sample a batch Y ~ G (on a conditional task: G's answers to the batch's sources);
2. reward each prefix Y_1:t with Q(t) = mean of D(real | completion) over
   --rollout_num completions drawn from the roll-out policy; Q(T) = D(Y).
   With --prefix_rewards=discriminator, Q(t) = D(real | Y_1:t) of a D trained
   on random prefixes instead (no roll-outs; Li et al. 2017);
3. REINFORCE: loss = -sum_{b,t} log G(y_t | Y_1:t-1) Q(t) / B (no baseline,
   no discount);
4. roll-out policy <- 0.8 roll-out + 0.2 G (embeddings copied);
5. --teacher_forcing_steps MLE updates on the real batch (Li et al.'s
   teacher-forcing interleave: it keeps G anchored to real targets).
The roll-out policy starts as a copy of the pre-trained G. Pre-training, the
D rounds and the schedule are those of `AdversarialMethod`.
"""
from __future__ import annotations

import tensorflow as tf

from tfgan_text.config import SeqGANConfig
from tfgan_text.errors import UsageError
from tfgan_text.losses.policy_gradient import reinforce_loss
from tfgan_text.methods.adversarial import AdversarialMethod
from tfgan_text.methods.base import Phase
from tfgan_text.optimization import mle_train_step
from tfgan_text.rollout import (copy_weights, monte_carlo_rewards, prefix_rewards, random_prefixes,
                                update_rollout_policy)
from tfgan_text.sampling import sample, sequence_log_probs, sequence_mask
from tfgan_text.optimization import apply_gradients
from tfgan_text.replicas import global_sum


class SeqGAN(AdversarialMethod):
    name = "seqgan"
    config_class = SeqGANConfig

    def __init__(self, task, config, steps_per_epoch):
        super().__init__(task, config, steps_per_epoch)
        if config.prefix_rewards == "discriminator" and type(self) is not SeqGAN:
            raise UsageError("--prefix_rewards=discriminator: only --method=seqgan trains a prefix-scoring D")
        self.rollout = self.build_generator()  # its weights are G's from the `init_rollout` phase on

    @classmethod
    def step_tensor_bytes(cls, config, spec) -> dict[str, int]:
        """Adds one prefix's roll-outs: B x --rollout_num completions, their step logits and D's features."""
        features = config.discriminator_embedding_dim + sum(config.discriminator_num_filters)
        completions = config.batch_size * config.rollout_num
        return {**super().step_tensor_bytes(config, spec),
                "rollout_num": 2 * completions * (spec.vocab_size + spec.max_length * features) * 4}

    def checkpoint_objects(self) -> dict:
        return {**super().checkpoint_objects(), "rollout": self.rollout}

    def setup_phases(self) -> list[Phase]:
        return [Phase("init_rollout", 1, self.init_rollout_step)]

    def init_rollout_step(self, real_tokens: tf.Tensor, seed: tf.Tensor) -> dict:
        """The roll-out policy starts as a copy of the pre-trained generator."""
        copy_weights(self.rollout, self.generator)
        return {}

    def reward(self, tokens: tf.Tensor) -> tf.Tensor:
        """The score a completed sequence earns: D(real | tokens) [M]."""
        return self.discriminator.real_probability(tokens)

    def step_scorer(self, real_tokens: tf.Tensor, seed: tf.Tensor):
        """The scorer of one G step's roll-outs (SeqGAN: `reward`; RankGAN ranks against `real_tokens`)."""
        return self.reward

    def discriminator_update(self, tokens: tf.Tensor, labels: tf.Tensor, seed: tf.Tensor) -> tuple:
        if self.config.prefix_rewards == "discriminator":  # D learns to score prefixes of both kinds
            _, targets = self.task.condition(self.generator, tokens)
            cut = random_prefixes(self.task.spec, targets, tf.random.experimental.stateless_fold_in(seed, 7))
            tokens = self.task.with_targets(tokens, cut)
        return super().discriminator_update(tokens, labels, seed)

    def generator_step(self, real_rows: tf.Tensor, seed: tf.Tensor) -> dict:
        spec, batch_size = self.task.spec, tf.shape(real_rows)[0]
        seeds = [tf.random.experimental.stateless_fold_in(seed, i) for i in range(5)]
        generator, real_targets = self.task.condition(self.generator, real_rows)
        rollout, _ = self.task.condition(self.rollout, real_rows)
        scorer = self.task.target_scorer(self.step_scorer(real_rows, seeds[3]), real_rows)
        tokens = sample(generator, spec, batch_size, seeds[0], with_log_probs=False).tokens
        if self.config.prefix_rewards == "discriminator":
            rewards = prefix_rewards(spec, tokens, scorer)
        else:
            rewards = monte_carlo_rewards(rollout, spec, tokens, scorer, self.config.rollout_num, seeds[1])
        mask = sequence_mask(tokens, spec.eos_id)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            log_probs = sequence_log_probs(generator, tokens, spec, training=True, seed=seeds[2])
            loss = reinforce_loss(log_probs, rewards, mask=mask,
                                  normalizer=global_sum(tf.cast(batch_size, tf.float32)))
        grad_norm = apply_gradients(self.adversarial_optimizer, tape, loss, variables, self.config.grad_clip)
        update_rollout_policy(self.rollout, self.generator, self.config.rollout_update_rate)
        values = {"generator_loss": loss, "generator_grad_norm": grad_norm,
                  "reward": tf.reduce_sum(rewards * mask) / tf.reduce_sum(mask),
                  "sequence_reward": tf.reduce_mean(rewards[:, -1])}
        for i in range(self.config.teacher_forcing_steps):
            values["teacher_forcing_loss"] = mle_train_step(
                generator, self.generator_optimizer, real_targets, spec,
                tf.random.experimental.stateless_fold_in(seeds[4], i), self.config.grad_clip)["loss"]
        return values
