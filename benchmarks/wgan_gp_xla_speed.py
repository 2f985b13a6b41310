"""WGAN-GP step times on COCO characters (V = 51, T = 33, batch 64): tf.function with and without XLA.

    .venv/bin/python benchmarks/wgan_gp_xla_speed.py [--widths=64,128] [--rounds=2] [--data=../shared/data]

Why: to decide whether `--xla` buys generator updates within a CPU budget for
flags/wgan_gp_coco_char_cpu.cfg. One critic update (with the gradient penalty's double
backprop) and one generator update are compiled as the trainer compiles a step
(tf.function, jit_compile on or off), warmed up, and timed; the two settings alternate
over --rounds rounds so that other jobs on the machine weigh on both alike. Reported:
the median over rounds of each round's median, and the XLA / no-XLA ratio.
Writes benchmarks/results/wgan_gp_xla_speed.md.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfgan_text import main as cli  # noqa: E402
from tfgan_text.methods import METHODS  # noqa: E402

RESULTS = os.path.join(ROOT, "benchmarks", "results", "wgan_gp_xla_speed.md")


def median_ms(fn, *args, repeats: int) -> float:
    for _ in range(3):
        fn(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tf.nest.map_structure(lambda value: value.numpy(), fn(*args))
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="64,128", help="--wgan_dim values to time")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per setting")
    parser.add_argument("--repeats", type=int, default=15, help="timed calls per round")
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    args = parser.parse_args()
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    cpu = subprocess.run("lscpu | grep 'Model name'", shell=True, capture_output=True, text=True).stdout
    config = cli.parse_flags(["benchmark", f"--flagfile={ROOT}/flags/wgan_gp_coco_char_cpu.cfg",
                              f"--train_data={args.data}/coco_train.txt", f"--test_data={args.data}/coco_test.txt"])
    task = cli.build_task(config, log=lambda line: None)
    real = tf.constant(task.train[: config.batch_size])
    seed = tf.constant([1, 2], tf.int32)

    rows = []
    for width in (int(w) for w in args.widths.split(",")):
        config.wgan_dim = width
        tf.keras.utils.set_random_seed(0)
        wgan = METHODS["wgan_gp"](task, config, 100)
        steps = {"critic": lambda xla: (tf.function(wgan.critic_step, jit_compile=xla), (real, seed)),
                 "generator": lambda xla: (tf.function(lambda s: wgan.generator_step(tf.constant(64), s),
                                                       jit_compile=xla), (seed,))}
        for name, make in steps.items():
            compiled = {xla: make(xla) for xla in (False, True)}
            times = {False: [], True: []}
            for _ in range(args.rounds):
                for xla in (False, True):
                    fn, fn_args = compiled[xla]
                    times[xla].append(median_ms(fn, *fn_args, repeats=args.repeats))
            plain, xla = float(np.median(times[False])), float(np.median(times[True]))
            rows.append((f"{name} update, width {width}", plain, xla))
            print(rows[-1], flush=True)

    lines = ["# WGAN-GP step times with and without XLA (COCO characters: V = 51, T = 33, batch 64)", "",
             f"Command: `.venv/bin/python benchmarks/wgan_gp_xla_speed.py --widths={args.widths} "
             f"--rounds={args.rounds} --repeats={args.repeats}`", "",
             f"Machine: {cpu.split(':', 1)[-1].strip()}, nproc {os.cpu_count()}, TensorFlow {tf.__version__}; "
             f"date {time.strftime('%Y-%m-%d %H:%M')}. Load at start (`uptime`): {load}. Other jobs shared the "
             "2 cores: read the ratio (both settings alternated in this one run), not the absolute times.", "",
             "| update | no XLA (ms) | XLA (ms) | XLA / no XLA |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {plain:.1f} | {xla:.1f} | {xla / plain:.2f} |" for name, plain, xla in rows]
    text = "\n".join(lines) + "\n"
    with open(RESULTS, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
