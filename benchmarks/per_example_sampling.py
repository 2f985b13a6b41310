"""Sampling throughput before vs after per-example draws (issue #9), side by side in one process.

    .venv/bin/python benchmarks/per_example_sampling.py [--rounds 7] [--output benchmarks/results/per_example_sampling.md]

"before": each time step draws its tokens with `token_distribution(...).sample(seed)` (tfp ->
tf.random.stateless_categorical over the replica's own rows), the sampler as it was.
"after": `sampling.draw_tokens` inverts the same distribution's CDF (float64, two-level search) at one per-example
uniform per row (`tfgan_text.replicas.uniform`), so that splitting a batch over replicas changes no draw.
Both are `Sampler(generator, spec)(10_000, seed)` on the same generator, compiled once each; the
timed windows alternate before/after (ABAB...) so that other load on the machine hits both alike;
the median window of each is reported, and their ratio.
Settings: the SeqGAN oracle shape (V 5000, T 20, embedding 32, hidden 32) and a larger vocabulary
(V 20000, T 20, embedding 64, hidden 64), where the CDF's cost grows.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import tensorflow as tf  # noqa: E402

from tfgan_text import sampling  # noqa: E402
from tfgan_text.models.generator import Generator  # noqa: E402

SETTINGS = {"oracle V5000": (5000, 20, 32, 32), "V20000": (20000, 20, 64, 64)}
NUM_SAMPLES = 10_000


def before_next_token(distribution, seed, num_samples, total_samples):
    """The draw as it was before per-example randomness."""
    return tf.cast(distribution.sample(seed=seed), tf.int32)


def traced_sampler(generator, spec, next_token):
    """A Sampler whose compiled loop was traced with `next_token` as the per-step draw."""
    original = sampling._next_token
    sampling._next_token = next_token
    try:
        sampler = sampling.Sampler(generator, spec)
        sampler(NUM_SAMPLES, tf.constant([1, 2]))  # traces (and warms up) with this draw
    finally:
        sampling._next_token = original
    return sampler


def measure(rounds: int) -> list[dict]:
    rows = []
    for name, (vocab, length, embedding, hidden) in SETTINGS.items():
        spec = sampling.SequenceSpec(vocab_size=vocab, max_length=length, bos_id=0)
        generator = Generator(vocab, embedding, hidden, init_stddev=0.1).build_variables()
        samplers = {"before": traced_sampler(generator, spec, before_next_token),
                    "after": traced_sampler(generator, spec, sampling._next_token)}
        times = {label: [] for label in samplers}
        for round_index in range(rounds):
            for label, sampler in samplers.items():
                started = time.perf_counter()
                sampler(NUM_SAMPLES, tf.constant([3, round_index])).tokens.numpy()
                times[label].append(time.perf_counter() - started)
        speeds = {label: NUM_SAMPLES / statistics.median(values) for label, values in times.items()}
        rows.append({"setting": name, **speeds, "ratio": speeds["after"] / speeds["before"]})
        print(f"{name}: before {speeds['before']:,.0f} seq/s, after {speeds['after']:,.0f} seq/s, "
              f"after/before {rows[-1]['ratio']:.2f}", flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results", "per_example_sampling.md"))
    args = parser.parse_args()
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    model = next((line.split(":", 1)[1].strip() for line in subprocess.run(
        ["lscpu"], capture_output=True, text=True).stdout.splitlines() if line.startswith("Model name")), "?")
    rows = measure(args.rounds)
    if args.output:
        table = "\n".join(f"| {r['setting']} | {r['before']:,.0f} | {r['after']:,.0f} | {r['ratio']:.2f} |" for r in rows)
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(f"""# Sampling throughput: before vs after per-example draws (issue #9)

Command: `.venv/bin/python benchmarks/per_example_sampling.py --rounds {args.rounds}`
Machine: {model}, {os.cpu_count()} CPUs (nproc), Python {platform.python_version()}, TensorFlow {tf.__version__}
Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}
Load at start (`uptime`): {load}
Other jobs shared the cores during this run: compare the two columns only as their ratio (measured
side by side, alternating windows). {NUM_SAMPLES:,} sequences per window (`Sampler`, chunks of 2048),
median of {args.rounds} windows each.

| setting | before (seq/s) | after (seq/s) | after / before |
|---|---|---|---|
{table}

before: `token_distribution(...).sample(seed)` per step (stateless_categorical over the replica's rows).
after: `sampling.draw_tokens`: inverse CDF of the same distribution (float64, searched in blocks of 64 tokens,
then within the block) at one uniform per row, drawn per example by `tfgan_text.replicas.uniform` (on one device: exactly N uniforms).
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
