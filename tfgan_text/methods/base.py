"""What a training method is, for the trainer: models, optimizers and phases of steps."""
from __future__ import annotations

import dataclasses
from typing import Callable

import tensorflow as tf

from tfgan_text.config import MethodConfig
from tfgan_text.data.tasks import Task
from tfgan_text.errors import UsageError
from tfgan_text.models.generator import Generator
from tfgan_text.models.output_layers import output_layer_spec
from tfgan_text.sampling import SequenceSpec
from tfgan_text.models.seq2seq import Seq2SeqGenerator
from tfgan_text.metrics.evaluators import ConditionalEvaluator, Evaluator

StepFn = Callable[[tf.Tensor, tf.Tensor], dict]  # (real batch [B, T], int32 seed [2]) -> scalars


@dataclasses.dataclass
class Phase:
    """A run of `num_steps` calls of `step` (a replica function, compiled by the trainer).

    `cross_replica=True`: `step` runs once in the strategy's cross-replica context
    and calls `training.optimization.on_replicas` for the pieces that update
    weights; needed when updates sit inside a tf loop or conditional (D rounds),
    which tf.distribute cannot synchronise inside a replica function. It
    returns scalars already reduced over replicas (`replica_mean`).
    """

    name: str
    num_steps: int
    step: StepFn
    cross_replica: bool = False


class Method:
    """Base class: a method builds its models in `__init__` (inside the strategy scope)."""

    name = "base"
    config_class: type[MethodConfig] = MethodConfig  # the typed config this method reads
    identity_flags: tuple[str, ...] = ()  # config fields, beyond the generator's, that a checkpoint depends on
    generator: Generator

    def __init__(self, task: Task, config: MethodConfig, steps_per_epoch: int):
        self.task, self.config, self.steps_per_epoch = task, config, steps_per_epoch

    def phases(self) -> list[Phase]:
        raise NotImplementedError

    def start_new_run(self) -> None:
        """One-off set-up of a new run (not of a resumed one), before its first step."""

    def checkpoint_objects(self) -> dict:
        """Everything that must be saved to resume exactly (models, optimizers)."""
        raise NotImplementedError

    def evaluator(self, num_samples: int, temperature: float):
        """What the trainer calls to judge the generator: `(seed) -> (metrics, texts)` plus `describe()`.

        The default suits autoregressive generators (sampling, NLL-oracle, NLL-test);
        a method whose generator is different, or that adds metrics, overrides it.
        """
        if self.task.conditional:
            return ConditionalEvaluator(self.task, self.generator, num_samples, temperature)
        return Evaluator(self.task, self.generator, num_samples, temperature, self.config.eval_bleu)

    def build_generator(self) -> Generator:
        """The generator described by the flags, with its weights created (the encoder-decoder of
        models/seq2seq.py on a conditional task)."""
        c = self.config
        if self.task.conditional:
            return build_conditional_generator(c, self.task)
        return Generator(self.task.spec.vocab_size, c.embedding_dim, c.hidden_dim, c.num_layers,
                         c.dropout, c.init_stddev, output=output_layer_spec(c, self.task)).build_variables()

    @classmethod
    def step_tensor_bytes(cls, config: MethodConfig, spec: SequenceSpec) -> dict[str, int]:
        """{config field: bytes of the largest tensors of a step that grow with it} (a rough upper estimate,
        checked against the machine's memory before a run starts). Here: teacher forcing's logits, softmax
        and gradient [B, T, V], and an evaluation sampling chunk's [2048, V] per step."""
        return {"batch_size": 3 * config.batch_size * spec.max_length * spec.vocab_size * 4,
                "num_eval_samples": min(config.num_eval_samples, 2048) * spec.vocab_size * 4 * 2}

    def num_steps(self, steps: int, epochs: int) -> int:
        """`--steps` if given, else `--epochs` worth of batches."""
        return steps if steps > 0 else epochs * self.steps_per_epoch


def build_conditional_generator(config, task: Task) -> Seq2SeqGenerator:
    """The encoder-decoder of the flags (--attention, --hard_attention, --memory_hops) for `task`."""
    separator_id = -1
    if config.memory_hops > 0:
        separator_id = task.vocabulary.encode([config.memory_separator])[0]
        if separator_id == task.vocabulary.unk_id:
            raise UsageError(f"--memory_separator={config.memory_separator}: not a token of the training sources "
                             "(the memory network splits sources into sentences at it)")
    return Seq2SeqGenerator(task.spec.vocab_size, config.embedding_dim, config.hidden_dim, config.num_layers,
                            config.dropout, config.init_stddev, config.attention, config.hard_attention,
                            config.memory_hops, separator_id, task.spec.pad_id,
                            output=output_layer_spec(config, task)).build_variables(task.source_length)
