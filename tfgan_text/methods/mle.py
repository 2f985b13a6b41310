"""Maximum likelihood (teacher forcing): the baseline every GAN must beat honestly."""
from __future__ import annotations

import tensorflow as tf

from tfgan_text.config import MethodConfig
from tfgan_text.methods.base import Method, Phase
from tfgan_text.optimization import adam, mle_train_step


class MLE(Method):
    name = "mle"
    config_class = MethodConfig
    identity_flags = ("output_layer", "hierarchical_classes")  # the hierarchical softmax has other weights

    def __init__(self, task, config, steps_per_epoch):
        super().__init__(task, config, steps_per_epoch)
        self.generator = self.build_generator()
        self.optimizer = adam(config.learning_rate, variables=self.generator.trainable_variables)

    def checkpoint_objects(self) -> dict:
        return {"generator": self.generator, "generator_optimizer": self.optimizer}

    def phases(self) -> list[Phase]:
        return [Phase("mle", self.num_steps(self.config.steps, self.config.epochs), self.mle_step)]

    def mle_step(self, rows: tf.Tensor, seed: tf.Tensor) -> dict:
        generator, tokens = self.task.condition(self.generator, rows)
        return mle_train_step(generator, self.optimizer, tokens, self.task.spec, seed, self.config.grad_clip)
