"""ScratchGAN on Image COCO from scratch: its starting point and the paper's cumulative ablation.

Run from the project root (needs ../shared/data and the `fed` extra for the MiniLM encoder):

    .venv/bin/python benchmarks/scratchgan_coco.py [--steps 300] [--num_samples 1000] [--data_dir ../shared/data]

Every row trains flags/scratchgan_coco.cfg for --steps steps from scratch (no MLE), with the
ingredients of the paper's ablation switched on one after the other:

    baseline             small batch (--small_batch), no D regularisation, no pre-trained vectors,
                         no REINFORCE baseline (dense discounted rewards and the position signal stay on)
    + large batch        --batch_size=<large_batch>
    + D regularisation   L2 1e-6, dropout 0.1, layer-normalised LSTM
    + pre-trained emb.   64-d GloVe vectors made from the training captions by `python -m tfgan_text.glove`
    + REINFORCE baseline = flags/scratchgan_coco.cfg as it is (ScratchGAN)

plus the starting point (the full configuration after 0 steps). Each run is judged by
`python -m tfgan_text.evaluate --metrics=nll,bleu,self_bleu,fed` on --num_samples samples: FED
(all-MiniLM-L6-v2) and BLEU-5 against the 10,000 test captions, leave-one-out Self-BLEU-5, NLL-test on
coco_nll_test.txt. The paper's FED column is from EMNLP2017 News with its own encoder: only the
orderings compare. The report goes to benchmarks/results/scratchgan_coco.md.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VECTORS = "runs/word_vectors/coco_glove64.txt"
PAPER_FED = {"baseline": 0.084, "+ large batch": 0.027, "+ D regularisation": 0.019,
             "+ pre-trained embeddings": 0.017, "+ REINFORCE baseline": 0.016}


def rows(small_batch: int, large_batch: int) -> list[tuple[str, list[str]]]:
    """(name, flags over flags/scratchgan_coco.cfg) for the cumulative ablation."""
    no_regularisation = ["--discriminator_l2=0", "--discriminator_dropout=0", "--discriminator_layer_norm=false"]
    return [
        ("baseline", [f"--batch_size={small_batch}", *no_regularisation, "--embeddings_file=",
                      "--reinforce_baseline=false"]),
        ("+ large batch", [f"--batch_size={large_batch}", *no_regularisation, "--embeddings_file=",
                           "--reinforce_baseline=false"]),
        ("+ D regularisation", [f"--batch_size={large_batch}", "--embeddings_file=", "--reinforce_baseline=false"]),
        ("+ pre-trained embeddings", [f"--batch_size={large_batch}", "--reinforce_baseline=false"]),
        ("+ REINFORCE baseline", [f"--batch_size={large_batch}"]),
    ]


def run(command: list[str], log_path: str) -> float:
    """Runs a command from the project root, output to log_path; its wall time (exits if it fails)."""
    began = time.time()
    with open(log_path, "w", encoding="utf-8") as log:
        code = subprocess.call(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    if code != 0:
        with open(log_path, encoding="utf-8") as f:
            sys.exit(f"failed ({code}): {' '.join(command)}\n{f.read()[-3000:]}")
    return time.time() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--small_batch", type=int, default=64)
    parser.add_argument("--large_batch", type=int, default=256)
    parser.add_argument("--num_samples", type=int, default=1000)
    parser.add_argument("--data_dir", default=os.path.join("..", "shared", "data"))
    parser.add_argument("--runs", default=os.path.join("runs", "bench-scratchgan-coco"))
    parser.add_argument("--out", default=os.path.join("benchmarks", "results", "scratchgan_coco.md"))
    args = parser.parse_args()
    train, test, nll_test = (os.path.join(args.data_dir, name)
                             for name in ("coco_train.txt", "coco_test.txt", "coco_nll_test.txt"))
    if not os.path.exists(os.path.join(ROOT, train)):
        print(f"error: {train} not found (pass --data_dir)", file=sys.stderr)
        return 2
    load, began = os.getloadavg(), datetime.datetime.now(datetime.timezone.utc)
    os.makedirs(os.path.join(ROOT, args.runs), exist_ok=True)
    python = sys.executable
    data = [f"--train_data={train}", f"--test_data={nll_test}"]
    if not os.path.exists(os.path.join(ROOT, VECTORS)):
        run([python, "-m", "tfgan_text.glove", *data, "--tokenizer=word", f"--vectors_output={VECTORS}",
             "--vectors_dim=64"], os.path.join(ROOT, args.runs, "glove.log"))
    plan = [("starting point (0 steps)", ["--steps=0", "--epochs=0"])]
    plan += [(name, flags + [f"--steps={args.steps}"]) for name, flags in rows(args.small_batch, args.large_batch)]
    results = []
    for index, (name, flags) in enumerate(plan):
        logdir = os.path.join(args.runs, f"row{index}-{time.strftime('%Y%m%d-%H%M%S')}")
        training = [python, "-m", "tfgan_text.main", "--flagfile=flags/scratchgan_coco.cfg", *data, *flags,
                    f"--logdir={logdir}", "--eval_every=100000", "--eval_bleu=false", "--num_eval_samples=200"]
        train_seconds = run(training, os.path.join(ROOT, f"{logdir}.train.log"))
        out = os.path.join(logdir, "evaluation.json")
        evaluation = [python, "-m", "tfgan_text.evaluate", f"--checkpoint_dir={logdir}",
                      "--metrics=nll,bleu,self_bleu,fed", f"--num_samples={args.num_samples}",
                      f"--references_file={test}", f"--out={out}"]
        run(evaluation, os.path.join(ROOT, f"{logdir}.evaluate.log"))
        with open(os.path.join(ROOT, out), encoding="utf-8") as f:
            metrics = json.load(f)["metrics"]
        results.append((name, flags, metrics, train_seconds))
        print(f"{name}: FED {metrics['fed']:.4f}, BLEU-5 {metrics['bleu_5']:.4f}, "
              f"Self-BLEU-5 {metrics['self_bleu_5']:.4f}, NLL-test {metrics['nll_test']:.3f} "
              f"({train_seconds:.0f} s of training)", flush=True)
    write_report(args, results, load, began)
    return 0


def write_report(args, results, load, began) -> None:
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 "unknown CPU")
    lines = ["# ScratchGAN on Image COCO from scratch: starting point and cumulative ablation", "",
             f"Command: `python benchmarks/scratchgan_coco.py --steps={args.steps} --small_batch={args.small_batch} "
             f"--large_batch={args.large_batch} --num_samples={args.num_samples}`", "",
             f"Machine: {model}, {os.cpu_count()} cores, no GPU; started {began:%Y-%m-%d %H:%M} UTC; load average "
             f"at start {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f} (other jobs may have shared the cores: training "
             "times are not speed measurements).", "",
             f"Each row: flags/scratchgan_coco.cfg plus its flags, {args.steps} steps from scratch (no MLE). "
             f"Metrics of {args.num_samples:,} samples: FED (all-MiniLM-L6-v2) and BLEU-5 against the 10,000 test "
             "captions, leave-one-out Self-BLEU-5 (lower = more diverse), NLL-test on coco_nll_test.txt. The paper's "
             "FED is EMNLP2017 News with the Universal Sentence Encoder after a long run at batch 512: compare "
             "orderings only.", "",
             "| row | FED | BLEU-5 | Self-BLEU-5 | NLL-test | paper FED (EMNLP) | training s | flags |",
             "|---|---|---|---|---|---|---|---|"]
    for name, flags, m, seconds in results:
        paper = PAPER_FED.get(name)
        lines.append(f"| {name} | {m['fed']:.4f} | {m['bleu_5']:.4f} | {m['self_bleu_5']:.4f} | "
                     f"{m['nll_test']:.3f} | {'' if paper is None else paper} | {seconds:.0f} | "
                     f"`{' '.join(flags)}` |")
    lines += ["", "FED floor at this sample count (FED of training vs test captions, same encoder): "
              f"{results[0][2].get('fed_floor', float('nan')):.4f}.", "", "Orderings (each row against the one "
              "above it; the paper has FED falling at every row):", ""]
    for (above, _, a, _), (name, _, b, _) in zip(results[1:], results[2:]):
        verdict = "held" if b["fed"] < a["fed"] else "did not hold"
        lines.append(f"- {name} vs {above}: FED {a['fed']:.4f} -> {b['fed']:.4f}: {verdict}")
    start, final = results[0][2], results[-1][2]
    lines += ["", f"From its starting point, ScratchGAN (last row) moved FED {start['fed']:.4f} -> {final['fed']:.4f} "
              f"and BLEU-5 {start['bleu_5']:.4f} -> {final['bleu_5']:.4f}.", ""]
    with open(os.path.join(ROOT, args.out), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print(f"report: {args.out}")


if __name__ == "__main__":
    sys.exit(main())
