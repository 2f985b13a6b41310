"""SeqGAN (Yu et al. 2017): policy gradient with Monte Carlo search, D as the reward.

Per adversarial G step:
1. sample a batch Y ~ G;
2. reward each prefix Y_1:t with Q(t) = mean of D(real | completion) over
   --rollout_num completions drawn from the roll-out policy; Q(T) = D(Y);
3. REINFORCE: loss = -sum_{b,t} log G(y_t | Y_1:t-1) Q(t) / B (no baseline,
   no discount);
4. roll-out policy <- 0.8 roll-out + 0.2 G (embeddings copied).
The roll-out policy starts as a copy of the pre-trained G. Pre-training, the
D rounds and the schedule are those of `AdversarialMethod`.
"""
from __future__ import annotations

import tensorflow as tf
from absl import flags

from tfgan_text.losses.policy_gradient import reinforce_loss
from tfgan_text.methods.adversarial import AdversarialMethod
from tfgan_text.methods.base import Phase
from tfgan_text.rollout import copy_weights, monte_carlo_rewards, update_rollout_policy
from tfgan_text.sampling import sample, sequence_log_probs, sequence_mask
from tfgan_text.training.optimization import apply_gradients, global_sum

flags.DEFINE_integer("rollout_num", 16, "SeqGAN-family: Monte Carlo completions per prefix.", lower_bound=1)
flags.DEFINE_float("rollout_update_rate", 0.8, "SeqGAN-family: the roll-out policy keeps this share of its "
                   "weights after each G step and takes the rest from G.", lower_bound=0.0, upper_bound=1.0)


class SeqGAN(AdversarialMethod):
    name = "seqgan"

    def __init__(self, task, config, steps_per_epoch):
        super().__init__(task, config, steps_per_epoch)
        self.rollout = self.build_generator()  # its weights are G's from the `init_rollout` phase on

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

    def generator_step(self, real_tokens: tf.Tensor, seed: tf.Tensor) -> dict:
        spec, batch_size = self.task.spec, tf.shape(real_tokens)[0]
        seeds = [tf.random.experimental.stateless_fold_in(seed, i) for i in range(4)]
        tokens = sample(self.generator, spec, batch_size, seeds[0], with_log_probs=False).tokens
        rewards = monte_carlo_rewards(self.rollout, spec, tokens, self.step_scorer(real_tokens, seeds[3]),
                                      self.config.rollout_num, seeds[1])
        mask = sequence_mask(tokens, spec.eos_id)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            log_probs = sequence_log_probs(self.generator, tokens, spec, training=True, seed=seeds[2])
            loss = reinforce_loss(log_probs, rewards, mask=mask,
                                  normalizer=global_sum(tf.cast(batch_size, tf.float32)))
        grad_norm = apply_gradients(self.adversarial_optimizer, tape, loss, variables, self.config.grad_clip)
        update_rollout_policy(self.rollout, self.generator, self.config.rollout_update_rate)
        return {"generator_loss": loss, "generator_grad_norm": grad_norm,
                "reward": tf.reduce_sum(rewards * mask) / tf.reduce_sum(mask),
                "sequence_reward": tf.reduce_mean(rewards[:, -1])}
