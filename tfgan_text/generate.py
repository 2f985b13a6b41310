"""Writes generated sentences, one per line, from an exported SavedModel or straight from a run.

    python -m tfgan_text.generate --savedmodel=savedmodels/<name>/<version> --num_samples=100 [--out=file]
    python -m tfgan_text.generate --checkpoint_dir=runs/x --num_samples=100
    python -m tfgan_text.generate --savedmodel=... --sources=sources.txt   # a conditional model: one answer
                                                                            # per source line

With --savedmodel only TensorFlow is needed (no Keras, tensorflow-probability or tensorflow-text):
the SavedModel's own `serving_default` signature samples and detokenises. With --checkpoint_dir the
same serving computation is built in-process from the run's latest checkpoint, so both give the
same sentences for the same flags (and --batch_size). Requests are split into batches of
--batch_size (default: the model's limit) with batch_index 0, 1, ..., each its own random stream.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from tfgan_text.cli import parse, run_command  # noqa: E402
from tfgan_text.errors import UsageError  # noqa: E402

CLI_FLAGS = flags.FlagValues()
flags.DEFINE_string("savedmodel", "", "Version folder of an exported model (savedmodels/<name>/<version>).",
                    flag_values=CLI_FLAGS)
flags.DEFINE_string("checkpoint_dir", "", "Run directory to sample from directly (instead of --savedmodel).",
                    flag_values=CLI_FLAGS)
flags.DEFINE_integer("num_samples", 10, "Sentences to write.", lower_bound=1, flag_values=CLI_FLAGS)
flags.DEFINE_float("temperature", 1.0, "Sampling temperature (> 0).", flag_values=CLI_FLAGS)
flags.DEFINE_integer("seed", 0, "Seed of the random stream (same seed, same sentences).", flag_values=CLI_FLAGS)
flags.DEFINE_integer("top_k", 0, "Sample among the k most likely tokens only; 0: all.", lower_bound=0,
                     flag_values=CLI_FLAGS)
flags.DEFINE_integer("max_length", 0, "Keep at most this many tokens per sequence; 0: the model's length.",
                     lower_bound=0, flag_values=CLI_FLAGS)
flags.DEFINE_integer("batch_size", 0, "Sequences per call (each batch its own random stream); 0: the limit "
                     "set at export (--max_num_samples, 1000 by default).", lower_bound=0, flag_values=CLI_FLAGS)
flags.DEFINE_string("sources", "", "Conditional models (and only they): a UTF-8 file of source texts, one per "
                    "line; one answer is written per source, in order (--num_samples is ignored).",
                    flag_values=CLI_FLAGS)
flags.DEFINE_string("out", "", "Output file (written atomically); empty: standard output.", flag_values=CLI_FLAGS)


def generate_texts(generate_fn, num_samples: int, batch_size: int, temperature: float, seed: int,
                   top_k: int = 0, max_length: int = 0) -> list[str]:
    """Calls a `serving_default`-like function in batches of at most `batch_size`."""
    import tensorflow as tf

    texts = []
    for batch_index, start in enumerate(range(0, num_samples, batch_size)):
        outputs = generate_fn(num_samples=tf.constant(min(batch_size, num_samples - start), tf.int32),
                              temperature=tf.constant(temperature, tf.float32), seed=tf.constant(seed, tf.int32),
                              max_length=tf.constant(max_length, tf.int32), top_k=tf.constant(top_k, tf.int32),
                              batch_index=tf.constant(batch_index, tf.int32))
        texts.extend(text.decode("utf-8") for text in outputs["texts"].numpy())
    return texts


def answer_sources(generate_fn, sources: list[str], batch_size: int, temperature: float, seed: int,
                   top_k: int = 0) -> list[str]:
    """Calls a conditional `serving_default` on `sources` in batches of at most `batch_size`."""
    import tensorflow as tf

    texts = []
    for batch_index, start in enumerate(range(0, len(sources), batch_size)):
        outputs = generate_fn(source_texts=tf.constant(sources[start:start + batch_size]),
                              temperature=tf.constant(temperature, tf.float32), seed=tf.constant(seed, tf.int32),
                              top_k=tf.constant(top_k, tf.int32), batch_index=tf.constant(batch_index, tf.int32))
        texts.extend(text.decode("utf-8") for text in outputs["texts"].numpy())
    return texts


def _from_savedmodel(path: str):
    import tensorflow as tf

    where = f"--savedmodel={path}"
    if not os.path.isfile(os.path.join(path, "saved_model.pb")):
        hint = " (give the version folder, e.g. savedmodels/<name>/1)" if os.path.isdir(path) else ""
        raise UsageError(f"{where}: no saved_model.pb{hint}")
    loaded = tf.saved_model.load(path)
    if "serving_default" not in loaded.signatures or not hasattr(loaded, "describe"):
        raise UsageError(f"{where}: not a tfgan_text export (no serving_default signature / describe)")
    described = {key: int(value) for key, value in loaded.describe().items()}
    return loaded.signatures["serving_default"], described


def _from_checkpoint(checkpoint_dir: str):
    from tfgan_text.serving import ConditionalServingModule, ServingModule
    from tfgan_text.training.restore import load_run

    loaded = load_run(checkpoint_dir, full_task=False, log=lambda message: print(message, file=sys.stderr))
    task, generator = loaded.task, loaded.generator
    module = (ConditionalServingModule if task.conditional else ServingModule)(generator, task)
    return module.generate, {key: int(value) for key, value in module.describe().items()}


def main(argv: list[str]) -> None:
    c = parse(CLI_FLAGS, argv, __doc__)
    if bool(c.savedmodel) == bool(c.checkpoint_dir):
        raise UsageError("give exactly one of --savedmodel (an exported version folder) and --checkpoint_dir")
    if not c.temperature > 0:
        raise UsageError(f"--temperature={c.temperature}: must be > 0")
    if c.out and os.path.isdir(c.out):
        raise UsageError(f"--out={c.out}: is a directory")
    if c.out and not os.path.isdir(os.path.dirname(os.path.abspath(c.out))):
        raise UsageError(f"--out={c.out}: its directory does not exist")
    generate_fn, described = (_from_savedmodel(c.savedmodel) if c.savedmodel
                              else _from_checkpoint(c.checkpoint_dir))
    if c.max_length > described["max_length"]:
        raise UsageError(f"--max_length={c.max_length}: the model's sequences have {described['max_length']}")
    if c.top_k > described["vocab_size"]:
        raise UsageError(f"--top_k={c.top_k}: larger than the vocabulary ({described['vocab_size']})")
    if c.batch_size > described["max_num_samples"]:
        raise UsageError(f"--batch_size={c.batch_size}: the model serves at most {described['max_num_samples']} "
                         "sequences per call")
    batch_size = c.batch_size or described["max_num_samples"]
    conditional = "max_source_length" in described
    if conditional != bool(c.sources):
        raise UsageError("--sources: a conditional model answers the source texts of --sources (and only it "
                         f"does); this model is {'conditional' if conditional else 'unconditional'}")
    if conditional:
        from tfgan_text.data.corpus import read_lines

        import tensorflow as tf

        try:
            texts = answer_sources(generate_fn, read_lines(c.sources, "sources"), batch_size, c.temperature,
                                   c.seed, c.top_k)
        except tf.errors.InvalidArgumentError as e:  # the served model's own input checks
            raise UsageError(f"--sources={c.sources}: {e.message.splitlines()[0]}") from None
    else:
        texts = generate_texts(generate_fn, c.num_samples, batch_size, c.temperature, c.seed, c.top_k,
                               c.max_length)
    lines = "".join(text + "\n" for text in texts)
    if c.out:
        with open(c.out + ".tmp", "w", encoding="utf-8") as f:
            f.write(lines)
        os.replace(c.out + ".tmp", c.out)
    else:
        sys.stdout.write(lines)


def run(argv: list[str] | None = None) -> int:
    return run_command("tfgan-text generate", main, argv)


if __name__ == "__main__":
    sys.exit(run())
