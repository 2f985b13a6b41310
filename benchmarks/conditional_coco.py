"""Conditional SeqGAN against its MLE starting point: COCO caption continuation (CPU-scaled).

The task: continue a caption from its first `--prefix_words` words. Source = those words, target = the rest
of the caption; a test source shared by several test captions has all their continuations as references, so
corpus BLEU (the translation protocol: each answer against its own source's references) measures whether
the answers are plausible continuations. The TSV files are written under runs/ from ../shared/data
(never into the project).

Run from the project root:

    .venv/bin/python benchmarks/conditional_coco.py [--data_dir ../shared/data] [--mle_epochs 10]
        [--adversarial_steps 40] [--rollout_num 8]

1. Conditional MLE (encoder-decoder, Luong attention) for --mle_epochs epochs.
2. From it (--pretrained_generator): conditional SeqGAN, D = CNN over source and target, Monte Carlo
   roll-outs, one teacher-forcing MLE update on real pairs after each adversarial G update.
3. The control: the same MLE run continued for as many MLE updates as SeqGAN's interleave made, so that a
   gain of SeqGAN over it is not just more MLE.
4. The same with --prefix_rewards=discriminator (a D trained on prefixes instead of roll-outs).
Each run's final evaluation (1,000 test sources) is read from its log; the report goes to
benchmarks/results/conditional_coco.md.
"""
from __future__ import annotations

import argparse
import datetime
import os
import re
import subprocess
import sys
import time

from report import cpu_model, run_cli  # benchmarks/report.py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METRICS = ["nll_test", "bleu_2", "bleu_4", "greedy_bleu_4", "greedy_exact_match"]


def write_tsv(lines: list[str], prefix_words: int, path: str) -> int:
    """`first words<TAB>rest` for captions longer than the prefix; returns the pair count."""
    pairs = []
    for line in lines:
        words = line.split()
        if len(words) > prefix_words:
            pairs.append(" ".join(words[:prefix_words]) + "\t" + " ".join(words[prefix_words:]))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(pairs) + "\n")
    return len(pairs)


def run(args: list[str], log_path: str) -> tuple[dict[str, float], float]:
    """Runs the training CLI; its final metrics and wall time (exits with the log's tail on failure)."""
    code, seconds, text = run_cli(args, log_path)
    if code != 0:
        sys.exit(f"failed (exit {code}): {' '.join(args)}\n{text[-3000:]}")
    final = text[text.rindex("final metrics:"):]
    metrics = {name.lower().replace("-", "_"): float(value)
               for name, value in re.findall(r"^\s+([A-Z0-9-]+): ([-0-9.e+]+)", final, re.M)}
    return metrics, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", default="../shared/data")
    parser.add_argument("--prefix_words", type=int, default=3)
    parser.add_argument("--mle_epochs", type=int, default=10)
    parser.add_argument("--adversarial_steps", type=int, default=40)
    parser.add_argument("--rollout_num", type=int, default=8)
    parser.add_argument("--adversarial_learning_rate", type=float, default=1e-4)
    parser.add_argument("--workdir", default=os.path.join(ROOT, "runs", f"conditional-coco-{time.strftime('%Y%m%d-%H%M%S')}"))
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results", "conditional_coco.md"))
    args = parser.parse_args()
    data_dir = os.path.abspath(os.path.join(ROOT, args.data_dir))
    os.makedirs(args.workdir)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sizes = {}
    for split in ("train", "test"):
        with open(os.path.join(data_dir, f"coco_{split}.txt"), encoding="utf-8") as f:
            sizes[split] = write_tsv(f.read().splitlines(), args.prefix_words, f"{args.workdir}/{split}.tsv")

    common = ["--task=parallel", f"--train_data={args.workdir}/train.tsv", f"--test_data={args.workdir}/test.tsv",
              "--tokenizer=word", "--embedding_dim=32", "--hidden_dim=64", "--batch_size=64", "--learning_rate=0.005",
              "--grad_clip=5.0", "--num_eval_samples=1000", "--samples_to_write=50"]
    adversarial = ["--method=seqgan", f"--pretrained_generator={args.workdir}/mle", "--pretrain_epochs=0",
                   f"--adversarial_learning_rate={args.adversarial_learning_rate}",
                   "--discriminator_pretrain_rounds=3", "--discriminator_negatives=2000", "--discriminator_epochs=1",
                   "--discriminator_filter_widths=1,2,3,4,5", "--discriminator_num_filters=100,200,200,200,200",
                   f"--adversarial_steps={args.adversarial_steps}", "--discriminator_rounds=1",
                   f"--rollout_num={args.rollout_num}", "--teacher_forcing_steps=1",
                   f"--eval_every={args.adversarial_steps + 3}", "--checkpoint_every=10"]
    rows = {}
    rows["MLE (the start)"] = run(common + ["--method=mle", f"--epochs={args.mle_epochs}",
                                            f"--logdir={args.workdir}/mle"], f"{args.workdir}/mle.log")
    mle_steps = args.mle_epochs * (sizes["train"] // 64)  # every training pair is kept (--max_length 0)
    subprocess.check_call(["cp", "-r", f"{args.workdir}/mle", f"{args.workdir}/mle_continued"])
    rows[f"MLE continued (+{args.adversarial_steps} updates)"] = run(
        common + ["--method=mle", f"--steps={mle_steps + args.adversarial_steps}",
                  f"--logdir={args.workdir}/mle_continued", "--resume"], f"{args.workdir}/mle_continued.log")
    rows["SeqGAN, Monte Carlo roll-outs"] = run(common + adversarial + [f"--logdir={args.workdir}/seqgan_mc"],
                                                f"{args.workdir}/seqgan_mc.log")
    rows["SeqGAN, prefix-scoring D"] = run(common + adversarial + ["--prefix_rewards=discriminator",
                                                                   f"--logdir={args.workdir}/seqgan_prefix"],
                                           f"{args.workdir}/seqgan_prefix.log")

    lines = ["# Conditional SeqGAN vs its MLE start: COCO caption continuation (CPU-scaled)", "",
             f"Command: `.venv/bin/python benchmarks/conditional_coco.py --mle_epochs {args.mle_epochs} "
             f"--adversarial_steps {args.adversarial_steps} --rollout_num {args.rollout_num} "
             f"--adversarial_learning_rate {args.adversarial_learning_rate}`", "",
             f"Machine: {cpu_model()}, nproc {os.cpu_count()}; started {started}; "
             f"load at start: `{load}`.", "",
             f"Task: the first {args.prefix_words} words of a COCO caption -> the rest ({sizes['train']:,} training "
             f"pairs from coco_train.txt, {sizes['test']:,} test pairs from coco_test.txt; a test source's "
             "references are the continuations of every test caption that starts with it). Metrics on the first "
             "1,000 distinct test sources: corpus BLEU (translation protocol, nltk-exact) of answers sampled at "
             "temperature 1 and of greedy answers; NLL-test = per-token NLL of all test continuations.", "",
             f"Generator: encoder-decoder, embedding 32, LSTM 64, Luong attention; MLE Adam 0.005, batch 64, "
             f"{args.mle_epochs} epochs ({mle_steps:,} updates). SeqGAN: from the MLE generator, 3 D rounds of "
             f"2,000 negatives, then {args.adversarial_steps} adversarial steps (Adam "
             f"{args.adversarial_learning_rate:g}, {args.rollout_num} roll-outs, 1 D round each, 1 teacher-forcing "
             "update each).", "",
             "| run | " + " | ".join(METRICS) + " | wall s |", "|---|" + "---:|" * (len(METRICS) + 1)]
    for name, (metrics, seconds) in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{metrics.get(m, float('nan')):.4f}" for m in METRICS)
                     + f" | {seconds:.0f} |")
    lines += ["", f"Runs and logs: `{os.path.relpath(args.workdir, ROOT)}`."]
    with open(args.output, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
