"""Command line: `python -m tfgan_text.main --method=mle [--flagfile=flags/mle_oracle.cfg]`.

Without --flagfile, `flags/<method>.cfg` is read first (the method's published
defaults); flags given on the command line override it. Bad input exits with
code 2 and one line naming the flag or file, before anything is written.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from tfgan_text.errors import UsageError, parse_command_line  # noqa: E402

FLAGS = flags.FLAGS
FLAGS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "flags")

# --- what to run
flags.DEFINE_string("method", "mle", "Training method (see tfgan_text/methods).")
flags.DEFINE_string("logdir", "", "Run directory (checkpoints, TensorBoard, samples); default runs/<method>-<time>.")
flags.DEFINE_bool("resume", False, "Continue the run in --logdir from its latest checkpoint.")
flags.DEFINE_enum("strategy", "auto", ["auto", "default", "mirrored", "multi_worker"],
                  "tf.distribute strategy; auto = mirrored when several GPUs are visible; multi_worker = "
                  "MultiWorkerMirroredStrategy over the cluster in TF_CONFIG (see README, Distributed training).")
flags.DEFINE_bool("xla", False, "Compile train steps with XLA (GPU runs; slower on CPU).")
# --- data: a corpus, or the synthetic oracle task when --train_data is empty
flags.DEFINE_enum("task", "auto", ["auto", "oracle", "corpus", "parallel", "copy", "reverse"],
                  "auto: corpus when --train_data is given, else the synthetic oracle. parallel: conditional "
                  "generation from --train_data/--test_data holding 'source<TAB>target' lines. copy, reverse: "
                  "the embedded conditional task (random symbol strings -> their copy or reversal).")
flags.DEFINE_integer("max_source_length", 0, "--task=parallel: max source tokens; 0: the longest.", lower_bound=0)
flags.DEFINE_integer("mapping_num_symbols", 20, "--task=copy|reverse: symbols of the strings.", lower_bound=2)
flags.DEFINE_integer("mapping_min_length", 3, "--task=copy|reverse: shortest string.", lower_bound=1)
flags.DEFINE_integer("mapping_max_length", 10, "--task=copy|reverse: longest string.", lower_bound=1)
flags.DEFINE_integer("mapping_num_train", 10000, "--task=copy|reverse: training pairs.", lower_bound=1)
flags.DEFINE_integer("mapping_num_test", 1000, "--task=copy|reverse: held-out pairs.", lower_bound=1)
flags.DEFINE_string("train_data", "", "UTF-8 text, one sentence per line. Empty: the synthetic oracle task.")
flags.DEFINE_string("test_data", "", "Held-out test split; empty: --heldout_fraction of --train_data.")
flags.DEFINE_float("heldout_fraction", 0.1, "Share of --train_data held out when --test_data is empty.",
                   lower_bound=0.0, upper_bound=0.9)
flags.DEFINE_enum("tokenizer", "word", ["word", "whitespace", "char"], "How lines are split into tokens.")
flags.DEFINE_integer("min_count", 1, "Tokens seen fewer times become <unk>.", lower_bound=1)
flags.DEFINE_integer("max_vocab_size", 0, "Keep at most this many tokens (specials included); 0: all.",
                     lower_bound=0)
flags.DEFINE_integer("max_length", 0, "Max tokens per sentence (eos not counted); 0: the longest.", lower_bound=0)
flags.DEFINE_enum("long_sentences", "drop", ["drop", "truncate"], "What to do with longer sentences.")
flags.DEFINE_string("oracle_params", "", "Oracle LSTM .npz (e.g. ../shared/data/seqgan_oracle_lstm.npz); "
                    "empty: an oracle drawn from --oracle_seed with SeqGAN's recipe.")
flags.DEFINE_integer("oracle_seed", 88, "Seed of the random oracle.")
flags.DEFINE_integer("oracle_vocab_size", 5000, "Random oracle vocabulary.", lower_bound=2)
flags.DEFINE_integer("oracle_embedding_dim", 32, "Random oracle embedding size.", lower_bound=1)
flags.DEFINE_integer("oracle_hidden_dim", 32, "Random oracle hidden size.", lower_bound=1)
flags.DEFINE_integer("oracle_length", 20, "Oracle sequence length T.", lower_bound=1)
flags.DEFINE_integer("oracle_num_train", 10000, "Training sequences sampled from the oracle.", lower_bound=1)
flags.DEFINE_integer("oracle_num_test", 10000, "Held-out sequences sampled from the oracle.", lower_bound=1)
flags.DEFINE_integer("oracle_data_seed", 0, "Seed of the oracle's training and held-out samples.")
# --- generator
flags.DEFINE_integer("embedding_dim", 32, "Generator embedding size.", lower_bound=1)
flags.DEFINE_integer("hidden_dim", 32, "Generator LSTM size.", lower_bound=1)
flags.DEFINE_integer("num_layers", 1, "Generator LSTM layers.", lower_bound=1)
flags.DEFINE_float("dropout", 0.0, "Generator dropout rate.", lower_bound=0.0, upper_bound=0.95)
flags.DEFINE_float("init_stddev", 0.0, "Initialise every generator weight from N(0, this) (SeqGAN: 0.1); "
                   "0: Keras defaults.", lower_bound=0.0)
# --- conditional generator (conditional tasks: --task=parallel|copy|reverse)
flags.DEFINE_enum("attention", "multiplicative", ["multiplicative", "additive"],
                  "Conditional generator: attention scores, Luong's general (h^T W m) or Bahdanau's additive.")
flags.DEFINE_bool("hard_attention", False, "Conditional generator: attend to ONE source position, drawn from the "
                  "attention weights in training (REINFORCE) and the most likely one otherwise.")
flags.DEFINE_integer("memory_hops", 0, "Conditional generator: hops of an end-to-end memory network over the "
                     "source's sentences (split at --memory_separator); 0: none.", lower_bound=0)
flags.DEFINE_string("memory_separator", "|", "--memory_hops > 0: the token between the source's sentences.")
# --- optimisation
flags.DEFINE_integer("batch_size", 64, "Global batch size.", lower_bound=1)
flags.DEFINE_integer("epochs", 10, "Training epochs (ignored when --steps > 0).", lower_bound=0)
flags.DEFINE_integer("steps", 0, "Training steps; 0: use --epochs.", lower_bound=0)
flags.DEFINE_float("learning_rate", 0.01, "Adam learning rate.", lower_bound=0.0)
flags.DEFINE_float("grad_clip", 5.0, "Global-norm gradient clip; 0: none.", lower_bound=0.0)
flags.DEFINE_integer("seed", 1, "Seed of initialisation, data order, dropout and sampling.")
# --- monitoring
flags.DEFINE_integer("eval_every", 0, "Evaluate every N steps; 0: once per epoch.", lower_bound=0)
flags.DEFINE_integer("checkpoint_every", 0, "Checkpoint every N steps; 0: once per epoch.", lower_bound=0)
flags.DEFINE_integer("summary_every", 10, "Write training scalars every N steps.", lower_bound=1)
flags.DEFINE_integer("keep_checkpoints", 3, "Checkpoints kept.", lower_bound=1)
flags.DEFINE_integer("num_eval_samples", 10000, "Samples drawn for NLL-oracle and the samples file.",
                     lower_bound=1)
flags.DEFINE_float("eval_temperature", 1.0, "Sampling temperature of evaluation.", lower_bound=1e-3)
flags.DEFINE_integer("samples_to_write", 1000, "Generated sentences written per evaluation.", lower_bound=0)
flags.DEFINE_string("export_name", "", "At the end of training, export the generator as the SavedModel "
                    "savedmodels/<export_name>/<next version> under the current directory (see tfgan_text.export); "
                    "empty: no export.")


def with_default_flagfile(argv: list[str]) -> list[str]:
    """Puts flags/<method>.cfg first when no --flagfile is given, so the command line wins."""
    if any(arg.startswith(("--flagfile", "-flagfile")) for arg in argv[1:]):
        return argv
    method = "mle"
    for arg in argv[1:]:
        if arg.startswith("--method="):
            method = arg.split("=", 1)[1]
    path = os.path.join(FLAGS_DIR, f"{method}.cfg")
    return argv[:1] + ([f"--flagfile={path}"] if os.path.exists(path) else []) + argv[1:]


def parse_flags(argv: list[str]):
    """Parses argv into FLAGS; returns a plain namespace of every flag value."""
    import types

    import tfgan_text.methods  # noqa: F401  (defines the method and evaluation flags before parsing)

    parse_command_line(FLAGS, with_default_flagfile(argv))
    return types.SimpleNamespace(**{name: FLAGS[name].value for name in FLAGS})


def build_task(config, vocabulary=None, log=print):
    """The oracle task, or the corpus task when --train_data is given."""
    from tfgan_text.data import tasks
    from tfgan_text.data.tokenizers import get_tokenizer
    from tfgan_text.models import oracle

    kind = config.task if config.task != "auto" else ("corpus" if config.train_data else "oracle")
    if kind in ("copy", "reverse"):
        from tfgan_text.data.parallel import mapping_task

        if config.train_data or config.test_data:
            raise UsageError(f"--task={kind}: the embedded task reads no --train_data/--test_data")
        return mapping_task(kind, config.mapping_num_symbols, config.mapping_min_length, config.mapping_max_length,
                            config.mapping_num_train, config.mapping_num_test, config.oracle_data_seed)
    if kind in ("corpus", "parallel") and not config.train_data:
        raise UsageError(f"--task={kind}: needs --train_data")
    if kind == "parallel":
        from tfgan_text.data.parallel import parallel_task

        return parallel_task(config.train_data, config.test_data or None, get_tokenizer(config.tokenizer),
                             config.min_count, config.max_vocab_size, config.max_length, config.max_source_length,
                             config.long_sentences, config.heldout_fraction, config.seed, vocabulary, log)
    if kind == "corpus":
        return tasks.corpus_task(config.train_data, config.test_data or None, get_tokenizer(config.tokenizer),
                                 config.min_count, config.max_vocab_size, config.max_length,
                                 config.long_sentences, config.heldout_fraction, config.seed, vocabulary, log)
    if config.train_data or config.test_data:
        raise UsageError("--task=oracle: reads no --train_data/--test_data (it samples its own data sets)")
    if config.oracle_params:
        params = oracle.load_oracle_parameters(config.oracle_params)
        source = config.oracle_params
    else:
        params = oracle.random_oracle_parameters(config.oracle_seed, config.oracle_vocab_size,
                                                 config.oracle_embedding_dim, config.oracle_hidden_dim)
        source = f"random oracle, --oracle_seed={config.oracle_seed}"
    log(f"oracle task: {source}; {config.oracle_num_train:,} training and {config.oracle_num_test:,} "
        f"held-out sequences of length {config.oracle_length}")
    return tasks.oracle_task(oracle.build_oracle(params), config.oracle_length, config.oracle_num_train,
                             config.oracle_num_test, config.oracle_data_seed)


def train(config, log=print) -> dict[str, float]:
    """Validates everything, then trains; nothing is written before validation passes."""
    import time

    from tfgan_text.data.pipeline import steps_per_epoch
    from tfgan_text.methods import CONDITIONAL_METHODS, METHODS
    from tfgan_text.training.run_dir import RunDirectory
    from tfgan_text.training.trainer import Trainer, is_chief, make_strategy, model_identity

    if config.method not in METHODS:
        raise UsageError(f"--method={config.method}: unknown method; available: {', '.join(sorted(METHODS))}")
    if config.task in ("parallel", "copy", "reverse") and config.method not in CONDITIONAL_METHODS:
        raise UsageError(f"--task={config.task}: a conditional task; --method={config.method} generates "
                         f"unconditionally (conditional methods: {', '.join(CONDITIONAL_METHODS)})")
    strategy = make_strategy(config.strategy)  # first: a multi-worker strategy must precede any other TF work
    chief = is_chief(strategy)
    if config.export_name:
        from tfgan_text.export import check_model_name

        check_model_name(config.export_name, "--export_name")
    if config.resume and not config.logdir:
        raise UsageError("--resume needs --logdir (the run to continue)")
    logdir = config.logdir or os.path.join("runs", f"{config.method}-{time.strftime('%Y%m%d-%H%M%S')}")
    run_dir = RunDirectory(logdir)
    task = build_task(config, log=log)
    per_epoch = steps_per_epoch(len(task.train), config.batch_size)
    if per_epoch < 1:
        raise UsageError(f"--batch_size={config.batch_size}: larger than the {len(task.train)} training sequences")
    config.eval_every = config.eval_every or per_epoch
    config.checkpoint_every = config.checkpoint_every or per_epoch
    identity = model_identity(config, task, getattr(METHODS[config.method], "identity_flags", ()))
    if config.resume:
        run_dir.check_resumable(identity)  # every worker restores from the chief's run directory
    elif chief:
        run_dir.check_new()
    log(f"{config.method} on {task.name}: {len(task.train):,} training sequences, vocabulary "
        f"{task.spec.vocab_size:,}, length {task.spec.max_length}; NLL-test on {task.test_description}")
    trainer = Trainer(METHODS[config.method], task, config, run_dir, strategy=strategy, log=log)
    if not config.resume and chief:
        run_dir.create(identity, task, FLAGS.flags_into_string())
    log(f"run directory: {logdir} (tensorboard --logdir {logdir})")
    metrics = trainer.train(resume=config.resume)
    if config.export_name and chief:
        from tfgan_text.export import export_generator

        export_generator(trainer.method.generator, task, "savedmodels", config.export_name, log=log)
    return metrics


def run(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code."""
    from tfgan_text.training.trainer import TrainingDiverged

    argv = list(sys.argv if argv is None else argv)
    try:
        config = parse_flags(argv)
        train(config)
    except UsageError as e:
        print(f"tfgan-text: error: {e}", file=sys.stderr)
        return e.exit_code
    except TrainingDiverged as e:
        print(f"tfgan-text: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run())
