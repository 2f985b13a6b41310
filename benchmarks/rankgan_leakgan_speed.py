"""Adversarial step times of RankGAN and LeakGAN beside SeqGAN's, measured side by side in one process.

Run from the project root:

    .venv/bin/python benchmarks/rankgan_leakgan_speed.py [--data_dir ../shared/data] [--repeats 2]
        [--negatives 10000] [--length 20]

Setting: the fixed SeqGAN oracle (V 5000, T = --length), G embedding 32 / hidden 32, SeqGAN's CNN (all
widths <= T). Each method is built from its oracle flagfile (flags/<method>_oracle.cfg) and its own step
functions are compiled with tf.function as the trainer does:
- G step: SeqGAN (64 samples, 16 roll-outs, D scores), RankGAN (32 samples, 16 roll-outs, rank scores
  against 32 real sentences and 16 references), LeakGAN (64 samples, 4 roll-outs by G itself with the
  leaked features read at every step, manager + worker updates);
- LeakGAN's supervised step (a batch of 64: WORKER MLE + MANAGER, features of all 21 prefixes);
- one D round of --negatives fresh negatives + as many real sequences, 1 epoch (RankGAN: the ranker).
Timing as benchmarks/adversarial_speed.py (`timed`: the fastest of --repeats calls after a warm-up, the
process's CPU seconds in it, the cores other processes used meanwhile). Compare ratios within one run.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import tensorflow as tf  # noqa: E402

from benchmarks.adversarial_speed import timed  # noqa: E402
from tfgan_text.data.pipeline import steps_per_epoch  # noqa: E402
from tfgan_text.main import build_task, parse_flags  # noqa: E402
from tfgan_text.methods import METHODS  # noqa: E402


from report import cpu_model  # noqa: E402  (benchmarks/report.py)

def build(method: str, data_dir: str, negatives: int, length: int):
    flags = ["x", f"--flagfile={os.path.join(ROOT, 'flags', method + '_oracle.cfg')}",
             f"--oracle_params={os.path.join(data_dir, 'seqgan_oracle_lstm.npz')}", f"--oracle_length={length}",
             f"--discriminator_negatives={negatives}", "--discriminator_epochs=1", "--pretrain_epochs=0",
             "--embedding_dim=32", "--hidden_dim=32"]
    config = parse_flags(flags)
    task = build_task(config, log=lambda *_: None)
    tf.keras.utils.set_random_seed(0)
    built = METHODS[method](task, config, steps_per_epoch(len(task.train), config.batch_size))
    for phase in built.phases():
        if phase.name == "init_rollout":
            phase.step(None, None)
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--negatives", type=int, default=10000)
    parser.add_argument("--length", type=int, default=20)
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results", "rankgan_leakgan_speed.md"))
    args = parser.parse_args()
    lines = []

    def log(text=""):
        print(text, flush=True)
        lines.append(text)

    log("# RankGAN / LeakGAN adversarial step speed beside SeqGAN (`benchmarks/rankgan_leakgan_speed.py`)\n")
    log(f"Command (from the project root): `.venv/bin/python {' '.join(shlex.quote(a) for a in sys.argv)}`\n")
    log(f"Machine: {cpu_model()}, nproc={os.cpu_count()}, {platform.python_version()}, "
        f"TensorFlow {tf.__version__}; date {datetime.datetime.now():%Y-%m-%d %H:%M}; load at start: "
        f"{open('/proc/loadavg').read().split()[:3]} (other engineers' jobs share the 2 cores: compare ratios "
        "and CPU seconds, not wall times across runs)\n")
    log(f"Oracle length {args.length}; D rounds of {args.negatives:,} negatives + as many real, 1 epoch.\n")
    log("| method | what | wall seconds (min) | CPU seconds of that call | first call incl. tracing (s) "
        "| other processes' cores during the calls |")
    log("|---|---|---:|---:|---:|---:|")
    seed = tf.constant([1, 2], tf.int32)
    results = {}

    def record(method, what, fn, repeats=args.repeats):
        best, first, cpu_seconds, others = timed(fn, repeats)
        results[(method, what)] = (best, cpu_seconds)
        log(f"| {method} | {what} | {best:.2f} | {cpu_seconds:.2f} | {first:.1f} | {others:.2f} |")

    for name in ("seqgan", "rankgan", "leakgan"):
        method = build(name, args.data_dir, args.negatives, args.length)
        real = tf.constant(method.task.train[:64])
        g_step = tf.function(method.generator_step)
        record(name, "G step", lambda: g_step(real, seed))
        if name == "leakgan":
            supervised = tf.function(method.supervised_step)
            record(name, "supervised step (batch 64)", lambda: supervised(real, seed))
        d_round = tf.function(lambda: method.discriminator_rounds(1, seed))
        record(name, "D round (ranker for RankGAN)", d_round, max(1, args.repeats - 1))
    g, d = results[("seqgan", "G step")], results[("seqgan", "D round (ranker for RankGAN)")]
    log("\nRatios to SeqGAN in this run (wall / CPU seconds):")
    for name in ("rankgan", "leakgan"):
        gm, dm = results[(name, "G step")], results[(name, "D round (ranker for RankGAN)")]
        log(f"- {name}: G step {gm[0] / g[0]:.2f}x / {gm[1] / g[1]:.2f}x; D round {dm[0] / d[0]:.2f}x / "
            f"{dm[1] / d[1]:.2f}x")
    with open(args.output, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
