"""Typed configuration: one frozen dataclass per component, every default declared once.

A method's config is the union of the components it uses (task, generator,
training, evaluation, and its own), composed by inheritance, so its fields are
flat and keep the command line's names: `SeqGANConfig(rollout_num=4)` is
`--rollout_num=4`. The CLI generates one absl flag per field (tfgan_text/cli.py);
nothing here touches absl. Values are checked when a config is made, with a
`ConfigError` that names the field.

    config = SeqGANConfig.from_preset("seqgan").replace(adversarial_steps=5)
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import typing
from typing import Any, Iterable

from tfgan_text.errors import UsageError

# SeqGAN's CNN filter table (Yu et al. 2017, the released code).
SEQGAN_FILTER_WIDTHS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20)
SEQGAN_NUM_FILTERS = (100, 200, 200, 200, 200, 100, 100, 100, 100, 100, 160, 160)
# The longest sequence (tokens, eos not counted) a corpus task trains on: 40x the published setups' T (<= 51
# words; COCO characters <= 180) and already [64, 2048, 5,000] float logits (2.6 GB) per MLE batch.
MAX_SEQUENCE_LENGTH = 2048
# Largest num_samples (and number of texts to score) one request to an exported model may ask for, by default.
DEFAULT_MAX_NUM_SAMPLES = 1000
MAX_SEED = 2**31 - 1  # seeds become int32 stateless seeds and numpy generators (which refuse negative ones)
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# Installed: presets/ inside the package (setup.py copies flags/*.cfg there); a checkout: flags/ beside it.
PRESET_DIRS = (os.path.join(PACKAGE_DIR, "presets"), os.path.join(os.path.dirname(PACKAGE_DIR), "flags"))


class ConfigError(UsageError):
    """A config value out of range, of the wrong type, or inconsistent with another (names the field)."""


def option(default: Any, help: str, *, lower: float | None = None, upper: float | None = None,
           choices: tuple[str, ...] | None = None) -> Any:
    """A config field with its help text and bounds (the CLI flag is made from them)."""
    return dataclasses.field(default=default, metadata={"help": help, "lower": lower, "upper": upper,
                                                         "choices": choices})


@dataclasses.dataclass(frozen=True)
class Component:
    """Base of every config: typed, frozen, checked on creation."""

    def __post_init__(self):
        hints = typing.get_type_hints(type(self))
        for field in dataclasses.fields(self):
            value = _coerce(field.name, hints[field.name], getattr(self, field.name))
            object.__setattr__(self, field.name, value)
            _check_bounds(field, value)
        self.validate()

    def validate(self) -> None:
        """Checks between fields; a component that has any overrides it and calls super()."""

    @classmethod
    def fields(cls) -> tuple[dataclasses.Field, ...]:
        return dataclasses.fields(cls)

    def replace(self, **changes: Any):
        """A copy with `changes` (checked again)."""
        unknown = sorted(set(changes) - {f.name for f in self.fields()})
        if unknown:
            raise ConfigError(f"{unknown[0]}: not a field of {type(self).__name__}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in self.fields()}

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "config"):
        """The config of `values`; a key that is not a field is an error naming `source`."""
        names = {f.name for f in cls.fields()}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ConfigError(f"{source}: {unknown[0]} is not a field of {cls.__name__}")
        return cls(**values)

    @classmethod
    def from_preset(cls, name: str, **overrides: Any):
        """The config of preset `name` (a flags/*.cfg of the project: e.g. "seqgan", "seqgan_oracle")."""
        method, values = read_flagfile(preset_path(name))
        values = {k: v for k, v in values.items() if k in {f.name for f in cls.fields()}}
        return cls.from_dict({**values, **overrides}, source=f"preset {name}")


def _coerce(name: str, kind: Any, value: Any) -> Any:
    """`value` as the field's type (ints as floats, lists as tuples); anything else, or a float that is not
    finite, is an error."""
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            value = float(value)
        except OverflowError:  # an int beyond any float
            value = math.inf
        if not math.isfinite(value):
            raise ConfigError(f"{name}={value!r}: expected a finite number")
        return value
    if typing.get_origin(kind) is tuple:
        if isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return tuple(value)
        raise ConfigError(f"{name}={value!r}: expected a sequence of integers")
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{name}={value!r}: expected {kind.__name__}")
    return value


def _check_bounds(field: dataclasses.Field, value: Any) -> None:
    lower, upper, choices = (field.metadata.get(k) for k in ("lower", "upper", "choices"))
    if choices is not None and value not in choices:
        raise ConfigError(f"{field.name}={value!r}: expected one of {', '.join(choices)}")
    for item in value if isinstance(value, tuple) else (value,):
        if lower is not None and item < lower:
            raise ConfigError(f"{field.name}={value!r}: must be at least {lower}")
        if upper is not None and item > upper:
            raise ConfigError(f"{field.name}={value!r}: must be at most {upper}")


# --- the components -------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class TaskConfig(Component):
    """What to learn: a corpus, a parallel corpus, the embedded grammar, the synthetic LSTM oracle or an embedded
    mapping task."""

    task: str = option("auto", "auto: corpus when --train_data is given, else the embedded grammar. grammar: "
                       "English-like sentences from the embedded probabilistic grammar, whose exact probabilities "
                       "are the oracle (NLL-oracle, the grammatical share of samples). oracle: the synthetic LSTM "
                       "oracle (--oracle_* flags). parallel: conditional generation from --train_data/--test_data "
                       "holding 'source<TAB>target' lines. copy, reverse: the embedded conditional task (random "
                       "symbol strings -> their copy or reversal).",
                       choices=("auto", "grammar", "oracle", "corpus", "parallel", "copy", "reverse"))
    train_data: str = option("", "UTF-8 text, one sentence per line. Empty: the embedded grammar task (or --task).")
    test_data: str = option("", "Held-out test split; empty: --heldout_fraction of --train_data.")
    heldout_fraction: float = option(0.1, "Share of --train_data held out when --test_data is empty.",
                                     lower=0.0, upper=0.9)
    tokenizer: str = option("word", "How lines are split into tokens.", choices=("word", "whitespace", "char"))
    min_count: int = option(1, "Tokens seen fewer times become <unk>.", lower=1)
    max_vocab_size: int = option(0, "Keep at most this many tokens (specials included); 0: all.", lower=0)
    max_length: int = option(0, "Max tokens per sentence (eos not counted); 0: the longest training sentence, "
                             "leaving out outliers over 4x the 99.9th-percentile length (and over 32 tokens).",
                             lower=0, upper=MAX_SEQUENCE_LENGTH)
    long_sentences: str = option("drop", "What to do with longer sentences.", choices=("drop", "truncate"))
    max_source_length: int = option(0, "--task=parallel: max source tokens; 0: the longest, as --max_length.",
                                    lower=0, upper=MAX_SEQUENCE_LENGTH)
    mapping_num_symbols: int = option(20, "--task=copy|reverse: symbols of the strings.", lower=2)
    mapping_min_length: int = option(3, "--task=copy|reverse: shortest string.", lower=1)
    mapping_max_length: int = option(10, "--task=copy|reverse: longest string.", lower=1)
    mapping_num_train: int = option(10000, "--task=copy|reverse: training pairs.", lower=1)
    mapping_num_test: int = option(1000, "--task=copy|reverse: held-out pairs.", lower=1)
    oracle_params: str = option("", "--task=oracle: the oracle LSTM's .npz (e.g. "
                                "../shared/data/seqgan_oracle_lstm.npz); empty: an oracle drawn from --oracle_seed "
                                "with SeqGAN's recipe.")
    oracle_seed: int = option(88, "--task=oracle: seed of the random oracle.", lower=0, upper=MAX_SEED)
    oracle_vocab_size: int = option(5000, "--task=oracle: random oracle vocabulary.", lower=2)
    oracle_embedding_dim: int = option(32, "--task=oracle: random oracle embedding size.", lower=1)
    oracle_hidden_dim: int = option(32, "--task=oracle: random oracle hidden size.", lower=1)
    oracle_length: int = option(20, "--task=oracle: sequence length T (the grammar task's T is its longest "
                                "sentence + eos).", lower=1)
    oracle_num_train: int = option(10000, "--task=oracle|grammar: training sequences sampled from the oracle "
                                   "(the LSTM or the grammar).", lower=1)
    oracle_num_test: int = option(10000, "--task=oracle|grammar: held-out sequences sampled from the oracle.",
                                  lower=1)
    oracle_data_seed: int = option(0, "--task=oracle|grammar|copy|reverse: seed of the training and held-out "
                                   "samples.", lower=0, upper=MAX_SEED)

    def validate(self) -> None:
        super().validate()
        if self.mapping_min_length > self.mapping_max_length:
            raise ConfigError(f"mapping_min_length={self.mapping_min_length}: longer than mapping_max_length="
                              f"{self.mapping_max_length}")
        if self.oracle_params and self.task_kind != "oracle":
            raise ConfigError(f"oracle_params={self.oracle_params}: the LSTM oracle's parameters, but the task is "
                              f"{self.task_kind}" + (" (--task=auto without --train_data is the grammar task); "
                                                     "add --task=oracle" if self.task == "auto" else ""))

    @property
    def task_kind(self) -> str:
        """The task `auto` stands for: corpus with --train_data, else the embedded grammar."""
        if self.task != "auto":
            return self.task
        return "corpus" if self.train_data else "grammar"

    @property
    def conditional(self) -> bool:
        return self.task_kind in ("parallel", "copy", "reverse")


@dataclasses.dataclass(frozen=True)
class GeneratorConfig(Component):
    """The LSTM generator (the encoder-decoder on conditional tasks) and its training output layer."""

    embedding_dim: int = option(32, "Generator embedding size.", lower=1)
    hidden_dim: int = option(32, "Generator LSTM size.", lower=1)
    num_layers: int = option(1, "Generator LSTM layers.", lower=1)
    dropout: float = option(0.0, "Generator dropout rate.", lower=0.0, upper=0.95)
    init_stddev: float = option(0.0, "Initialise every generator weight from N(0, this) (SeqGAN: 0.1); 0: Keras "
                                "defaults.", lower=0.0)
    attention: str = option("multiplicative", "Conditional generator: attention scores, Luong's general (h^T W m) "
                            "or Bahdanau's additive.", choices=("multiplicative", "additive"))
    hard_attention: bool = option(False, "Conditional generator: attend to ONE source position, drawn from the "
                                  "attention weights in training (REINFORCE) and the most likely one otherwise.")
    memory_hops: int = option(0, "Conditional generator: hops of an end-to-end memory network over the source's "
                              "sentences (split at --memory_separator); 0: none.", lower=0)
    memory_separator: str = option("|", "--memory_hops > 0: the token between the source's sentences.")
    output_layer: str = option("full", "LSTM generators: how MLE training (and MLE pre-training) computes the "
                               "output softmax; sampling and evaluation always use the exact normalised "
                               "probabilities.", choices=("full", "sampled_softmax", "nce", "negative_sampling",
                                                          "blackout", "hierarchical_softmax"))
    num_sampled: int = option(1024, "--output_layer=sampled_softmax|nce|negative_sampling|blackout: negatives "
                              "drawn per training step (shared by the batch, with replacement).", lower=1)
    sampling_proposal: str = option("unigram", "Proposal of the negatives: unigram (training-data counts, add-one "
                                    "smoothed) or log_uniform (Zipf over ids; assumes ids sorted by frequency, as "
                                    "corpus vocabularies are).", choices=("log_uniform", "unigram"))
    hierarchical_classes: int = option(0, "--output_layer=hierarchical_softmax: classes of the frequency-ranked "
                                       "two-level tree; 0: ceil(sqrt(V)).", lower=0)


@dataclasses.dataclass(frozen=True)
class TrainingConfig(Component):
    """Optimisation, devices and checkpoint cadence of the training loop."""

    batch_size: int = option(64, "Global batch size.", lower=1, upper=10_000_000)
    epochs: int = option(10, "Training epochs (ignored when --steps > 0).", lower=0)
    steps: int = option(0, "Training steps; 0: use --epochs.", lower=0)
    learning_rate: float = option(0.01, "Adam learning rate.", lower=0.0)
    grad_clip: float = option(5.0, "Global-norm gradient clip; 0: none.", lower=0.0)
    seed: int = option(1, "Seed of initialisation, data order, dropout, sampling and the held-out split.",
                       lower=0, upper=MAX_SEED)
    strategy: str = option("auto", "tf.distribute strategy; auto = mirrored when several GPUs are visible; "
                           "multi_worker = MultiWorkerMirroredStrategy over the cluster in TF_CONFIG (see README, "
                           "Distributed training).", choices=("auto", "default", "mirrored", "multi_worker"))
    xla: bool = option(False, "Compile train steps with XLA (GPU runs; on CPU it depends on the step: measure).")
    checkpoint_every: int = option(0, "Checkpoint every N steps; 0: once per epoch.", lower=0)
    keep_checkpoints: int = option(3, "Checkpoints kept.", lower=1)
    summary_every: int = option(10, "Write training scalars every N steps.", lower=1)


@dataclasses.dataclass(frozen=True)
class EvaluationConfig(Component):
    """What is measured during and at the end of training."""

    eval_every: int = option(0, "Evaluate every N steps; 0: once per epoch.", lower=0)
    num_eval_samples: int = option(10000, "Samples drawn for NLL-oracle and the samples file by the final "
                                   "evaluation (and by the others, up to --interim_eval_samples).", lower=1)
    interim_eval_samples: int = option(1000, "Samples drawn by each evaluation before the final one, at most "
                                       "--num_eval_samples: a cheap, slightly noisier view of progress.", lower=1)
    eval_temperature: float = option(1.0, "Sampling temperature of evaluation.", lower=0.001)
    samples_to_write: int = option(1000, "Generated sentences written per evaluation.", lower=0)
    eval_bleu: bool = option(False, "Corpus tasks: at every evaluation also BLEU-2..5 of the samples against "
                             "every test sentence and their leave-one-out Self-BLEU-2..5.")


@dataclasses.dataclass(frozen=True)
class MethodConfig(TaskConfig, GeneratorConfig, TrainingConfig, EvaluationConfig):
    """What every method reads: the task, the generator, training and evaluation. MLE's config."""


MLEConfig = MethodConfig


@dataclasses.dataclass(frozen=True)
class DiscriminatorConfig(Component):
    """What the discriminators of SeqGAN's family and of ScratchGAN share."""

    discriminator_embedding_dim: int = option(64, "Discriminator embedding size.", lower=1)
    discriminator_dropout: float = option(0.25, "Discriminator dropout rate (CNN: after the highway layer).",
                                          lower=0.0, upper=0.95)
    discriminator_l2: float = option(0.2, "Discriminator L2 weight (CNN: on the output layer).", lower=0.0)
    discriminator_learning_rate: float = option(0.0001, "Discriminator Adam learning rate.", lower=0.0)


@dataclasses.dataclass(frozen=True)
class CNNDiscriminatorConfig(DiscriminatorConfig):
    """SeqGAN's CNN discriminator and its rounds of training on fresh samples."""

    discriminator_filter_widths: tuple[int, ...] = option(
        SEQGAN_FILTER_WIDTHS, "CNN discriminator: filter widths (widths longer than the sequence are dropped).",
        lower=1)
    discriminator_num_filters: tuple[int, ...] = option(
        SEQGAN_NUM_FILTERS, "CNN discriminator: filters per width, one per --discriminator_filter_widths entry.",
        lower=1)
    discriminator_batch_size: int = option(64, "Discriminator batch size.", lower=1)
    discriminator_negatives: int = option(10000, "Fresh G samples per D round (as many real sequences join them); "
                                          "0: as many as the training sequences.", lower=0)
    discriminator_epochs: int = option(3, "Epochs over each D round's real + generated mix.", lower=1)
    discriminator_pretrain_rounds: int = option(50, "D rounds before the adversarial phase.", lower=0)
    discriminator_rounds: int = option(5, "D rounds after each adversarial G step.", lower=0)

    def validate(self) -> None:
        super().validate()
        if not self.discriminator_filter_widths:
            raise ConfigError("discriminator_filter_widths: empty")
        if len(self.discriminator_filter_widths) != len(self.discriminator_num_filters):
            raise ConfigError(f"discriminator_num_filters: {len(self.discriminator_num_filters)} counts for "
                              f"{len(self.discriminator_filter_widths)} discriminator_filter_widths")


@dataclasses.dataclass(frozen=True)
class AdversarialConfig(MethodConfig, CNNDiscriminatorConfig):
    """SeqGAN's schedule: MLE pre-training of G, D pre-training, then alternating updates."""

    pretrain_epochs: int = option(80, "Adversarial methods: MLE pre-training epochs of G (SeqGAN's code 120, "
                                  "Texygen 80); ignored with --pretrained_generator.", lower=0)
    pretrained_generator: str = option("", "Adversarial methods: start from this MLE generator (a run directory "
                                       "or a checkpoint prefix) instead of pre-training one.")
    adversarial_learning_rate: float = option(0.0, "Adversarial methods: Adam learning rate of the adversarial G "
                                              "updates; 0: --learning_rate (the MLE rate, as SeqGAN's code does).",
                                              lower=0.0)
    adversarial_steps: int = option(200, "Adversarial methods: adversarial steps (each one G step and "
                                    "--discriminator_rounds D rounds).", lower=0)


@dataclasses.dataclass(frozen=True)
class RolloutConfig(Component):
    """Monte Carlo roll-outs of partial sequences."""

    rollout_num: int = option(16, "SeqGAN-family: Monte Carlo completions per prefix.", lower=1, upper=100_000)
    rollout_update_rate: float = option(0.8, "SeqGAN-family: the roll-out policy keeps this share of its weights "
                                        "after each G step and takes the rest from G.", lower=0.0, upper=1.0)


@dataclasses.dataclass(frozen=True)
class SeqGANConfig(AdversarialConfig, RolloutConfig):
    prefix_rewards: str = option("monte_carlo", "SeqGAN: rewards of partial sequences by Monte Carlo roll-outs, or "
                                 "by a D trained on random prefixes.", choices=("monte_carlo", "discriminator"))
    teacher_forcing_steps: int = option(0, "SeqGAN-family: MLE updates on the real batch after each adversarial G "
                                        "update (teacher-forcing interleave; 0: none).", lower=0)


@dataclasses.dataclass(frozen=True)
class MaliGANConfig(AdversarialConfig):
    maligan_prefix_decrement: int = option(0, "MaliGAN: K of mixed MLE-Mali training (real prefixes of N tokens, "
                                           "N = T lowered by K per period); 0: plain MaliGAN on whole G samples.",
                                           lower=0)
    maligan_decrement_every: int = option(0, "MaliGAN mixed training: G steps between decrements of N; 0: one "
                                          "epoch of the training data.", lower=0)
    maligan_completions: int = option(16, "MaliGAN mixed training: G completions per real prefix.", lower=1)


@dataclasses.dataclass(frozen=True)
class RankGANConfig(SeqGANConfig):
    rankgan_reference_size: int = option(16, "RankGAN: |U|, real reference sentences per ranking.", lower=1)
    rankgan_gamma: float = option(1.0, "RankGAN: gamma, the inverse temperature of the ranking softmax.",
                                  lower=0.0)
    rankgan_generator_batch: int = option(32, "RankGAN: sentences sampled per adversarial G step (at most "
                                          "--batch_size; the step's real batch is their comparison set C+).",
                                          lower=1)


@dataclasses.dataclass(frozen=True)
class LeakGANConfig(AdversarialConfig, RolloutConfig):
    leakgan_goal_size: int = option(16, "LeakGAN: k, the size of the goal embedding w_t.", lower=1)
    leakgan_step_size: int = option(4, "LeakGAN: c, the MANAGER's horizon (goals summed, feature difference "
                                    "f_{t+c} - f_t).", lower=1)
    leakgan_delta: float = option(12.0, "LeakGAN: delta of the bootstrapped rescaled activation.", lower=0.0)
    leakgan_temperature: float = option(1.0, "LeakGAN: sampling temperature of training (G's adversarial samples "
                                        "and roll-outs; log-probs use it too).", lower=0.001)
    leakgan_eval_temperature: float = option(2 / 3, "LeakGAN: the extra evaluation temperature "
                                             "(nll_oracle_eval_temperature); the authors' evaluation multiplies "
                                             "logits by 1.5.", lower=0.001)
    leakgan_mle_every: int = option(15, "LeakGAN: one supervised epoch of G after every this many adversarial "
                                    "steps; 0: none.", lower=0)
    leakgan_pretrain_cycles: int = option(10, "LeakGAN: pre-training cycles of (D rounds, --pretrain_epochs / "
                                          "cycles epochs of G).", lower=1)
    leakgan_pretrain_discriminator_rounds: int = option(5, "LeakGAN: D rounds opening each pre-training cycle.",
                                                        lower=0)


@dataclasses.dataclass(frozen=True)
class CoTConfig(MethodConfig):
    mediator_embedding_dim: int = option(64, "CoT: mediator embedding size.", lower=1)
    mediator_hidden_dim: int = option(64, "CoT: mediator LSTM size.", lower=1)
    mediator_dropout: float = option(0.5, "CoT: mediator dropout rate.", lower=0.0, upper=0.95)
    mediator_learning_rate: float = option(0.003, "CoT: mediator Adam learning rate.", lower=0.0)
    cot_beta1: float = option(0.9, "CoT: Adam beta_1 of generator and mediator.", lower=0.0, upper=1.0)
    cot_beta2: float = option(0.95, "CoT: Adam beta_2 of generator and mediator.", lower=0.0, upper=1.0)


@dataclasses.dataclass(frozen=True)
class ScratchGANConfig(MethodConfig, DiscriminatorConfig):
    embeddings_file: str = option("", "ScratchGAN: fixed pre-trained word vectors (GloVe text format, `word v1 ... "
                                  "vd` per line; make one with `python -m tfgan_text.glove`); empty: none.")
    discriminator_hidden_dim: int = option(512, "ScratchGAN: LSTM size of the per-token discriminator.", lower=1)
    discriminator_layer_norm: bool = option(True, "ScratchGAN: layer-normalised LSTM in D (else a plain LSTM).")
    position_signal: bool = option(True, "ScratchGAN: D reads an 8-d sinusoidal position signal.")
    dense_rewards: bool = option(True, "ScratchGAN: a reward for every token (else one at the sequence's end).")
    discount: float = option(0.23, "ScratchGAN: discount gamma of the returns.", lower=0.0, upper=1.0)
    reinforce_baseline: bool = option(True, "ScratchGAN: subtract a moving-average baseline from the returns.")
    baseline_decay: float = option(0.08, "ScratchGAN: lambda of b <- lambda b + (1 - lambda) mean(R).",
                                   lower=0.0, upper=1.0)
    scratchgan_beta1: float = option(0.5, "ScratchGAN: Adam beta_1 of G and D.", lower=0.0, upper=1.0)


@dataclasses.dataclass(frozen=True)
class WGANGPConfig(MethodConfig):
    wgan_dim: int = option(512, "WGAN-GP: channels of generator and critic convolutions.", lower=1)
    wgan_noise_dim: int = option(128, "WGAN-GP: size of the generator's noise z.", lower=1)
    wgan_residual_blocks: int = option(5, "WGAN-GP: residual blocks in generator and critic.", lower=0)
    critic_steps: int = option(10, "WGAN-GP: critic updates per generator update.", lower=1)
    gp_weight: float = option(10.0, "WGAN-GP: gradient penalty weight lambda.", lower=0.0)
    wgan_beta1: float = option(0.5, "WGAN-GP: Adam beta_1 of generator and critic.", lower=0.0, upper=1.0)
    wgan_beta2: float = option(0.9, "WGAN-GP: Adam beta_2 of generator and critic.", lower=0.0, upper=1.0)
    wgan_readout: str = option("argmax", "WGAN-GP: how text is read from the per-position softmax.",
                               choices=("argmax", "sample"))


@dataclasses.dataclass(frozen=True)
class RunOptions(Component):
    """How one command runs a method: which, where, and what it leaves behind (not part of a run's identity)."""

    method: str = option("mle", "Training method (see tfgan_text/methods).")
    logdir: str = option("", "Run directory (checkpoints, TensorBoard, samples); default runs/<method>-<time>.")
    resume: bool = option(False, "Continue the run in --logdir from its latest checkpoint.")
    export_name: str = option("", "At the end of training, export the generator as the SavedModel "
                              "savedmodels/<export_name>/<next version> under the current directory (see "
                              "tfgan_text.export); empty: no export.")
    print_config: bool = option(False, "Print the method and the config this command would train with (as "
                                "config.json holds it) and exit without training.")


@dataclasses.dataclass(frozen=True)
class LanguageModelScoreConfig(Component):
    """The language models behind the LM and reverse-LM scores (evaluate, sweep)."""

    lm_steps: int = option(2000, "Training steps of each LM-score language model.", lower=0)
    lm_hidden_dim: int = option(64, "LSTM size of the LM-score language models.", lower=1)
    lm_embedding_dim: int = option(32, "Embedding size of the LM-score language models.", lower=1)
    lm_batch_size: int = option(64, "Batch size of the LM-score language models.", lower=1)


@dataclasses.dataclass(frozen=True)
class GloveConfig(Component):
    """The GloVe tool's word vectors (python -m tfgan_text.glove)."""

    vectors_output: str = option("", "GloVe tool: the vectors file to write (GloVe text format).")
    vectors_dim: int = option(64, "GloVe tool: vector size.", lower=1)
    vectors_window: int = option(10, "GloVe tool: co-occurrence window (tokens on each side).", lower=1)
    vectors_epochs: int = option(25, "GloVe tool: passes over the non-zero co-occurrences.", lower=1)
    vectors_x_max: float = option(100.0, "GloVe tool: count at which a pair's weight reaches 1.", lower=1e-6)
    vectors_alpha: float = option(0.75, "GloVe tool: exponent of the weighting function.", lower=0.0)
    vectors_learning_rate: float = option(0.05, "GloVe tool: AdaGrad learning rate.", lower=0.0)
    vectors_batch_size: int = option(4096, "GloVe tool: pairs per AdaGrad step.", lower=1)


# --- flagfiles: presets and the files of older runs -------------------------------------------------------
def preset_names() -> list[str]:
    """Every preset this installation has (flags/*.cfg of the project)."""
    names = set()
    for folder in PRESET_DIRS:
        if os.path.isdir(folder):
            names.update(name[:-4] for name in os.listdir(folder) if name.endswith(".cfg"))
    return sorted(names)


def preset_path(name: str) -> str:
    """The flagfile of preset `name`; a missing preset is an error, never skipped."""
    for folder in PRESET_DIRS:
        path = os.path.join(folder, f"{name}.cfg")
        if os.path.isfile(path):
            return path
    raise ConfigError(f"preset {name!r}: not found (presets: {', '.join(preset_names()) or 'none installed'})")


def read_flagfile(path: str, unknown: str = "error",
                  _seen: tuple[str, ...] = ()) -> tuple[str | None, dict[str, Any]]:
    """(--method or None, {field: typed value}) of an absl flagfile of config fields, without absl.

    Nested `--flagfile=` lines are read in place (a path that does not exist is looked up as a preset
    by its file name, so presets that include presets work from an installed package). `unknown="skip"`
    passes over flags that are not config fields (an older run's flags.cfg holds absl's own)."""
    if path in _seen:
        raise ConfigError(f"{path}: includes itself")
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read ({e.__class__.__name__})") from None
    method, values = None, {}
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, has_value, text = line.lstrip("-").partition("=")
        if not line.startswith("-"):
            raise ConfigError(f"{path}:{number}: expected --name=value, got {line!r}")
        if name == "flagfile":
            nested = text if os.path.exists(text) else preset_path(os.path.basename(text)[:-4])
            nested_method, nested_values = read_flagfile(nested, unknown, _seen + (path,))
            method, values = nested_method or method, {**values, **nested_values}
        elif name == "method":
            method = text
        elif name in RUN_OPTION_NAMES or (unknown == "skip" and name not in FIELD_OWNERS
                                          and name.removeprefix("no") not in FIELD_OWNERS):
            continue
        else:
            field_name, value = _parse_flag(name, has_value, text, f"{path}:{number}")
            values[field_name] = value
    return method, values


def _parse_flag(name: str, has_value: str, text: str, where: str) -> tuple[str, Any]:
    fields = all_fields()
    if not has_value and name not in fields and name.startswith("no") and name[2:] in fields:
        return name[2:], False
    if name not in fields:
        raise ConfigError(f"{where}: --{name} is not a tfgan_text flag")
    kind = typing.get_type_hints(FIELD_OWNERS[name])[name]
    try:
        if kind is bool:
            if not has_value or text.lower() in ("true", "1"):
                return name, True
            if text.lower() in ("false", "0"):
                return name, False
            raise ValueError(text)
        if typing.get_origin(kind) is tuple:
            return name, tuple(int(v) for v in text.split(",") if v.strip())
        return name, kind(text)
    except ValueError:
        raise ConfigError(f"{where}: --{name}={text}: expected {getattr(kind, '__name__', 'integers')}") from None


def write_config(path: str, method: str, config: Component) -> None:
    """config.json of a run: the method and every field of its config (atomically)."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"method": method, "config": config.to_dict()}, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def read_config_json(path: str) -> tuple[str, dict[str, Any]]:
    """(method, field values) of a run's config.json."""
    try:
        with open(path, encoding="utf-8") as f:
            saved = json.load(f)
        return saved["method"], saved["config"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"{path}: not a tfgan_text config ({e.__class__.__name__}: {e})") from None


def training_config_classes() -> list[type[Component]]:
    """The components of the training command's flags: every method's config and the run options."""
    return [TaskConfig, GeneratorConfig, TrainingConfig, EvaluationConfig, DiscriminatorConfig,
            CNNDiscriminatorConfig, AdversarialConfig, RolloutConfig, SeqGANConfig, MaliGANConfig, RankGANConfig,
            LeakGANConfig, CoTConfig, ScratchGANConfig, WGANGPConfig, RunOptions]


def config_classes() -> list[type[Component]]:
    """Every component that defines command-line flags (each field belongs to exactly one)."""
    return training_config_classes() + [LanguageModelScoreConfig, GloveConfig]


def _field_owners(classes: Iterable[type[Component]]) -> dict[str, type[Component]]:
    """{field name: the class that declares it}; a name declared by two classes is an error."""
    owners: dict[str, type[Component]] = {}
    for cls in classes:
        for name in cls.__dict__.get("__annotations__", {}):
            if name in owners:
                raise TypeError(f"config field {name} is declared by {owners[name].__name__} and {cls.__name__}")
            owners[name] = cls
    return owners


FIELD_OWNERS = _field_owners(config_classes())
RUN_OPTION_NAMES = frozenset(f.name for f in dataclasses.fields(RunOptions))


def all_fields() -> dict[str, dataclasses.Field]:
    """Every config field by name, as its declaring class has it."""
    return {name: {f.name: f for f in dataclasses.fields(owner)}[name] for name, owner in FIELD_OWNERS.items()}
