"""Quality-diversity temperature sweeps (Caccia et al. 2020):

    python -m tfgan_text.sweep --checkpoint_dirs=runs/a,runs/b --temperatures=0.5,0.75,1.0,1.25,1.5 --out=DIR

Each run is sampled at every temperature T and judged, per T,
- synthetic tasks: NLL-oracle (quality: the oracle's NLL of samples drawn at T;
  on the grammar task also the grammatical share of those samples)
  and NLL-test (diversity/coverage: the held-out oracle samples scored under
  the tempered model softmax(logits / T), the distribution that is sampled;
  scoring them under T = 1 would give the same number at every T);
- real text: BLEU-5 against the test split (quality), Self-BLEU-5 (diversity),
  LM score (quality) and reverse LM score (diversity), plus NLL-test at T.
Writes DIR/sweep.csv (one row per run and temperature) and DIR/sweep.png with
one curve per run, quality on x and diversity on y, each point labelled with
its temperature: the curve nearest the lower-left corner (NLLs, LM scores,
Self-BLEU) dominates; for BLEU-5, higher is better, so the best curve is to
the right and low.
"""
from __future__ import annotations

import csv
import json
import os
import sys
import textwrap

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from tfgan_text.cli import define_config_flags, parse, run_command  # noqa: E402
from tfgan_text.config import (ConfigError, LanguageModelScoreConfig, all_fields, read_config_json,  # noqa: E402
                               read_flagfile)
from tfgan_text.errors import UsageError  # noqa: E402

CLI_FLAGS = flags.FlagValues()
flags.DEFINE_list("checkpoint_dirs", [], "Run directories to compare (comma-separated).", flag_values=CLI_FLAGS)
flags.DEFINE_list("temperatures", ["0.5", "0.75", "1.0", "1.25", "1.5"], "Sampling temperatures.",
                  flag_values=CLI_FLAGS)
flags.DEFINE_string("out", "", "Output directory (sweep.csv, sweep.png).", flag_values=CLI_FLAGS)
flags.DEFINE_integer("num_samples", 10000, "Samples per run and temperature.", lower_bound=2, flag_values=CLI_FLAGS)
flags.DEFINE_integer("seed", 0, "Sampling seed (the same at every temperature).", flag_values=CLI_FLAGS)
flags.DEFINE_bool("lm", True, "Real text: also LM and reverse LM scores (one reverse LM per run and temperature).",
                  flag_values=CLI_FLAGS)
define_config_flags(CLI_FLAGS, [LanguageModelScoreConfig])

# (quality column, diversity column, axis labels) per plot panel.
ORACLE_PANELS = [("nll_oracle", "nll_test", "NLL-oracle (quality, lower is better)",
                  "NLL-test at T (coverage, lower is better)")]
CORPUS_PANELS = [("bleu_5", "self_bleu_5", "BLEU-5 vs test (quality, higher is better)",
                  "Self-BLEU-5 (diversity, lower is better)"),
                 ("lm_score", "reverse_lm_score", "LM score (quality, lower is better)",
                  "reverse LM score (diversity, lower is better)")]


# What decides the held-out data a sweep scores, per task (beside the task and its vocabulary): runs that differ
# in one of these give numbers on different data, which one plot would compare as if they were not.
EVALUATION_DATA_FIELDS = {
    "oracle": ("oracle_params", "oracle_seed", "oracle_vocab_size", "oracle_embedding_dim", "oracle_hidden_dim",
               "oracle_length", "oracle_num_test", "oracle_data_seed"),
    "grammar": ("oracle_num_test", "oracle_data_seed"),
    "corpus": ("train_data", "test_data", "heldout_fraction", "seed"),
}
IDENTITY_KEYS = ("task", "vocab_size", "sequence_length", "vocabulary_sha")


def saved_evaluation_data(directory: str) -> dict | None:
    """The task, vocabulary and evaluation-data settings of the run in `directory` (or its checkpoints/),
    from its run.json and config.json (flags.cfg for older runs) alone; None when they do not read (loading
    the run then says why). Reads the files without TensorFlow, so that a sweep of runs that cannot be
    compared stops in a second, before any run is loaded."""
    checkpoints = os.path.join(directory, "checkpoints")
    if not os.path.isdir(checkpoints) and os.path.basename(os.path.normpath(directory)) == "checkpoints":
        checkpoints = directory  # given <run>/checkpoints, as load_run accepts
    try:
        with open(os.path.join(checkpoints, "run.json"), encoding="utf-8") as f:
            identity = json.load(f)
        config_json, flags_cfg = os.path.join(checkpoints, "config.json"), os.path.join(checkpoints, "flags.cfg")
        values = (read_config_json(config_json)[1] if os.path.exists(config_json)
                  else read_flagfile(flags_cfg, unknown="skip")[1])
    except (OSError, ValueError, ConfigError, AttributeError):
        return None
    fields = all_fields()  # an older run's flags.cfg holds only the flags it set
    described = {key: identity.get(key) for key in IDENTITY_KEYS if key in identity}
    for name in EVALUATION_DATA_FIELDS.get(identity.get("task"), ()):
        described[name] = values.get(name, fields[name].default)
    return described


def check_comparable(directories: list[str]) -> None:
    """A UsageError naming the first two runs that a sweep cannot put on one plot, and how they differ."""
    first = None
    for directory in directories:
        described = saved_evaluation_data(directory)
        if described is None:
            continue
        if first is None:
            first = directory, described
            continue
        keys = ["task"] if first[1].get("task") != described.get("task") else dict.fromkeys([*first[1], *described])
        differences = [f"{key} {first[1].get(key)} vs {described.get(key)}" for key in keys
                       if first[1].get(key) != described.get(key)]  # another task: its other fields follow from it
        if differences:
            raise UsageError(f"--checkpoint_dirs: {first[0]} and {directory} cannot be compared (their samples "
                             f"would be scored on different data): {'; '.join(differences)}")


def parse_temperatures(values: list[str]) -> list[float]:
    try:
        temperatures = [float(value) for value in values]
    except ValueError:
        raise UsageError(f"--temperatures={','.join(values)}: not a list of numbers") from None
    if not temperatures or any(not t > 0 for t in temperatures):
        raise UsageError(f"--temperatures={','.join(values)}: give one or more temperatures > 0")
    return temperatures


def sweep_run(loaded, temperatures: list[float], num_samples: int, seed: int, lm_config=None,
              log=print) -> list[dict]:
    """One row of metrics per temperature for one restored run (see the module docstring)."""
    import tensorflow as tf

    from tfgan_text.evaluation import tempered_nll, word_tokens
    from tfgan_text.metrics.evaluators import grammatical_share
    from tfgan_text.metrics.likelihood import NegativeLogLikelihood
    from tfgan_text.sampling import Sampler

    task, generator = loaded.task, loaded.generator
    sampler = Sampler(generator, task.spec)
    rows = []
    if task.oracle is not None:
        oracle_nll = NegativeLogLikelihood(task.oracle, task.spec)
    else:
        from tfgan_text.metrics.bleu import BleuScorer, self_bleu
        from tfgan_text.metrics.language_model_scores import lm_score, reverse_lm_score, train_language_model

        references = BleuScorer(word_tokens(task, task.test), max_n=5)
        real_lm = train_language_model(task.train, task.spec, lm_config) if lm_config else None
    for temperature in temperatures:
        tokens = sampler(num_samples, tf.constant([seed, 0], tf.int32), temperature).tokens.numpy()
        row = {"run": os.path.basename(os.path.normpath(loaded.run_dir)), "method": loaded.method,
               "step": loaded.step, "temperature": temperature, "num_samples": num_samples}
        if task.oracle is not None:
            row["nll_oracle"] = oracle_nll(tokens)
            row.update(grammatical_share(task, tokens))
        else:
            hypotheses = word_tokens(task, tokens)
            row["bleu_5"] = references.score(hypotheses, 5)
            row["self_bleu_5"] = self_bleu(hypotheses, orders=(5,))[5]
            if lm_config:
                row["lm_score"] = lm_score(task.train, tokens, task.spec, lm_config, real_lm)
                row["reverse_lm_score"] = reverse_lm_score(tokens, task.test, task.spec, lm_config)
        row["nll_test"] = tempered_nll(generator, task.spec, task.test, temperature)
        log(" ".join(f"{key}={value:.4f}" if isinstance(value, float) else f"{key}={value}"
                     for key, value in row.items()))
        rows.append(row)
    return rows


def write_csv(rows: list[dict], path: str) -> None:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with open(path + ".tmp", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(path + ".tmp", path)


def plot(rows: list[dict], path: str, title: str) -> None:
    """One panel per (quality, diversity) pair, one curve per run, points labelled with T."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [panel for panel in ORACLE_PANELS + CORPUS_PANELS if all(panel[0] in row and panel[1] in row
                                                                       for row in rows)]
    figure, axes = plt.subplots(1, len(panels), figsize=(6.4 * len(panels), 4.8), squeeze=False)
    for axis, (x_key, y_key, x_label, y_label) in zip(axes[0], panels):
        for run in dict.fromkeys(row["run"] for row in rows):
            points = sorted((row for row in rows if row["run"] == run), key=lambda row: row["temperature"])
            xs, ys = [row[x_key] for row in points], [row[y_key] for row in points]
            axis.plot(xs, ys, marker="o", label=f"{run} ({points[0]['method']})")
            for row, x, y in zip(points, xs, ys):
                axis.annotate(f"T={row['temperature']:g}", (x, y), textcoords="offset points", xytext=(4, 4),
                              fontsize=8)
        axis.set_xlabel(x_label)
        axis.set_ylabel(y_label)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle(textwrap.fill(title, 70 * len(panels)), fontsize=9)
    figure.tight_layout()
    figure.savefig(path + ".tmp.png", dpi=120)
    plt.close(figure)
    os.replace(path + ".tmp.png", path)


def main(argv: list[str]) -> None:
    log = lambda message: print(message, file=sys.stderr)  # noqa: E731
    c = parse(CLI_FLAGS, argv, __doc__)
    if not c.checkpoint_dirs:
        raise UsageError("--checkpoint_dirs is required (comma-separated run directories)")
    if not c.out:
        raise UsageError("--out is required (a directory for sweep.csv and sweep.png)")
    if os.path.exists(c.out) and not os.path.isdir(c.out):
        raise UsageError(f"--out={c.out}: exists and is not a directory")
    temperatures = parse_temperatures(list(c.temperatures))
    check_comparable(list(c.checkpoint_dirs))  # before loading any run: loading one can take a minute
    from tfgan_text.evaluate import lm_config_from
    from tfgan_text.training.restore import load_run

    runs = [load_run(directory, flag="--checkpoint_dirs", log=log) for directory in c.checkpoint_dirs]
    lm_config = lm_config_from(CLI_FLAGS) if c.lm else None
    rows = []
    for loaded in runs:
        rows += sweep_run(loaded, temperatures, c.num_samples, c.seed, lm_config, log=log)
    os.makedirs(c.out, exist_ok=True)
    csv_path, png_path = os.path.join(c.out, "sweep.csv"), os.path.join(c.out, "sweep.png")
    write_csv(rows, csv_path)
    task = runs[0].task
    plot(rows, png_path, f"temperature sweep, {c.num_samples:,} samples per point; NLL-test on "
                         f"{task.test_description}")
    print(f"written: {csv_path} and {png_path}")


def run(argv: list[str] | None = None) -> int:
    return run_command("tfgan-text sweep", main, argv)


if __name__ == "__main__":
    sys.exit(run())
