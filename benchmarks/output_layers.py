"""Output layers for large-vocabulary MLE: training tokens/s and NLL-test after the same steps.

Run from the project root:

    .venv/bin/python benchmarks/output_layers.py [--quick] [--output=benchmarks/results/output_layers.md]

Task: a random oracle (SeqGAN's recipe, `models/oracle.py`) with V = 50,000, T = 20,
oracle embedding/hidden 32; --num_train training and --num_test held-out sequences
sampled from it. Every variant is the project's MLE method (`methods/mle.py`, built
with the --output_layer flags exactly as the CLI builds it), its step compiled by
`Trainer._compile`, seeded by `Trainer._seed`, fed by `training_batches`; all start
from the same initial weights (same Keras seed; the hierarchical softmax has other
output weights) and see the same batches.

The variants train in lockstep: each round runs --window steps of every variant in
turn, timing each window, so every variant's speed is measured side by side under
the same (possibly shared) CPU load; speeds are reported as ratios to the full
softmax within each round (median over rounds). After --steps steps, each
variant's NLL-test is computed with the exact normalised probabilities
(`metrics/likelihood.NegativeLogLikelihood` through the generator's logits).
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import statistics
import sys
import time
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfgan_text.data.pipeline import steps_per_epoch, training_batches  # noqa: E402
from tfgan_text.main import build_task, parse_flags  # noqa: E402
from tfgan_text.methods.mle import MLE  # noqa: E402
from tfgan_text.metrics.likelihood import NegativeLogLikelihood  # noqa: E402
from tfgan_text.training.trainer import Trainer, make_strategy  # noqa: E402


from report import cpu_model  # noqa: E402  (benchmarks/report.py)

def other_processes_cpu_seconds() -> float:
    """CPU seconds used so far by every process but this one (from /proc/stat)."""
    hz = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    busy = sum(values[:8]) - values[3] - values[4]
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (busy - int(fields[11]) - int(fields[12])) / hz


class Variant:
    """One output layer: an MLE method, its compiled trainer step and its batch stream."""

    def __init__(self, label: str, flags: dict, base_config, task, strategy):
        self.label = label
        self.config = types.SimpleNamespace(**{**vars(base_config), **flags})
        keras.utils.set_random_seed(self.config.seed)  # the same initial weights for every variant
        with strategy.scope():
            self.method = MLE(task, self.config, steps_per_epoch(len(task.train), self.config.batch_size))
        view = types.SimpleNamespace(strategy=strategy, config=self.config)
        self.view = view
        self.step_fn = Trainer._compile(view, self.method.phases()[0])
        self.batches = iter(strategy.experimental_distribute_dataset(
            training_batches(task.train, self.config.batch_size, self.config.seed, 0)))
        self.step = 0
        self.window_seconds: list[float] = []
        self.losses: list[float] = []

    def run(self, num_steps: int) -> float:
        """Runs `num_steps` trainer-loop steps (batch, seed, step, float of the scalars); wall seconds."""
        started = time.perf_counter()
        for _ in range(num_steps):
            values = self.step_fn(next(self.batches), Trainer._seed(self.view, self.step))
            loss = float(values["loss"])
            if not np.isfinite(loss):
                raise RuntimeError(f"{self.label}: loss {loss} at step {self.step}")
            self.losses.append(loss)
            self.step += 1
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vocab_size", type=int, default=50_000)
    parser.add_argument("--length", type=int, default=20)
    parser.add_argument("--num_train", type=int, default=10_000)
    parser.add_argument("--num_test", type=int, default=5_000)
    parser.add_argument("--embedding_dim", type=int, default=256)
    parser.add_argument("--hidden_dim", type=int, default=256)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--learning_rate", type=float, default=0.01)
    parser.add_argument("--num_sampled", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=300, help="training steps of every variant")
    parser.add_argument("--window", type=int, default=25, help="steps per timing window")
    parser.add_argument("--warmup", type=int, default=3, help="untimed first steps (tracing)")
    parser.add_argument("--variants", default="", help="comma-separated labels to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="tiny run to check the script")
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results", "output_layers.md"))
    args = parser.parse_args()
    if args.quick:
        args.vocab_size, args.num_train, args.num_test, args.steps, args.window = 2000, 640, 320, 6, 3
        args.embedding_dim = args.hidden_dim = 32
        args.num_sampled, args.output = 64, ""

    lines: list[str] = []

    def log(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)
        if args.output:  # rewritten after every line: a run killed mid-way keeps what it measured
            with open(args.output, "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")

    command = ".venv/bin/python benchmarks/output_layers.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    load = os.getloadavg()
    log("# Output layers for large-vocabulary MLE (`benchmarks/output_layers.py`)")
    log()
    log(f"Command (from the project root): `{command.strip()}`")
    log()
    log(f"Machine: {cpu_model()}, nproc={os.cpu_count()}; date: {datetime.datetime.now():%Y-%m-%d %H:%M:%S}; "
        f"Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}")
    log(f"`uptime` load average at start (1/5/15 min): {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
        "(other engineers' jobs may share the 2 cores: compare the ratios, measured side by side)")
    log()

    flags = [f"--oracle_vocab_size={args.vocab_size}", f"--oracle_length={args.length}",
             f"--oracle_num_train={args.num_train}", f"--oracle_num_test={args.num_test}",
             f"--embedding_dim={args.embedding_dim}", f"--hidden_dim={args.hidden_dim}",
             f"--batch_size={args.batch_size}", f"--learning_rate={args.learning_rate}", "--grad_clip=5.0",
             "--init_stddev=0", "--seed=1", "--flagfile=/dev/null", "--method=mle"]
    base_config = parse_flags(["output_layers"] + flags)
    started = time.time()
    task = build_task(base_config, log=lambda message: None)
    log(f"Task: random oracle (--oracle_seed=88, embedding/hidden 32, N(0, 1) weights), V {args.vocab_size:,}, "
        f"T {args.length}, {args.num_train:,} training / {args.num_test:,} held-out sequences "
        f"(sampled in {time.time() - started:.0f} s).")
    log(f"Generator: embedding {args.embedding_dim}, hidden {args.hidden_dim}, 1 LSTM layer, Keras default "
        f"initialisation; batch {args.batch_size} (B*T = {args.batch_size * args.length:,} tokens per step), Adam "
        f"lr {args.learning_rate}, clip 5; {args.steps} steps of every variant; negatives per step "
        f"--num_sampled={args.num_sampled}.")
    log()
    def nll_test(model) -> float:  # batches of 100: a [1000, T, 50,000] batch of logits is 4 GB per tensor
        return NegativeLogLikelihood(model, task.spec, batch_size=100)(task.test)

    oracle_nll = nll_test(task.oracle)

    k = args.num_sampled
    specs = [("full", {"output_layer": "full"}),
             ("sampled_softmax unigram", {"output_layer": "sampled_softmax", "sampling_proposal": "unigram"}),
             ("sampled_softmax log_uniform", {"output_layer": "sampled_softmax",
                                              "sampling_proposal": "log_uniform"}),
             ("nce unigram", {"output_layer": "nce", "sampling_proposal": "unigram"}),
             ("negative_sampling unigram", {"output_layer": "negative_sampling", "sampling_proposal": "unigram"}),
             ("blackout unigram", {"output_layer": "blackout", "sampling_proposal": "unigram"}),
             ("hierarchical_softmax", {"output_layer": "hierarchical_softmax"})]
    if args.variants:
        wanted = {v.strip() for v in args.variants.split(",")}
        specs = [s for s in specs if s[0] in wanted or s[0].split()[0] in wanted]
    strategy = make_strategy("default")
    variants = [Variant(label, dict(flags, num_sampled=k, hierarchical_classes=0), base_config, task, strategy)
                for label, flags in specs]
    initial_nll = nll_test(variants[0].method.generator)
    for variant in variants:
        variant.run(args.warmup)

    rounds = max(1, (args.steps - args.warmup) // args.window)
    others_per_round = []
    for r in range(rounds):
        cpu_before, wall_before = other_processes_cpu_seconds(), time.perf_counter()
        for variant in variants:
            variant.window_seconds.append(variant.run(args.window) / args.window)
        others_per_round.append((other_processes_cpu_seconds() - cpu_before) / (time.perf_counter() - wall_before))
        print(f"round {r + 1}/{rounds}: " + ", ".join(f"{v.label} {1000 * v.window_seconds[-1]:.0f} ms"
                                                  for v in variants), flush=True)
    for variant in variants:  # the remainder, untimed, so that every variant has taken exactly --steps
        variant.run(args.steps - variant.step)

    tokens_per_step = args.batch_size * args.length
    full = variants[0] if variants[0].label == "full" else None
    log(f"Timing: {rounds} rounds; each round runs {args.window} steps of every variant in turn (after "
        f"{args.warmup} untimed warm-up steps). Other processes used {statistics.median(others_per_round):.2f} "
        f"cores (median over rounds; range {min(others_per_round):.2f}..{max(others_per_round):.2f}).")
    log()
    log(f"Reference NLL-test: the oracle itself {oracle_nll:.3f} nats/token (the floor); the untrained generator "
        f"{initial_nll:.3f}; log V = {np.log(args.vocab_size):.3f}.")
    log()
    log("| output layer | ms/step (median) | tokens/s | speed vs full (median of per-round ratios) | "
        f"training loss (mean of last {args.window} steps) | NLL-test after {args.steps} steps (exact) | "
        "vs full |")
    log("|---|---:|---:|---:|---:|---:|---:|")
    results = {}
    for variant in variants:
        nll = nll_test(variant.method.generator)
        results[variant.label] = nll
        ms = 1000 * statistics.median(variant.window_seconds)
        ratio = (statistics.median(f / s for f, s in zip(full.window_seconds, variant.window_seconds))
                 if full else float("nan"))
        full_nll = results.get("full")
        relative = f"{100 * (nll / full_nll - 1):+.1f}%" if full_nll else ""
        log(f"| {variant.label} | {ms:,.1f} | {tokens_per_step / ms * 1000:,.0f} | {ratio:.2f}x | "
            f"{np.mean(variant.losses[-args.window:]):.3f} | {nll:.3f} | {relative} |")
    log()
    log("Training loss is each layer's own objective (the full and hierarchical softmax: the exact NLL; the "
        f"sampled layers: their estimates, not comparable); NLL-test is the exact per-token NLL of the "
        f"{args.num_test:,} held-out oracle sequences under the generator's normalised softmax (for the "
        "hierarchical softmax: its exact factorised probabilities).")
    if args.output:
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
