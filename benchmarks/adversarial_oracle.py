"""Does adversarial training lower NLL-oracle from an MLE generator? SeqGAN and MaliGAN on the SeqGAN oracle.

Run from the project root:

    .venv/bin/python benchmarks/adversarial_oracle.py [--pretrained runs/<mle run>] [--methods seqgan,maligan]

1. The MLE generator: --pretrained (a run directory of `--flagfile=flags/mle_oracle.cfg`, the
   published setting: 80 epochs, NLL-oracle about 9.02); without it one is trained once into
   runs/bench-adversarial-mle (about 7 minutes) and reused by later runs.
2. Its NLL-oracle / NLL-test, measured here with the trainer's Evaluator (10,000 samples).
3. For each method: `python -m tfgan_text.main --flagfile=flags/<method>_oracle_cpu.cfg
   --pretrained_generator=<1> --eval_every=10` (the scaled-down schedule in that file; add
   overrides after --), with the evaluations it logs along the way and its wall time.
Published (Texygen / LeakGAN tables, length 20): MLE 9.038, SeqGAN 8.736 (200 adversarial steps).
The report goes to benchmarks/results/adversarial_oracle.md.
"""
from __future__ import annotations

import argparse
import datetime
import os
import re
import shlex
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from report import run_cli  # benchmarks/report.py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

EVAL_LINE = re.compile(r"step (\d+): nll_oracle ([\d.]+), nll_test ([\d.]+)")


def evaluate_pretrained(run_dir: str) -> dict[str, float]:
    """NLL-oracle / NLL-test of the MLE run's generator, with the trainer's Evaluator."""
    import tensorflow as tf

    from tfgan_text.data.pipeline import steps_per_epoch
    from tfgan_text.main import build_task, parse_flags
    from tfgan_text.methods import METHODS
    from tfgan_text.training.evaluation import Evaluator

    config = parse_flags(["x", f"--flagfile={os.path.join(ROOT, 'flags', 'mle_oracle.cfg')}"])
    task = build_task(config, log=lambda *_: None)
    method = METHODS["mle"](task, config, steps_per_epoch(len(task.train), config.batch_size))
    tf.train.Checkpoint(**method.checkpoint_objects()).restore(
        tf.train.latest_checkpoint(os.path.join(run_dir, "checkpoints"))).assert_existing_objects_matched()
    metrics, _ = Evaluator(task, method.generator, 10_000)(tf.constant([1, 0], tf.int32))
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pretrained", default="", help="MLE run directory (flags/mle_oracle.cfg).")
    parser.add_argument("--methods", default="seqgan,maligan")
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results", "adversarial_oracle.md"))
    parser.add_argument("overrides", nargs="*", help="extra flags for every method run (after --)")
    args = parser.parse_args()
    lines = []

    def log(text=""):
        print(text, flush=True)
        lines.append(text)

    stamp = time.strftime("%Y%m%d-%H%M%S")
    cpu = subprocess.run("lscpu | grep 'Model name'", shell=True, capture_output=True, text=True).stdout
    log("# SeqGAN / MaliGAN on the SeqGAN oracle from an MLE generator (`benchmarks/adversarial_oracle.py`)\n")
    log(f"Command (from the project root): `.venv/bin/python {' '.join(shlex.quote(a) for a in sys.argv)}`\n")
    log(f"Machine: {cpu.split(':', 1)[-1].strip()}, nproc={os.cpu_count()}; date "
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}; load at start {open('/proc/loadavg').read().split()[:3]} "
        "(other jobs shared the 2 cores during this run, so wall times are upper bounds)\n")

    pretrained = args.pretrained
    if not pretrained:
        pretrained = os.path.join(ROOT, "runs", "bench-adversarial-mle")
        if not os.path.isdir(os.path.join(pretrained, "checkpoints")):
            code, seconds, _ = run_cli(["--flagfile=flags/mle_oracle.cfg", f"--logdir={pretrained}"],
                                       f"{pretrained}.log")
            log(f"MLE pre-training (flags/mle_oracle.cfg): exit {code}, {seconds:.0f} s")
    before = evaluate_pretrained(pretrained)
    log(f"MLE generator {pretrained}: NLL-oracle {before['nll_oracle']:.4f}, NLL-test {before['nll_test']:.4f} "
        "(10,000 samples, evaluated here)\n")
    summary = [("MLE (start)", before["nll_oracle"], before["nll_test"], "-", "-")]
    for method in args.methods.split(","):
        cfg = f"flags/{method}_oracle_cpu.cfg"
        logdir = os.path.join(ROOT, "runs", f"bench-adversarial-{method}-{stamp}")
        cli = [f"--flagfile={cfg}", f"--pretrained_generator={pretrained}", "--eval_every=10",
               f"--logdir={logdir}"] + args.overrides
        code, seconds, output = run_cli(cli, f"{logdir}.log")
        log(f"## {method}\n\n`python -m tfgan_text.main {' '.join(cli)}` -> exit {code}, wall time {seconds:.0f} s\n")
        with open(os.path.join(ROOT, cfg), encoding="utf-8") as f:
            schedule = [line.strip() for line in f if line.startswith("--") and any(
                key in line for key in ("discriminator_", "adversarial", "rollout", "maligan"))]
        log("Schedule: " + " ".join(schedule + args.overrides) + "\n")
        log("| global step | NLL-oracle | NLL-test |")
        log("|---:|---:|---:|")
        evaluations = [(int(s), float(o), float(t)) for s, o, t in EVAL_LINE.findall(output)]
        for step, oracle, test in evaluations:
            log(f"| {step} | {oracle:.4f} | {test:.4f} |")
        if evaluations:
            best = min(evaluations, key=lambda e: e[1])
            summary.append((method, evaluations[-1][1], evaluations[-1][2], f"{best[1]:.4f} (step {best[0]})",
                            f"{seconds:.0f}"))
        else:
            log("\n(no evaluation found; see " + f"{logdir}.log)")
        log("")
    log("## Summary\n")
    log("| generator | NLL-oracle (end) | NLL-test (end) | best NLL-oracle | wall time (s) |")
    log("|---|---:|---:|---:|---:|")
    for name, oracle, test, best, seconds in summary:
        log(f"| {name} | {oracle:.4f} | {test:.4f} | {best} | {seconds} |")
    log("\nPublished (length 20): MLE 9.038 -> SeqGAN 8.736.")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
