"""LeakGAN (Guo et al. 2018): a hierarchical generator guided by the discriminator's leaked features.

G is `models.leakgan_generator.LeakGANGenerator` (MANAGER / WORKER, goals in D's feature space,
the current D's features of the prefix read at every step); D is SeqGAN's CNN. Schedule:
    pretrain                --pretrain_epochs of supervised G steps on real data (WORKER by maximum
                            likelihood, MANAGER toward the real feature directions f_{t+c} - f_t with
                            Q = 1), split into --leakgan_pretrain_cycles cycles, each opened by
                            --leakgan_pretrain_discriminator_rounds D rounds (the features must mean something)
    pretrain_discriminator  --discriminator_pretrain_rounds D rounds
    adversarial             --adversarial_steps x (G step, --discriminator_rounds D rounds), and one
                            supervised epoch of G every --leakgan_mle_every adversarial steps
G step: sample a batch at --leakgan_temperature; Q(t) = mean D(real) of --rollout_num completions of
each prefix by G itself (`rollout.monte_carlo_rewards`), rescaled per time step by rank
(sigmoid(delta (0.5 - rank / B)); under a strategy, ranks over the global batch); MANAGER loss
-Q d_cos(f_{t+c} - f_t, g_t); WORKER REINFORCE with the intrinsic reward (losses/leakgan.py). MANAGER and
WORKER have their own Adam optimizers, as in the authors' code. Evaluation also reports NLL-oracle at
--leakgan_eval_temperature (the authors' logits x 1.5).
"""
from __future__ import annotations

import tensorflow as tf

from tfgan_text.config import LeakGANConfig
from tfgan_text.errors import UsageError
from tfgan_text.losses.leakgan import intrinsic_rewards, manager_loss, rescaled_activation
from tfgan_text.losses.policy_gradient import reinforce_loss
from tfgan_text.methods.adversarial import AdversarialMethod
from tfgan_text.methods.base import Phase
from tfgan_text.models.leakgan_generator import LeakGANGenerator
from tfgan_text.replicas import replica_rows, take_rows
from tfgan_text.rollout import monte_carlo_rewards
from tfgan_text.sampling import sample, sequence_mask, teacher_forcing_inputs, token_distribution, token_log_prob
from tfgan_text.metrics.evaluators import Evaluator
from tfgan_text.optimization import adam, apply_gradients
from tfgan_text.replicas import global_concat, global_sum, on_replicas, replica_mean


class LeakGANEvaluator(Evaluator):
    """The trainer's evaluator, plus NLL-oracle of samples at the authors' evaluation temperature."""

    def __init__(self, task, generator, num_samples: int, temperature: float, eval_temperature: float):
        super().__init__(task, generator, num_samples, temperature)
        self.eval_temperature = eval_temperature

    def __call__(self, seed: tf.Tensor) -> tuple[dict[str, float], list[str]]:
        metrics, texts = super().__call__(seed)
        if self.oracle_nll is not None:
            samples = self.sampler(self.num_samples, tf.random.experimental.stateless_fold_in(seed, 1),
                                   temperature=self.eval_temperature)
            metrics["nll_oracle_eval_temperature"] = self.oracle_nll(samples.tokens)
        return metrics, texts

    def describe(self) -> dict[str, str]:
        return {**super().describe(), "nll_oracle_eval_temperature":
                f"oracle NLL of {self.num_samples:,} samples at --leakgan_eval_temperature {self.eval_temperature:g} "
                f"(logits x {1.0 / self.eval_temperature:g})"}


class LeakGAN(AdversarialMethod):
    name = "leakgan"
    config_class = LeakGANConfig
    identity_flags = AdversarialMethod.identity_flags + ("leakgan_goal_size", "leakgan_step_size")

    def __init__(self, task, config, steps_per_epoch):
        if config.pretrained_generator:
            raise UsageError(f"--pretrained_generator={config.pretrained_generator}: LeakGAN's hierarchical "
                             "generator cannot start from a plain LSTM; it pre-trains its own (--pretrain_epochs)")
        super().__init__(task, config, steps_per_epoch)
        self.generator.attach(self.discriminator)  # the leaked features are always the current D's
        self.step_size, self.temperature = config.leakgan_step_size, config.leakgan_temperature
        generator = self.generator
        # WORKER / MANAGER optimizers, for supervised (pre-training, interleaved) and adversarial steps.
        self.generator_optimizer, self.manager_optimizer = adam(config.learning_rate), adam(config.learning_rate)
        adversarial_rate = config.adversarial_learning_rate or config.learning_rate  # as every adversarial method
        self.adversarial_optimizer = adam(adversarial_rate)
        self.adversarial_manager_optimizer = adam(adversarial_rate)
        for optimizer, variables in ((self.generator_optimizer, generator.worker_variables),
                                     (self.manager_optimizer, generator.manager_variables),
                                     (self.adversarial_optimizer, generator.worker_variables),
                                     (self.adversarial_manager_optimizer, generator.manager_variables)):
            optimizer.build(variables)

    def build_generator(self) -> LeakGANGenerator:
        """The hierarchical G; its weights are created by `attach` once D exists."""
        c, spec = self.config, self.task.spec
        return LeakGANGenerator(spec.vocab_size, spec.max_length, spec.pad_id, c.embedding_dim, c.hidden_dim,
                                c.leakgan_goal_size, c.leakgan_step_size, c.init_stddev)

    def evaluator(self, num_samples: int, temperature: float):
        return LeakGANEvaluator(self.task, self.generator, num_samples, temperature,
                                self.config.leakgan_eval_temperature)

    def checkpoint_objects(self) -> dict:
        return {**super().checkpoint_objects(), "manager_optimizer": self.manager_optimizer,
                "adversarial_manager_optimizer": self.adversarial_manager_optimizer}

    def phases(self) -> list[Phase]:
        c = self.config
        return [Phase("pretrain", c.pretrain_epochs * self.steps_per_epoch, self.pretrain_step, cross_replica=True),
                Phase("pretrain_discriminator", c.discriminator_pretrain_rounds, self.discriminator_pretrain_step,
                      cross_replica=True),
                Phase("adversarial", c.adversarial_steps, self.adversarial_step, cross_replica=True)]

    # --- supervised G steps -----------------------------------------------------------------------
    def manager_worker_update(self, tokens: tf.Tensor, q: tf.Tensor | None, worker_loss, worker_optimizer,
                              manager_optimizer) -> dict:
        """One update of WORKER and MANAGER on `tokens`, G's goals unrolled along their leaked D features.

        WORKER minimises `worker_loss(log_probs, goals, features, mask, num_tokens) -> (loss, extras)`;
        MANAGER the cosine loss to the feature differences weighted by `q` (None: 1, the supervised
        direction). Returns the losses, norms, `log_probs`, `mask` and the worker's `extras`.
        """
        spec, generator = self.task.spec, self.generator
        tokens = tf.cast(tokens, tf.int32)
        features = generator.prefix_features(tokens)
        mask = sequence_mask(tokens, spec.eos_id)
        num_tokens = global_sum(tf.reduce_sum(mask))
        with tf.GradientTape(persistent=True) as tape:
            logits, goals = generator.unroll(teacher_forcing_inputs(tokens, spec.bos_id), features)
            log_probs = token_log_prob(token_distribution(logits, spec, self.temperature), tokens) * mask
            worker, extras = worker_loss(log_probs, goals, features, mask, num_tokens)
            manager = manager_loss(goals, features, tf.ones_like(mask) if q is None else q, self.step_size, mask,
                                   num_tokens)
        worker_norm = apply_gradients(worker_optimizer, tape, worker, generator.worker_variables,
                                      self.config.grad_clip)
        manager_norm = apply_gradients(manager_optimizer, tape, manager, generator.manager_variables,
                                       self.config.grad_clip)
        return {"worker": worker, "manager": manager, "worker_norm": worker_norm, "manager_norm": manager_norm,
                "log_probs": log_probs, "mask": mask, **extras}

    def supervised_step(self, tokens: tf.Tensor, seed: tf.Tensor) -> dict:
        """(replica) WORKER by maximum likelihood, MANAGER toward the real feature directions (Q = 1)."""
        def maximum_likelihood(log_probs, goals, features, mask, num_tokens):
            return -tf.reduce_sum(log_probs) / num_tokens, {}

        u = self.manager_worker_update(tokens, None, maximum_likelihood, self.generator_optimizer,
                                       self.manager_optimizer)
        return {"loss": -tf.reduce_sum(u["log_probs"]) / tf.reduce_sum(u["mask"]), "manager_loss": u["manager"],
                "grad_norm": u["worker_norm"], "manager_grad_norm": u["manager_norm"]}

    def replica_supervised_step(self, tokens: tf.Tensor, seed: tf.Tensor) -> dict:
        """`supervised_step` on this replica's rows of a global batch."""
        share = tf.shape(tokens)[0] // tf.distribute.get_replica_context().num_replicas_in_sync
        return self.supervised_step(take_rows(tokens, replica_rows(share)[0], share), seed)

    def pretrain_step(self, real_tokens, seed: tf.Tensor) -> dict:
        """(cross-replica) A supervised G step, after the D rounds that open a pre-training cycle."""
        c = self.config
        cycle = max(1, c.pretrain_epochs // c.leakgan_pretrain_cycles) * self.steps_per_epoch
        if c.leakgan_pretrain_discriminator_rounds > 0 and self.generator_optimizer.iterations % cycle == 0:
            self.discriminator_rounds(c.leakgan_pretrain_discriminator_rounds,
                                      tf.random.experimental.stateless_fold_in(seed, 1))
        return replica_mean(on_replicas(self.supervised_step, real_tokens,
                                        tf.random.experimental.stateless_fold_in(seed, 0)))

    def supervised_epoch(self, seed: tf.Tensor) -> None:
        """(cross-replica) One epoch of supervised G steps over the shuffled training data."""
        batch_size = self.config.batch_size
        order = tf.random.experimental.stateless_shuffle(tf.range(tf.shape(self.real_data)[0]), seed=seed)
        for batch in tf.range(self.steps_per_epoch):
            tokens = tf.gather(self.real_data, order[batch * batch_size:(batch + 1) * batch_size])
            on_replicas(self.replica_supervised_step, tokens, tf.random.experimental.stateless_fold_in(seed, batch))

    # --- adversarial G steps ----------------------------------------------------------------------
    def adversarial_step(self, real_tokens, seed: tf.Tensor) -> dict:
        values = super().adversarial_step(real_tokens, seed)
        every = self.config.leakgan_mle_every
        if every > 0 and self.adversarial_optimizer.iterations % every == 0:  # after the 15th, 30th... G step
            self.supervised_epoch(tf.random.experimental.stateless_fold_in(seed, 2))
        return values

    def generator_step(self, real_tokens: tf.Tensor, seed: tf.Tensor) -> dict:
        c, spec, generator = self.config, self.task.spec, self.generator
        seeds = [tf.random.experimental.stateless_fold_in(seed, i) for i in range(2)]
        tokens = sample(generator, spec, tf.shape(real_tokens)[0], seeds[0], self.temperature,
                        with_log_probs=False).tokens
        rewards = monte_carlo_rewards(generator, spec, tokens, self.discriminator.real_probability, c.rollout_num,
                                      seeds[1], self.temperature)
        # Ranks are taken over the global batch: every replica ranks all rows and keeps its own.
        local_size = tf.shape(rewards)[0]
        q = take_rows(rescaled_activation(global_concat(rewards), c.leakgan_delta), replica_rows(local_size)[0],
                      local_size)

        def intrinsic_reinforce(log_probs, goals, features, mask, num_tokens):
            intrinsic = intrinsic_rewards(goals, features, self.step_size)
            return reinforce_loss(log_probs, intrinsic, mask=mask, normalizer=num_tokens), {"intrinsic": intrinsic}

        u = self.manager_worker_update(tokens, q, intrinsic_reinforce, self.adversarial_optimizer,
                                       self.adversarial_manager_optimizer)
        mask = u["mask"]
        return {"generator_loss": u["worker"], "manager_loss": u["manager"], "generator_grad_norm": u["worker_norm"],
                "manager_grad_norm": u["manager_norm"], "reward": tf.reduce_sum(rewards * mask) / tf.reduce_sum(mask),
                "intrinsic_reward": tf.reduce_sum(u["intrinsic"] * mask) / tf.reduce_sum(mask)}
