"""CoT: cooperative training with a mediator (Lu et al. 2019), no pre-training.

Each iteration (one trainer step):
1. draw a batch x ~ G;
2. mediator step: M, an LSTM language model, is trained by maximum likelihood on
   the balanced batch [real; x], so that it approaches the mixture (P + G) / 2;
   its loss is the "balanced NLL";
3. generator step: minimise the exact per-step KL(G || M), summed over the whole
   vocabulary at every prefix of x and averaged over tokens. The gradient flows
   through G's probabilities only: the sampled tokens and M's outputs are
   constants (no REINFORCE, no Monte Carlo).

Since JSD(P || G) = H((P + G)/2) - (H(P) + H(G))/2 and M's balanced NLL is
at least H((P + G)/2), the mediator estimates the JSD from above:
    JSD(P || G) <= balanced NLL - (H(P) + H(G))/2
                 = 1/2 E_P[log P - log M] + 1/2 E_G[log G - log M].
On a task with an oracle the step logs this estimate (per token, from the
batch: log P by the oracle on the real half, log G from the sampler); the
evaluation adds the oracle JSD estimates of `tfgan_text.metrics.jsd`.
"""
from __future__ import annotations

import tensorflow as tf

from tfgan_text.config import CoTConfig
from tfgan_text.losses.cooperative import cooperative_kl
from tfgan_text.methods.base import Method, Phase
from tfgan_text.metrics.jsd import OracleJSD
from tfgan_text.models.generator import Generator
from tfgan_text.metrics.evaluators import Evaluator
from tfgan_text.optimization import adam, apply_gradients
from tfgan_text.replicas import global_sum, replica_seed
from tfgan_text.sampling import sample, sequence_log_probs, sequence_mask, teacher_forcing_inputs


class OracleJSDEvaluator(Evaluator):
    """The standard evaluation plus JSD(oracle || G) on tasks that have an oracle."""

    def __init__(self, task, generator, num_samples, temperature=1.0):
        super().__init__(task, generator, num_samples, temperature)
        # G's log-probabilities at the temperature its evaluation samples were drawn at.
        self.jsd = OracleJSD(task.oracle, generator, task.spec, temperature) if task.oracle is not None else None

    def sample_metrics(self, tokens):
        """Against as many held-out oracle samples as there are generated ones (all if fewer)."""
        return {} if self.jsd is None else self.jsd(self.task.test[: len(tokens)], tokens)

    def describe(self):
        described = super().describe()
        held_out = min(self.num_samples, len(self.task.test))
        against = f"{self.num_samples:,} samples vs {held_out:,} of the {self.task.test_description}"
        described["jsd_oracle"] = f"Monte Carlo sequence JSD(oracle || G), nats, {against}"
        described["jsd_oracle_token"] = f"mean exact next-token JSD at the prefixes of {against}"
        return described


class CoT(Method):
    name = "cot"
    config_class = CoTConfig
    identity_flags = ("mediator_embedding_dim", "mediator_hidden_dim")

    def __init__(self, task, config, steps_per_epoch):
        super().__init__(task, config, steps_per_epoch)
        self.generator = self.build_generator()
        self.mediator = Generator(task.spec.vocab_size, config.mediator_embedding_dim, config.mediator_hidden_dim,
                                  num_layers=1, dropout=config.mediator_dropout,
                                  name="mediator").build_variables()
        self.generator_optimizer = adam(config.learning_rate, config.cot_beta1, config.cot_beta2,
                                        self.generator.trainable_variables)
        self.mediator_optimizer = adam(config.mediator_learning_rate, config.cot_beta1, config.cot_beta2,
                                       self.mediator.trainable_variables)

    def checkpoint_objects(self) -> dict:
        return {"generator": self.generator, "generator_optimizer": self.generator_optimizer,
                "mediator": self.mediator, "mediator_optimizer": self.mediator_optimizer}

    def phases(self) -> list[Phase]:
        return [Phase("cot", self.num_steps(self.config.steps, self.config.epochs), self.cot_step)]

    def evaluator(self, num_samples, temperature):
        return OracleJSDEvaluator(self.task, self.generator, num_samples, temperature)

    def cot_step(self, real: tf.Tensor, seed: tf.Tensor) -> dict:
        spec, seed = self.task.spec, replica_seed(seed)
        sample_seed, mediator_seed, generator_seed = (tf.random.experimental.stateless_fold_in(seed, i)
                                                      for i in range(3))
        fake = sample(self.generator, spec, tf.shape(real)[0], sample_seed)
        tokens = tf.stop_gradient(fake.tokens)
        values = self.mediator_step(real, tokens, mediator_seed)
        values.update(self.generator_step(tokens, generator_seed))
        if self.task.oracle is not None:
            values["jsd_mediator"] = self.mediator_jsd(real, tokens, fake.log_probs)
        values["generator_entropy"] = (-tf.reduce_sum(fake.log_probs)
                                       / tf.reduce_sum(sequence_mask(tokens, spec.eos_id)))
        return values

    def mediator_step(self, real: tf.Tensor, fake: tf.Tensor, seed: tf.Tensor) -> dict:
        """Maximum likelihood of M on the balanced batch [real; fake].

        The halves are read in two passes, each with its own dropout seed: a
        dropout mask then belongs to one example whatever the replica count
        (in one concatenated pass, row i would be a different example on R replicas).
        """
        spec = self.task.spec
        variables = self.mediator.trainable_variables
        with tf.GradientTape() as tape:
            nll_sum = tf.zeros([])
            for index, tokens in enumerate((tf.cast(real, tf.int32), fake)):
                log_probs = sequence_log_probs(self.mediator, tokens, spec, training=True,
                                               seed=tf.random.experimental.stateless_fold_in(seed, index))
                nll_sum -= tf.reduce_sum(log_probs)
            tokens_here = (tf.reduce_sum(sequence_mask(real, spec.eos_id))
                           + tf.reduce_sum(sequence_mask(fake, spec.eos_id)))
            loss = nll_sum / global_sum(tokens_here)
        grad_norm = apply_gradients(self.mediator_optimizer, tape, loss, variables, self.config.grad_clip)
        return {"balanced_nll": nll_sum / tokens_here, "mediator_grad_norm": grad_norm}

    def generator_step(self, fake: tf.Tensor, seed: tf.Tensor) -> dict:
        """Exact per-step KL(G || M) on G's own samples, by teacher forcing on them."""
        spec = self.task.spec
        inputs = teacher_forcing_inputs(fake, spec.bos_id)
        mediator_logits = tf.stop_gradient(self.mediator(inputs, training=False))
        tokens_here = tf.reduce_sum(sequence_mask(fake, spec.eos_id))
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            generator_logits = self.generator(inputs, training=True, seed=seed)
            kl_sum = cooperative_kl(generator_logits, mediator_logits, fake, spec)
            loss = kl_sum / global_sum(tokens_here)
        grad_norm = apply_gradients(self.generator_optimizer, tape, loss, variables, self.config.grad_clip)
        return {"loss": kl_sum / tokens_here, "grad_norm": grad_norm}

    def mediator_jsd(self, real: tf.Tensor, fake: tf.Tensor, fake_log_probs: tf.Tensor) -> tf.Tensor:
        """Per token: 1/2 E_P[log P - log M] + 1/2 E_G[log G - log M] on this batch (M without dropout)."""
        spec = self.task.spec
        real = tf.cast(real, tf.int32)
        oracle_on_real = sequence_log_probs(self.task.oracle, real, spec)
        mediator_on_real = sequence_log_probs(self.mediator, real, spec)
        mediator_on_fake = sequence_log_probs(self.mediator, fake, spec)
        real_term = tf.reduce_sum(oracle_on_real - mediator_on_real) / tf.reduce_sum(sequence_mask(real, spec.eos_id))
        fake_term = tf.reduce_sum(fake_log_probs - mediator_on_fake) / tf.reduce_sum(sequence_mask(fake, spec.eos_id))
        return 0.5 * real_term + 0.5 * fake_term
