"""Command line: the benchmark platform. Every method of a suite, trained over several seeds, each run swept
over one grid of temperatures, compared at temperature 1 and along its quality-diversity frontier:

    python -m tfgan_text.benchmark --suite=grammar --budget=smoke --seeds=2 --out=benchmark_runs

Suites (the task): grammar (the embedded grammar, exact oracle), oracle / oracle40 (the fixed SeqGAN oracle at
length 20 / 40, from --data_dir), coco (Image COCO captions, Texygen's protocol, from --data_dir), custom
(--train_data, optional --test_data). Budgets (the schedule): smoke (every method in seconds; what the tests
run), cpu (each method's default preset, flags/<method>.cfg: a few minutes a run on 2 cores), paper (the
published schedules, flags/<method>_oracle.cfg or _coco.cfg, for GPUs; methods without one are skipped).

Each experiment is an ordinary run directory, <out>/<suite>-<budget>/<method>/seed<k>, trained by the same
code as `python -m tfgan_text.main`: a killed benchmark started again skips finished runs and resumes a
half-finished one exactly. Outputs in <out>/<suite>-<budget>/: results.json (every number with its run, seed,
temperature, schedule, machine and date), results.md (the table at temperature 1, mean and std over seeds,
beside the published figures; the frontier table with each method's verdict against MLE), frontier.png.
"""
from __future__ import annotations

import dataclasses
import json
import os
import platform
import statistics
import sys
import time

from absl import flags

from tfgan_text.cli import parse, run_command
from tfgan_text.errors import UsageError

TEMPERATURES = (0.5, 0.75, 1.0, 1.25, 1.5)
BUDGETS = ("smoke", "cpu", "paper")
METHOD_ORDER = ("mle", "seqgan", "maligan", "rankgan", "leakgan", "wgan_gp", "scratchgan", "cot")


@dataclasses.dataclass(frozen=True)
class Suite:
    """A benchmark task: its config fields (`{data}` stands for --data_dir), the frontier's axes and the
    published figures at temperature 1 with how their protocol differs."""
    name: str
    task: dict
    quality: str  # x of the frontier (lower is better unless `higher_quality`)
    diversity: str  # y of the frontier (lower is better)
    published: dict = dataclasses.field(default_factory=dict)  # {method: {metric: value}}
    protocol_note: str = ""
    higher_quality: bool = False
    paper_preset: str = "oracle"  # flags/<method>_<this>.cfg holds the published schedule


ORACLE_PUBLISHED = {"mle": {"nll_oracle": 9.038}, "seqgan": {"nll_oracle": 8.736},
                    "rankgan": {"nll_oracle": 8.247}, "leakgan": {"nll_oracle": 7.038}}
COCO_PUBLISHED = {  # Texygen's README, BLEU-5 / Self-BLEU-5 (../shared/data/README.md)
    "mle": {"bleu_5": 0.189, "self_bleu_5": 0.408}, "seqgan": {"bleu_5": 0.180, "self_bleu_5": 0.489},
    "maligan": {"bleu_5": 0.159, "self_bleu_5": 0.437}, "rankgan": {"bleu_5": 0.156, "self_bleu_5": 0.618},
    "leakgan": {"bleu_5": 0.230, "self_bleu_5": 0.780}}
SUITES = {suite.name: suite for suite in [
    Suite("grammar", {"task": "grammar"}, "nll_oracle", "nll_test"),
    Suite("oracle", {"task": "oracle", "oracle_params": "{data}/seqgan_oracle_lstm.npz", "oracle_length": 20},
          "nll_oracle", "nll_test", ORACLE_PUBLISHED,
          "Published NLL-oracle comes from each paper's own schedule and sampling; LeakGAN's 7.038 sampled "
          "with logits x 1.5 (temperature 2/3) for NLL-oracle and at 1 for NLL-test."),
    Suite("oracle40", {"task": "oracle", "oracle_params": "{data}/seqgan_oracle_lstm.npz", "oracle_length": 40},
          "nll_oracle", "nll_test"),
    Suite("coco", {"task": "corpus", "train_data": "{data}/coco_train.txt", "test_data": "{data}/coco_test.txt"},
          "bleu_5", "self_bleu_5", COCO_PUBLISHED,
          "Texygen's BLEU: nltk sentence BLEU (smoothing 1) of its samples against the test split, as here; its "
          "NLL-test was measured on the training data.", higher_quality=True, paper_preset="coco"),
    Suite("custom", {"task": "corpus"}, "bleu_5", "self_bleu_5", higher_quality=True, paper_preset="coco"),
]}

# The smoke budget: tiny models and a few steps of every phase, so that every method runs in seconds.
SMOKE_COMMON = dict(embedding_dim=8, hidden_dim=16, batch_size=32, learning_rate=0.01, grad_clip=5.0,
                    oracle_num_train=256, oracle_num_test=64, num_eval_samples=64, interim_eval_samples=64,
                    eval_every=10**6, checkpoint_every=2, samples_to_write=8)
SMOKE_ADVERSARIAL = dict(pretrain_epochs=1, discriminator_pretrain_rounds=1, adversarial_steps=2,
                         discriminator_rounds=1, discriminator_negatives=32, discriminator_batch_size=16,
                         discriminator_epochs=1, discriminator_embedding_dim=8, discriminator_filter_widths=(2, 3),
                         discriminator_num_filters=(4, 4))
SMOKE_METHOD = {
    "mle": dict(steps=6, epochs=0),
    "seqgan": dict(SMOKE_ADVERSARIAL, rollout_num=2),
    "maligan": dict(SMOKE_ADVERSARIAL),
    "rankgan": dict(SMOKE_ADVERSARIAL, rollout_num=2, rankgan_reference_size=4, rankgan_generator_batch=8),
    "leakgan": dict(SMOKE_ADVERSARIAL, rollout_num=2, leakgan_pretrain_cycles=1,
                    leakgan_pretrain_discriminator_rounds=1, discriminator_pretrain_rounds=0),
    "wgan_gp": dict(steps=4, critic_steps=2, wgan_dim=8, wgan_noise_dim=8, wgan_residual_blocks=1),
    "scratchgan": dict(steps=4, discriminator_embedding_dim=8, discriminator_hidden_dim=16),
    "cot": dict(steps=4, mediator_embedding_dim=8, mediator_hidden_dim=16),
}
SMOKE_TEMPERATURES, SMOKE_SAMPLES = (0.75, 1.0, 1.5), 64


@dataclasses.dataclass(frozen=True)
class Experiment:
    method: str
    seed: int
    logdir: str
    config: object  # the method's typed config


def experiments(suite: Suite, budget: str, methods: list[str], seeds: int, folder: str, data_dir: str,
                train_data: str = "", test_data: str = "") -> list[Experiment]:
    """The runs of `suite` x `budget`: one per method and seed (a method without a published schedule is
    left out of the paper budget)."""
    from tfgan_text.config import ConfigError, preset_path
    from tfgan_text.methods import get_method

    task = {key: value.format(data=data_dir) if isinstance(value, str) else value
            for key, value in suite.task.items()}
    if suite.name == "custom":
        if not train_data:
            raise UsageError("--suite=custom: needs --train_data (and optionally --test_data)")
        task.update(train_data=train_data, test_data=test_data)
    for key in ("oracle_params", "train_data", "test_data"):
        if task.get(key) and not os.path.isfile(task[key]):
            raise UsageError(f"--suite={suite.name}: {task[key]} is missing (--data_dir={data_dir})")
    chosen = []
    for method in methods:
        config_class = get_method(method).config_class
        preset = {"smoke": method, "cpu": method, "paper": f"{method}_{suite.paper_preset}"}[budget]
        try:
            preset_path(preset)
        except ConfigError:
            continue  # no published schedule for this method on this suite
        overrides = dict(SMOKE_COMMON, **SMOKE_METHOD.get(method, {})) if budget == "smoke" else {}
        valid = {f.name for f in config_class.fields()}
        for seed in range(seeds):
            values = {**overrides, **task, "seed": seed}
            config = config_class.from_preset(preset, **{k: v for k, v in values.items() if k in valid})
            chosen.append(Experiment(method, seed, os.path.join(folder, method, f"seed{seed}"), config))
    return chosen


def run_experiment(experiment: Experiment, temperatures: tuple, num_samples: int, log) -> dict:
    """Trains (or resumes) the run and sweeps it over `temperatures`; the result is kept in the run
    directory (benchmark.json), so a finished experiment is never run again."""
    from tfgan_text import api
    from tfgan_text.sweep import sweep_run
    from tfgan_text.training.restore import load_run
    from tfgan_text.training.run_dir import RunDirectory, write_atomically

    done = os.path.join(experiment.logdir, "benchmark.json")
    if os.path.exists(done):
        with open(done, encoding="utf-8") as f:
            return json.load(f)
    started = time.time()
    resume = RunDirectory(experiment.logdir).holds_run_files()
    log(f"{'resuming' if resume else 'training'} {experiment.method} seed {experiment.seed} in {experiment.logdir}")
    api.train(experiment.method, experiment.config, logdir=experiment.logdir, resume=resume,
              log=lambda message: None)
    loaded = load_run(experiment.logdir, log=lambda message: None)
    rows = sweep_run(loaded, list(temperatures), num_samples, seed=experiment.seed, log=lambda message: None)
    result = {"method": experiment.method, "seed": experiment.seed, "run": experiment.logdir,
              "step": loaded.step, "seconds": round(time.time() - started, 1), "rows": rows,
              "schedule": experiment.config.to_dict()}
    write_atomically(done, json.dumps(result, indent=1))
    return result


def mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def curve(results: list[dict], method: str, quality: str, diversity: str) -> list[tuple[float, float, float]]:
    """The method's frontier: per temperature, (mean quality, mean diversity, std of diversity) over seeds."""
    by_temperature = {}
    for result in results:
        if result["method"] == method:
            for row in result["rows"]:
                if quality in row and diversity in row:
                    by_temperature.setdefault(row["temperature"], []).append((row[quality], row[diversity]))
    points = []
    for temperature in sorted(by_temperature):
        qs, ds = zip(*by_temperature[temperature])
        points.append((statistics.fmean(qs), *mean_std(list(ds))))
    return sorted(points)


def interpolate(points: list[tuple], level: float) -> float | None:
    """Diversity at quality `level` on a curve sorted by quality (piecewise linear), None outside it."""
    for (q0, d0, *_), (q1, d1, *_) in zip(points, points[1:]):
        if q0 <= level <= q1:
            return d0 if q1 == q0 else d0 + (d1 - d0) * (level - q0) / (q1 - q0)
    return None


def verdict(points: list[tuple], baseline: list[tuple], levels: list[float]) -> str:
    """Against MLE at the quality levels both curves reach: lower diversity metric (NLL-test, Self-BLEU)
    at every level dominates MLE, higher at every level is dominated by it."""
    pairs = [(interpolate(points, level), interpolate(baseline, level)) for level in levels]
    pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
    if not pairs:
        return "no common range with MLE"
    if all(a < b for a, b in pairs):
        return "dominates MLE"
    if all(a > b for a, b in pairs):
        return "dominated by MLE"
    return "crosses MLE"


def write_reports(suite: Suite, budget: str, results: list[dict], folder: str, header: dict) -> None:
    from tfgan_text.training.run_dir import write_atomically

    write_atomically(os.path.join(folder, "results.json"),
                     json.dumps({**header, "experiments": results}, indent=1))
    methods = [m for m in METHOD_ORDER if any(r["method"] == m for r in results)]
    metrics = [name for name in ("nll_oracle", "grammatical", "nll_test", "bleu_5", "self_bleu_5")
               if any(name in row for r in results for row in r["rows"])]
    lines = [f"# Benchmark: suite {suite.name}, budget {budget}", "",
             f"Command: `{header['command']}`", "",
             f"Machine: {header['machine']}; {header['date']}; load {header['load']}. Seeds: {header['seeds']}; "
             f"temperatures {', '.join(f'{t:g}' for t in header['temperatures'])}; "
             f"{header['num_samples']:,} samples per point.", "",
             "## At temperature 1 (mean ± std over seeds)", "",
             "| method | " + " | ".join(metrics) + " | published | minutes per run |",
             "|---|" + "---:|" * (len(metrics) + 2)]
    for method in methods:
        rows = [row for r in results if r["method"] == method for row in r["rows"] if row["temperature"] == 1.0]
        cells = []
        for name in metrics:
            values = [row[name] for row in rows if name in row]
            cells.append("%.3f ± %.3f" % mean_std(values) if values else "")
        published = ", ".join(f"{k} {v:g}" for k, v in suite.published.get(method, {}).items())
        minutes = statistics.fmean(r["seconds"] for r in results if r["method"] == method) / 60
        lines.append(f"| {method} | " + " | ".join(cells) + f" | {published} | {minutes:.1f} |")
    if suite.protocol_note:
        lines += ["", suite.protocol_note]
    baseline = curve(results, "mle", suite.quality, suite.diversity)
    qualities = sorted(q for m in methods for q, *_ in curve(results, m, suite.quality, suite.diversity))
    levels = [qualities[int(i * (len(qualities) - 1) / 4)] for i in range(5)] if qualities else []
    lines += ["", f"## Frontier: {suite.diversity} at equal {suite.quality} (interpolated over temperatures)", "",
              "| method | " + " | ".join(f"{suite.quality} {level:.3f}" for level in levels) + " | verdict |",
              "|---|" + "---:|" * len(levels) + "---|"]
    for method in methods:
        points = curve(results, method, suite.quality, suite.diversity)
        cells = [interpolate(points, level) for level in levels]
        judged = "baseline" if method == "mle" else (verdict(points, baseline, levels) if baseline else "no MLE run")
        lines.append(f"| {method} | " + " | ".join("" if c is None else f"{c:.3f}" for c in cells) + f" | {judged} |")
    lines += ["", f"Lower {suite.diversity} at equal {suite.quality} is better. Plot: frontier.png."]
    write_atomically(os.path.join(folder, "results.md"), "\n".join(lines) + "\n")
    plot_frontier(suite, results, methods, os.path.join(folder, "frontier.png"))


def plot_frontier(suite: Suite, results: list[dict], methods: list[str], path: str) -> None:
    """Every method's mean curve over seeds, with a band of one standard deviation of the diversity metric."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 5))
    for method in methods:
        points = curve(results, method, suite.quality, suite.diversity)
        xs, ys, spread = zip(*points)
        axis.plot(xs, ys, marker="o", label=method, linewidth=2.5 if method == "mle" else 1.5)
        axis.fill_between(xs, [y - s for y, s in zip(ys, spread)], [y + s for y, s in zip(ys, spread)], alpha=0.15)
    better = "higher" if suite.higher_quality else "lower"
    axis.set_xlabel(f"{suite.quality} ({better} is better)")
    axis.set_ylabel(f"{suite.diversity} (lower is better)")
    axis.set_title(f"suite {suite.name}: one point per temperature, mean over seeds", fontsize=10)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path + ".tmp.png", dpi=110)
    plt.close(figure)
    os.replace(path + ".tmp.png", path)


def run_benchmark(suite_name: str, budget: str, methods: list[str], seeds: int, out: str, data_dir: str,
                  train_data: str = "", test_data: str = "", command: str = "", log=print) -> list[dict]:
    """Runs (or finishes) every experiment of the suite and budget, then writes the reports."""
    if suite_name not in SUITES:
        raise UsageError(f"--suite={suite_name}: one of {', '.join(SUITES)}")
    if budget not in BUDGETS:
        raise UsageError(f"--budget={budget}: one of {', '.join(BUDGETS)}")
    unknown = [m for m in methods if m not in METHOD_ORDER]
    if unknown:
        raise UsageError(f"--methods={','.join(methods)}: {unknown[0]} is not an unconditional method "
                         f"({', '.join(METHOD_ORDER)})")
    if seeds < 1:
        raise UsageError(f"--seeds={seeds}: at least 1")
    suite = SUITES[suite_name]
    folder = os.path.join(out, f"{suite.name}-{budget}")
    temperatures, num_samples = (SMOKE_TEMPERATURES, SMOKE_SAMPLES) if budget == "smoke" else (TEMPERATURES, 10000)
    chosen = experiments(suite, budget, methods, seeds, folder, data_dir, train_data, test_data)
    results = [run_experiment(experiment, temperatures, num_samples, log) for experiment in chosen]
    header = {"suite": suite.name, "budget": budget, "seeds": seeds, "temperatures": list(temperatures),
              "num_samples": num_samples, "command": command or "tfgan_text.benchmark.run_benchmark(...)",
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform(terse=True)}",
              "date": time.strftime("%Y-%m-%d"), "load": ", ".join(f"{x:.1f}" for x in os.getloadavg())}
    write_reports(suite, budget, results, folder, header)
    log(f"written: {folder}/results.json, results.md, frontier.png")
    return results


CLI_FLAGS = flags.FlagValues()
flags.DEFINE_string("suite", "grammar", f"One of {', '.join(SUITES)}.", flag_values=CLI_FLAGS)
flags.DEFINE_string("budget", "smoke", f"One of {', '.join(BUDGETS)}.", flag_values=CLI_FLAGS)
flags.DEFINE_list("methods", list(METHOD_ORDER), "Methods to compare (MLE is the baseline of the verdicts).",
                  flag_values=CLI_FLAGS)
flags.DEFINE_integer("seeds", 3, "Seeds per method (runs use seeds 0..N-1).", flag_values=CLI_FLAGS)
flags.DEFINE_string("out", "benchmark_runs", "Folder of the runs and reports.", flag_values=CLI_FLAGS)
flags.DEFINE_string("data_dir", "../shared/data", "Folder of the oracle and COCO files (suites oracle*, coco).",
                    flag_values=CLI_FLAGS)
flags.DEFINE_string("train_data", "", "--suite=custom: the training text.", flag_values=CLI_FLAGS)
flags.DEFINE_string("test_data", "", "--suite=custom: the test text (default: a held-out split).",
                    flag_values=CLI_FLAGS)


def main(argv: list[str]) -> None:
    c = parse(CLI_FLAGS, argv, __doc__)
    run_benchmark(c.suite, c.budget, list(c.methods), c.seeds, c.out, c.data_dir, c.train_data, c.test_data,
                  command="python -m tfgan_text.benchmark " + " ".join(argv[1:]))


def run(argv: list[str] | None = None) -> int:
    return run_command("tfgan-text benchmark", main, argv)


if __name__ == "__main__":
    sys.exit(run())
