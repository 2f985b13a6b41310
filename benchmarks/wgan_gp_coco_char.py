"""WGAN-GP on COCO captions at character level (the authors' setting, CPU-scale).

    .venv/bin/python benchmarks/wgan_gp_coco_char.py [--minutes=18] [--width=64] [--data=../shared/data]
        [--flagfile=flags/wgan_gp_coco_char_cpu.cfg] [-- --more_trainer_flags=...]

Trains --flagfile (default flags/wgan_gp_coco_char.cfg: 32 characters, 10 critic updates
per generator update, Adam 1e-4 (0.5, 0.9), penalty 10, argmax read-out), optionally with
another width (--width; the authors used 512) and any trainer flags given after `--`, for
--minutes of training time, evaluating 1,000 samples every --eval_every critic updates.
Reports over training:
  * the n-gram JSD (n = 1..4) of the samples against the training captions, as the
    authors monitored it, beside the floor (1,000 real held-out captions vs training);
  * the share of generated words found in the training vocabulary (words from the
    project's word tokenizer), and BLEU-2..5 (tfgan_text.metrics.bleu) of the samples
    against all 10,000 COCO test captions — beside the same numbers for 1,000 real
    training captions cut to 32 characters as the generator's are.
Writes benchmarks/results/wgan_gp_coco_char.md (+ .log).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from cot_oracle import TimedRun  # noqa: E402  (trains a flagfile for a fixed training time)
from tfgan_text import main as cli  # noqa: E402
from tfgan_text.data.tokenizers import get_tokenizer  # noqa: E402
from tfgan_text.metrics.bleu import BleuScorer  # noqa: E402

RESULTS = os.path.join(ROOT, "benchmarks", "results", "wgan_gp_coco_char")
ORDERS = (2, 3, 4, 5)


def text_scores(lines: list[str], train_words: set, scorer: BleuScorer, word_tokenizer) -> dict[str, float]:
    """Share of generated words in the training vocabulary, and BLEU-n against the test captions."""
    tokenized = word_tokenizer.tokenize(lines)
    words = [w for sentence in tokenized for w in sentence if any(c.isalnum() for c in w)]
    scores = {"word_share": float(np.mean([w in train_words for w in words])) if words else 0.0}
    nonempty = [s for s in tokenized if s]
    bleu = scorer.scores(nonempty, ORDERS) if nonempty else {n: 0.0 for n in ORDERS}
    scores.update({f"bleu_{n}": float(bleu[n]) for n in ORDERS})
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=18.0, help="training minutes")
    parser.add_argument("--flagfile", default="flags/wgan_gp_coco_char.cfg", help="relative to the project root")
    parser.add_argument("--width", type=int, default=0, help="--wgan_dim (0: the flagfile's; the authors: 512)")
    parser.add_argument("--eval_every", type=int, default=500, help="critic updates between evaluations")
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("extra", nargs="*", help="trainer flags after `--`, e.g. --learning_rate=3e-4")
    args = parser.parse_args()
    for flag in args.extra:
        if not flag.startswith("--"):
            sys.exit(f"trainer flags after `--` must look like --name=value, got {flag!r}")
    train_path, test_path = (os.path.join(args.data, f"coco_{split}.txt") for split in ("train", "test"))
    if not os.path.exists(train_path):
        sys.exit(f"no COCO captions at {train_path} (pass --data)")
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    cpu = subprocess.run("lscpu | grep 'Model name'", shell=True, capture_output=True, text=True).stdout

    word_tokenizer = get_tokenizer("word")
    train_lines = [line.rstrip("\n") for line in open(train_path, encoding="utf-8") if line.strip()]
    test_lines = [line.rstrip("\n") for line in open(test_path, encoding="utf-8") if line.strip()]
    train_words = {w for s in word_tokenizer.tokenize(train_lines) for w in s}
    scorer = BleuScorer(word_tokenizer.tokenize(test_lines), max_n=max(ORDERS))
    real_cut = [line[:32] for line in train_lines[:1000]]
    real_scores = text_scores(real_cut, train_words, scorer, word_tokenizer)

    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, open(RESULTS + ".log", "w") as log_file:
        logdir = f"{tmp}/wgan"
        argv = [f"--flagfile={os.path.join(ROOT, args.flagfile)}", f"--train_data={train_path}",
                f"--test_data={test_path}", *([f"--wgan_dim={args.width}"] if args.width else []),
                "--steps=100000000", f"--eval_every={args.eval_every}", "--checkpoint_every=100000000",
                "--num_eval_samples=1000", "--samples_to_write=1000", f"--logdir={logdir}", *args.extra]
        config = cli.parse_flags(["benchmark"] + argv)  # the settings actually trained, for the report
        run = TimedRun("wgan_gp", argv, 60 * args.minutes, log_file)
        run.run()
        rows = []
        for step, seconds, metrics in run.points:
            with open(f"{logdir}/samples/step_{step:08d}.txt", encoding="utf-8") as f:
                lines = f.read().split("\n")[:1000]
            rows.append((step, seconds, metrics, text_scores(lines, train_words, scorer, word_tokenizer)))
        final_samples = lines[:25]
        floor_lines = [line for line in open(RESULTS + ".log", encoding="utf-8") if "NGRAM-JSD" in line]

    names = [f"ngram_jsd_{n}" for n in (1, 2, 3, 4)]
    text_names = ["word_share"] + [f"bleu_{n}" for n in ORDERS]
    lines = ["# WGAN-GP, COCO captions, character level (CPU-scale)", "",
             f"Command: `.venv/bin/python benchmarks/wgan_gp_coco_char.py --minutes={args.minutes:g} "
             f"--flagfile={args.flagfile}" + (f" --width={args.width}" if args.width else "")
             + f" --eval_every={args.eval_every}" + (" -- " + " ".join(args.extra) if args.extra else "") + "`",
             "",
             f"Machine: {cpu.split(':', 1)[-1].strip()}, nproc {os.cpu_count()}, TensorFlow {tf.__version__}; "
             f"date {time.strftime('%Y-%m-%d %H:%M')}. Load at start (`uptime`): {load}. Other jobs shared the "
             "2 cores.", "",
             f"Settings trained ({args.flagfile}" + "".join(f" {flag}" for flag in args.extra) + "): width "
             f"{config.wgan_dim} with {config.wgan_residual_blocks} residual blocks (the authors: 512, 5), noise "
             f"{config.wgan_noise_dim}, batch {config.batch_size}, Adam {config.learning_rate:g} "
             f"({config.wgan_beta1:g}, {config.wgan_beta2:g}) (the authors: 1e-4 (0.5, 0.9)), {config.critic_steps} "
             f"critic updates per generator update (the authors: 10), penalty {config.gp_weight:g}, "
             f"{config.max_length} characters, {config.wgan_readout} read-out; trained for {args.minutes:g} minutes "
             f"(evaluation excluded). One step = one critic update; generator updates = steps / "
             f"{config.critic_steps}. The paper's 200,000 generator iterations would be "
             f"{200_000 * config.critic_steps:,} steps here.", "",
             "n-gram JSD (nats, at most ln 2) of 1,000 samples vs the training captions; word share = share of "
             "generated words (word tokenizer, tokens with a letter or digit) found in the training vocabulary; "
             "BLEU-n of the 1,000 samples against all 10,000 COCO test captions (nltk-exact, "
             "tfgan_text.metrics.bleu).", "",
             "| step | G updates | training min | " + " | ".join(names + text_names) + " |",
             "|---:|---:|---:|" + "---:|" * len(names + text_names)]
    for step, seconds, metrics, scores in rows:
        lines.append(f"| {step} | {step // config.critic_steps} | {seconds / 60:.1f} | "
                     + " | ".join(f"{metrics[n]:.4f}" for n in names) + " | "
                     + " | ".join(f"{scores[n]:.4f}" for n in text_names) + " |")
    lines.append("| real: 1,000 training captions cut to 32 characters | | | "
                 + " | ".join("see floor" for _ in names) + " | "
                 + " | ".join(f"{real_scores[n]:.4f}" for n in text_names) + " |")
    lines += ["", "n-gram JSD floors (1,000 held-out captions vs training), from the run's final report:", "",
              "```", *[line.split("] ", 1)[-1].rstrip() for line in floor_lines], "```", "",
              "First 25 samples of the last evaluation:", "", "```", *final_samples, "```", ""]
    text = "\n".join(lines) + "\n"
    with open(RESULTS + ".md", "w", encoding="utf-8") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
