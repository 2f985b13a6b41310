"""ScratchGAN step time (one G step + one D step) and tokens/s at batch 512.

Run from the project root:

    .venv/bin/python benchmarks/scratchgan_speed.py [--sizes coco,emnlp] [--batch_size 512] [--steps 5]

Sizes: `coco` = flags/scratchgan_coco.cfg's models (G 2 x 128, D 128, 64-d fixed vectors) on COCO
(T = 38, V = 4,6xx; needs ../shared/data); `emnlp` = the paper's EMNLP models (G 2 x 512, D 512,
300-d fixed vectors) on a random task with the same vocabulary and length as COCO (the step's cost
depends on sizes, not on the words). Each step is the trainer's compiled `train_step`: sample B
sequences, rewards from D, REINFORCE update of G, per-token update of D. Tokens/s counts the
generated tokens up to eos. The first (tracing) step is not timed. Results go to
benchmarks/results/scratchgan_speed.md, on whatever devices TensorFlow sees (CPU here).
"""
from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
import types

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SIZES = {  # embedding_dim, hidden_dim, D embedding, D hidden, fixed vector size
    "coco": (32, 128, 32, 128, 64),
    "emnlp": (64, 512, 64, 512, 300),
}


def measure(size: str, batch_size: int, steps: int, data_dir: str) -> dict:
    import tensorflow as tf

    from tfgan_text.data import tasks
    from tfgan_text.data.tokenizers import get_tokenizer
    from tfgan_text.methods.scratchgan import ScratchGAN
    from tfgan_text.sampling import sequence_mask

    task = tasks.corpus_task(os.path.join(data_dir, "coco_train.txt"), os.path.join(data_dir, "coco_nll_test.txt"),
                             get_tokenizer("word"), 1, 0, 0, "drop", 0.1, 1, None, log=lambda message: None)
    embedding, hidden, d_embedding, d_hidden, vector_dim = SIZES[size]
    vectors = os.path.join(ROOT, "runs", "bench-scratchgan-speed", f"random{vector_dim}.txt")
    os.makedirs(os.path.dirname(vectors), exist_ok=True)
    rng = np.random.default_rng(0)
    with open(vectors, "w", encoding="utf-8") as f:  # random vectors of the right size: speed only
        for word in task.vocabulary.tokens[4:]:
            f.write(word + " " + " ".join(f"{v:.3f}" for v in rng.normal(size=vector_dim)) + "\n")
    config = types.SimpleNamespace(
        embedding_dim=embedding, hidden_dim=hidden, num_layers=2, learning_rate=9.59e-5, grad_clip=0.0, steps=steps,
        epochs=0, seed=0, embeddings_file=vectors, discriminator_embedding_dim=d_embedding,
        discriminator_hidden_dim=d_hidden, discriminator_dropout=0.1, discriminator_l2=1e-6,
        discriminator_layer_norm=True, position_signal=True, dense_rewards=True, discount=0.23,
        reinforce_baseline=True, baseline_decay=0.08, scratchgan_beta1=0.5, discriminator_learning_rate=9.38e-3)
    method = ScratchGAN(task, config, steps_per_epoch=1)
    step = tf.function(method.train_step)
    real = tf.constant(task.train[:batch_size])
    step(real, tf.constant([0, 0]))  # tracing
    times, tokens = [], []
    for i in range(steps):
        began = time.perf_counter()
        values = step(real, tf.constant([0, i + 1]))
        times.append(time.perf_counter() - began)
        tokens.append(float(values["generated_length"]) * batch_size)
    return {"size": size, "seconds": float(np.median(times)), "tokens_per_second": float(np.sum(tokens) / np.sum(times)),
            "length": task.spec.max_length, "vocab": task.spec.vocab_size}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="coco,emnlp")
    parser.add_argument("--batch_size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--data_dir", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "scratchgan_speed.md"))
    args = parser.parse_args()
    load, began = os.getloadavg(), datetime.datetime.now(datetime.timezone.utc)
    import tensorflow as tf

    devices = ", ".join(d.device_type for d in tf.config.list_logical_devices())
    results = [measure(size, args.batch_size, args.steps, args.data_dir) for size in args.sizes.split(",")]
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 "unknown CPU")
    lines = ["# ScratchGAN step time at batch %d" % args.batch_size, "",
             f"Command: `python benchmarks/scratchgan_speed.py --sizes={args.sizes} --batch_size={args.batch_size} "
             f"--steps={args.steps}`", "",
             f"Machine: {model}, {os.cpu_count()} cores; devices: {devices}; started {began:%Y-%m-%d %H:%M} UTC; "
             f"load average at start {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}.", "",
             "One step = sample the batch from G, dense rewards from D, one G update, one D update "
             "(median of the timed steps; tokens = generated tokens up to eos).", "",
             "| models | T | V | G+D step (s) | generated tokens/s |", "|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['size']} ({'/'.join(str(v) for v in SIZES[r['size']])}) | {r['length']} | {r['vocab']:,} "
                     f"| {r['seconds']:.2f} | {r['tokens_per_second']:,.0f} |")
    lines += ["", "Sizes: G embedding / G hidden (2 layers) / D embedding / D hidden / fixed vector size.", ""]
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
