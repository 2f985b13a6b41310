"""RankGAN and LeakGAN on the fixed SeqGAN oracle (CPU-scaled schedules), beside the published NLL-oracle.

Run from the project root:

    .venv/bin/python benchmarks/rankgan_leakgan_oracle.py --methods=rankgan --pretrained=<MLE run>
    .venv/bin/python benchmarks/rankgan_leakgan_oracle.py --methods=leakgan [--length=40]

- rankgan: `python -m tfgan_text.main --flagfile=flags/rankgan_oracle_cpu.cfg --pretrained_generator=<MLE run>
  --eval_every=10` (the MLE run: `--flagfile=flags/mle_oracle.cfg`, 80 epochs, as benchmarks/adversarial_oracle.py).
- leakgan: `python -m tfgan_text.main --flagfile=flags/leakgan_oracle_cpu.cfg --oracle_length=<length>` (its
  hierarchical G cannot start from the plain LSTM, so it pre-trains its own). With --length=40 the oracle's
  training and held-out sets (10,000 each) are sampled from the fixed oracle at length 40 by the task builder.
  Evaluations report NLL-oracle at temperature 1 (`nll_oracle`) and at the authors' setting, logits x 1.5
  (`nll_oracle_eval_temperature`, --leakgan_eval_temperature=0.6667), and NLL-test at temperature 1.
Extra flags for every run go after `--`. The report goes to --output.
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

from report import run_cli  # benchmarks/report.py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# An evaluation line, possibly glued behind a progress bar's carriage-return output.
EVAL_LINE = re.compile(r"step (\d+): (nll_\w+ [\d.]+(?:, \w+ [\d.]+)*) \([\d.]+s\)")
PUBLISHED = {("rankgan", 20): 8.247, ("leakgan", 20): 7.038, ("leakgan", 40): 7.191, ("mle", 20): 9.038,
             ("seqgan", 20): 8.736}


def evaluations(output: str) -> list[tuple[int, dict[str, float]]]:
    found = []
    for step, body in EVAL_LINE.findall(output):
        metrics = {}
        for part in body.split(", "):
            name, _, value = part.rpartition(" ")
            metrics[name] = float(value)
        found.append((int(step), metrics))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="rankgan,leakgan")
    parser.add_argument("--pretrained", default="", help="MLE run directory (flags/mle_oracle.cfg), for RankGAN.")
    parser.add_argument("--length", type=int, default=20)
    parser.add_argument("--output", default="")
    parser.add_argument("--reparse", default="", help="Only re-read the log of an earlier run of this script "
                        "(<run directory>.log) for --methods (one method), instead of training.")
    parser.add_argument("--reparse_wall_seconds", type=float, default=float("nan"),
                        help="With --reparse: the wall time the earlier run reported.")
    parser.add_argument("overrides", nargs="*", help="extra flags for every run (after --)")
    args = parser.parse_args()
    output = args.output or os.path.join(ROOT, "benchmarks", "results",
                                         f"rankgan_leakgan_oracle_{args.methods.replace(',', '_')}_{args.length}.md")
    lines = []

    def log(text=""):
        print(text, flush=True)
        lines.append(text)

    stamp = time.strftime("%Y%m%d-%H%M%S")
    cpu = subprocess.run("lscpu | grep 'Model name'", shell=True, capture_output=True, text=True).stdout
    log(f"# {args.methods} on the SeqGAN oracle, length {args.length} (`benchmarks/rankgan_leakgan_oracle.py`)\n")
    log(f"Command (from the project root): `.venv/bin/python {' '.join(shlex.quote(a) for a in sys.argv)}`\n")
    if args.reparse:
        log(f"Re-read from {args.reparse} (the machine line below is of the re-reading).\n")
    log(f"Machine: {cpu.split(':', 1)[-1].strip()}, nproc={os.cpu_count()}; date "
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}; load at start {open('/proc/loadavg').read().split()[:3]} "
        "(other engineers' jobs share the 2 cores, so wall times are upper bounds)\n")
    summary = []
    for method in args.methods.split(","):
        cfg = f"flags/{method}_oracle_cpu.cfg"
        logdir = os.path.join(ROOT, "runs", f"bench-{method}-oracle{args.length}-{stamp}")
        cli = [f"--flagfile={cfg}", f"--oracle_length={args.length}", f"--logdir={logdir}"]
        if method != "leakgan":
            if not args.pretrained:
                sys.exit(f"--methods={method} needs --pretrained=<an MLE run of flags/mle_oracle.cfg>")
            cli += [f"--pretrained_generator={args.pretrained}", "--eval_every=10"]
        cli += args.overrides
        if args.reparse:
            logdir = args.reparse[:-len(".log")]
            cli = [a if not a.startswith("--logdir=") else f"--logdir={logdir}" for a in cli]
            with open(args.reparse, encoding="utf-8") as f:
                code, seconds, text = "(re-read)", args.reparse_wall_seconds, f.read()
        else:
            code, seconds, text = run_cli(cli, f"{logdir}.log")
        log(f"## {method}\n\n`python -m tfgan_text.main {' '.join(cli)}` -> exit {code}, wall time {seconds:.0f} s\n")
        with open(os.path.join(ROOT, cfg), encoding="utf-8") as f:
            schedule = [line.strip() for line in f if line.startswith("--") and not line.startswith(
                ("--oracle", "--method", "--eval_every", "--checkpoint_every"))]
        log("Flags: " + " ".join(schedule + args.overrides) + "\n")
        found = evaluations(text)
        if not found:
            log(f"(no evaluation found; see {logdir}.log)\n")
            continue
        names = [n for n in ("nll_oracle", "nll_oracle_eval_temperature", "nll_test") if n in found[0][1]]
        log("| global step | " + " | ".join(names) + " |")
        log("|---:|" + "---:|" * len(names))
        for step, metrics in found:
            log(f"| {step} | " + " | ".join(f"{metrics[n]:.4f}" for n in names) + " |")
        log("")
        summary.append((method, found[0], found[-1], min(found, key=lambda e: e[1]["nll_oracle"]), seconds))
    log("## Summary\n")
    log("| method | first evaluation (step): NLL-oracle T=1 / x1.5 / NLL-test | end: NLL-oracle T=1 / x1.5 / "
        "NLL-test | lowest NLL-oracle T=1 (step) | published NLL-oracle | wall (s) |")
    log("|---|---|---|---|---:|---:|")
    for method, first, last, best, seconds in summary:
        def show(entry):
            m = entry[1]
            return (f"{m['nll_oracle']:.3f} / {m.get('nll_oracle_eval_temperature', float('nan')):.3f} / "
                    f"{m['nll_test']:.3f} (step {entry[0]})")
        published = PUBLISHED.get((method, args.length), "-")
        log(f"| {method} | {show(first)} | {show(last)} | {best[1]['nll_oracle']:.3f} ({best[0]}) | {published} "
            f"| {seconds:.0f} |")
    log(f"\nPublished at length {args.length}: " + ", ".join(
        f"{m} {v}" for (m, n), v in PUBLISHED.items() if n == args.length)
        + " (LeakGAN's with logits x 1.5 at evaluation).")
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with open(output, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
