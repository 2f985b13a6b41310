"""RankGAN and LeakGAN on Image COCO captions beside the published Texygen rows (CPU-scaled schedules).

Run from the project root:

    .venv/bin/python benchmarks/rankgan_leakgan_coco.py --mle_run runs/<MLE COCO run> [--data_dir ../shared/data]
        [--rankgan_steps 10] [--leakgan_pretrain_epochs 3] [--leakgan_steps 10] [--num_samples 1000]

1. RankGAN from an MLE generator (--mle_run: a run of benchmarks/coco_adversarial.py's MLE step, i.e.
   `--flagfile=flags/seqgan_coco.cfg --method=mle`): `--flagfile=flags/rankgan_coco.cfg
   --pretrained_generator=<mle_run>` with a CPU-scaled ranker / adversarial schedule (flags below).
2. LeakGAN (its hierarchical G pre-trains itself): `--flagfile=flags/leakgan_coco.cfg` with CPU-scaled
   pre-training and adversarial schedules. 1 and 2 run side by side.
3. `python -m tfgan_text.evaluate --metrics=nll,bleu,self_bleu --references_file=<data_dir>/coco_test.txt`
   on each at temperature 1 (BLEU-2..5 against all 10,000 test captions, Self-BLEU-2..5 among the samples,
   NLL-test on coco_nll_test.txt), and for LeakGAN also at the authors' logits x 1.5 (--temperature=0.6667).
The report goes to benchmarks/results/rankgan_leakgan_coco.md.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.coco_adversarial import METRIC_KEYS, METRIC_NAMES, PUBLISHED, finish, start_cli  # noqa: E402

PUBLISHED = {**PUBLISHED,  # Texygen README (../shared/data/README.md)
             "RankGAN": [0.743, 0.467, 0.264, 0.156, 0.959, 0.882, 0.762, 0.618],
             "LeakGAN": [0.746, 0.528, 0.355, 0.230, 0.966, 0.913, 0.848, 0.780]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", default="../shared/data")
    parser.add_argument("--mle_run", required=True, help="MLE COCO run directory (the RankGAN start).")
    parser.add_argument("--rankgan_steps", type=int, default=10)
    parser.add_argument("--rollout_num", type=int, default=8, help="RankGAN roll-outs (LeakGAN: 4, its own).")
    parser.add_argument("--leakgan_pretrain_epochs", type=int, default=3)
    parser.add_argument("--leakgan_steps", type=int, default=10)
    parser.add_argument("--discriminator_negatives", type=int, default=2000)
    parser.add_argument("--num_samples", type=int, default=1000)
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results", "rankgan_leakgan_coco.md"))
    args = parser.parse_args()
    data_dir = os.path.abspath(os.path.join(ROOT, args.data_dir) if not os.path.isabs(args.data_dir)
                               else args.data_dir)
    mle_run = os.path.abspath(args.mle_run)
    load = open("/proc/loadavg").read().split()[:3]
    cpu = subprocess.run("lscpu | grep 'Model name'", shell=True, capture_output=True, text=True).stdout
    began = datetime.datetime.now(datetime.timezone.utc)
    stamp = began.strftime("%Y%m%d-%H%M%S")
    runs = {name: os.path.join(ROOT, "runs", f"bench-coco-{name}-{stamp}") for name in ("rankgan", "leakgan")}
    data = [f"--train_data={data_dir}/coco_train.txt", f"--test_data={data_dir}/coco_nll_test.txt"]
    quiet = ["--eval_every=1000000", "--num_eval_samples=1000", "--samples_to_write=100", "--checkpoint_every=5"]
    d_round = [f"--discriminator_negatives={args.discriminator_negatives}", "--discriminator_epochs=1",
               "--discriminator_rounds=1"]
    commands = {
        "rankgan": ["--flagfile=flags/rankgan_coco.cfg"] + data + [
            f"--pretrained_generator={mle_run}", f"--adversarial_steps={args.rankgan_steps}",
            f"--rollout_num={args.rollout_num}", "--discriminator_pretrain_rounds=3"] + d_round + quiet,
        "leakgan": ["--flagfile=flags/leakgan_coco.cfg"] + data + [
            f"--pretrain_epochs={args.leakgan_pretrain_epochs}", "--leakgan_pretrain_cycles=1",
            "--leakgan_pretrain_discriminator_rounds=2", "--discriminator_pretrain_rounds=1",
            f"--adversarial_steps={args.leakgan_steps}"] + d_round + quiet,
    }
    commands = {name: cli + [f"--logdir={runs[name]}"] for name, cli in commands.items()}
    print("RankGAN and LeakGAN side by side ...", flush=True)
    started = {name: start_cli("tfgan_text.main", cli, runs[name] + ".log") for name, cli in commands.items()}
    wall = {name: finish(started[name], name) for name in commands}

    evaluations = {}
    for name, temperature in (("rankgan", 1.0), ("leakgan", 1.0), ("leakgan", 0.6667)):
        metrics = "nll,bleu,self_bleu" if temperature == 1.0 else "bleu,self_bleu"
        out = f"{runs[name]}/coco_eval_T{temperature:g}.json"
        cli = [f"--checkpoint_dir={runs[name]}", f"--metrics={metrics}", f"--num_samples={args.num_samples}",
               f"--temperature={temperature}", f"--references_file={data_dir}/coco_test.txt", f"--out={out}"]
        finish(start_cli("tfgan_text.evaluate", cli, f"{runs[name]}-eval-T{temperature:g}.log"), f"evaluate {name}")
        with open(out, encoding="utf-8") as f:
            evaluations[(name, temperature)] = json.load(f)["metrics"]

    lines = ["# RankGAN and LeakGAN on Image COCO captions (`benchmarks/rankgan_leakgan_coco.py`)", "",
             f"Command (from the project root): `.venv/bin/python {' '.join(shlex.quote(a) for a in sys.argv)}`", "",
             f"Machine: {cpu.split(':', 1)[-1].strip()}, nproc={os.cpu_count()}; date {began:%Y-%m-%d %H:%M} UTC; "
             f"load at start (1/5/15 min) {' / '.join(load)}; at end "
             f"{' / '.join(open('/proc/loadavg').read().split()[:3])} (other engineers' jobs shared the 2 cores "
             "and the two runs ran side by side: wall times are upper bounds)", "", "## Runs (CPU-scaled)", ""]
    for name in commands:
        lines.append(f"- **{name}** ({wall[name]:.0f} s): `python -m tfgan_text.main {' '.join(commands[name])}`")
    lines += ["", "Published schedules: RankGAN = SeqGAN's (80 MLE epochs, 50 ranker pre-training rounds of 10,000 "
              "negatives x 3 epochs, 200 adversarial steps with 16 roll-outs and 5 rounds); LeakGAN = 80 supervised "
              "epochs in 10 cycles opened by 5 D rounds, then 800 adversarial steps with 4 roll-outs and 5 D rounds. "
              "The rows here are a short adversarial nudge from short pre-training, not the published training.", "",
              f"## Results ({args.num_samples:,} samples per row)", "",
              "BLEU-n against all 10,000 lines of coco_test.txt; Self-BLEU-n among the samples (it grows with "
              "the number of samples: Texygen's files hold about 10,000); NLL-test at temperature 1 on "
              "coco_nll_test.txt.", "",
              "| | " + " | ".join(METRIC_NAMES) + " | NLL-test |", "|---|" + "---:|" * (len(METRIC_NAMES) + 1)]
    labels = {("rankgan", 1.0): "RankGAN (ours, T=1)", ("leakgan", 1.0): "LeakGAN (ours, T=1)",
              ("leakgan", 0.6667): "LeakGAN (ours, logits x 1.5)"}
    for key, label in labels.items():
        m = evaluations[key]
        nll = f"{m['nll_test']:.3f}" if "nll_test" in m else "-"
        lines.append(f"| {label} | " + " | ".join(f"{m[k]:.3f}" for k in METRIC_KEYS) + f" | {nll} |")
    for label in ("RankGAN", "LeakGAN", "MLE", "training data"):
        lines.append(f"| {label} (Texygen) | " + " | ".join(f"{v:.3f}" for v in PUBLISHED[label]) + " | - |")
    with open(args.output, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
