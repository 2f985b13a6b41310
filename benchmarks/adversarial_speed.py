"""Speed of the SeqGAN adversarial step: seconds per G step and per D epoch, oracle and Image COCO.

Run from the project root:

    .venv/bin/python benchmarks/adversarial_speed.py [--data_dir ../shared/data] [--repeats 5]

Everything runs through the project's code: the task from `tfgan_text.main.build_task`, the
`SeqGAN` method's own functions, each compiled with `tf.function` as the trainer does.

- G step = `SeqGAN.generator_step`: sample a batch of 64 from G, 16 Monte Carlo completions of
  every prefix from the roll-out policy scored by D (`monte_carlo_rewards`), the REINFORCE update
  and the roll-out policy update. The pieces are timed separately: the roll-out generation alone
  (scorer = constant), D scoring of the (T-1) x 64 x 16 + 64 sequences alone (in the same
  1,024-row calls), and the G log-prob + update.
- D epoch = `SeqGAN.discriminator_rounds(1)` with 10,000 fresh negatives and one epoch: sample
  10,000 sequences from G, then one pass of batch-64 D updates over 10,000 real + 10,000
  generated. Pieces: the 10,000-sample draw alone, the D updates alone.

Settings: oracle = the fixed SeqGAN oracle (V 5000, T 20), G embedding 32 / hidden 32;
coco = coco_train.txt word tokens (T = longest caption + eos), same G. D = SeqGAN's CNN
(filter table, embedding 64, highway, dropout 0.25). Each timing is the minimum over --repeats
calls after one warm-up call (tracing excluded), with this process's CPU seconds in that call and the cores other
processes used meanwhile (from /proc/stat): other jobs may share the 2 cores, and then the
CPU seconds / 2 estimate the wall time on an idle machine better than the wall time does.
Reference (TextGAN-PyTorch, the brief): oracle 32.7 s per G step, 22 s per D epoch;
COCO 121 s / 38.8 s.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfgan_text.data.pipeline import steps_per_epoch  # noqa: E402
from tfgan_text.main import build_task, parse_flags  # noqa: E402
from tfgan_text.methods.seqgan import SeqGAN  # noqa: E402
from tfgan_text.rollout import monte_carlo_rewards  # noqa: E402
from tfgan_text.sampling import sample, sequence_log_probs  # noqa: E402

REFERENCE = {"oracle": (32.7, 22.0), "coco": (121.0, 38.8)}


from report import cpu_model  # noqa: E402  (benchmarks/report.py)

def busy_jiffies() -> float:
    with open("/proc/stat") as f:
        fields = [float(x) for x in f.readline().split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # all but idle and iowait


def timed(fn, repeats: int) -> tuple[float, float, float, float]:
    """(fastest wall seconds, first call incl. tracing, this process's CPU seconds in the fastest call,
    cores other processes used during the timed calls)."""
    started = time.perf_counter()
    fn()
    first = time.perf_counter() - started
    best, best_cpu, others = float("inf"), 0.0, []
    hz = os.sysconf("SC_CLK_TCK")
    for _ in range(repeats):
        jiffies, own, start = busy_jiffies(), sum(os.times()[:2]), time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        cpu = sum(os.times()[:2]) - own
        other = (busy_jiffies() - jiffies) / hz - cpu
        if elapsed < best:
            best, best_cpu = elapsed, cpu
        others.append(max(0.0, other) / elapsed)
    return best, first, best_cpu, float(np.mean(others))


def build(setting: str, data_dir: str, negatives: int):
    flags = ["x", "--method=seqgan", "--batch_size=64", "--rollout_num=16", "--embedding_dim=32", "--hidden_dim=32",
             "--init_stddev=0.1", f"--discriminator_negatives={negatives}", "--discriminator_epochs=1",
             "--pretrain_epochs=0"]
    if setting == "oracle":
        oracle = os.path.join(data_dir, "seqgan_oracle_lstm.npz")
        flags += ["--oracle_length=20"] + ([f"--oracle_params={oracle}"] if os.path.exists(oracle) else [])
    else:
        flags += [f"--train_data={os.path.join(data_dir, 'coco_train.txt')}",
                  f"--test_data={os.path.join(data_dir, 'coco_test.txt')}", "--tokenizer=word"]
    config = parse_flags(flags)
    task = build_task(config, log=lambda *_: None)
    tf.keras.utils.set_random_seed(0)
    method = SeqGAN(task, config, steps_per_epoch(len(task.train), config.batch_size))
    for phase in method.phases():
        if phase.name == "init_rollout":
            phase.step(None, None)
    return method


def measure(setting: str, data_dir: str, repeats: int, log) -> dict:
    method = build(setting, data_dir, 10_000)
    spec, d = method.task.spec, method.discriminator
    batch, rollouts = 64, 16
    real = tf.constant(method.task.train[:batch])
    seed = tf.constant([1, 2], tf.int32)
    log(f"\n## {setting}: V {spec.vocab_size:,}, T {spec.max_length}, {len(method.task.train):,} training "
        f"sequences; D filter widths {d.filter_widths} ({d.feature_dim} features, "
        f"{sum(int(np.prod(v.shape)) for v in d.trainable_variables):,} weights)\n")
    log("| what | wall seconds (min) | CPU seconds of that call | first call incl. tracing (s) "
        "| other processes' cores during the calls |")
    log("|---|---:|---:|---:|---:|")

    class Results(dict):
        def __setitem__(self, name, value):
            super().__setitem__(name, value)
            best, first, cpu, others = value
            log(f"| {name} | {best:.3f} | {cpu:.2f} | {first:.2f} | {others:.2f} |")
    results = Results()

    g_step = tf.function(method.generator_step)
    results["G step (sample 64, roll-outs, D scores, update)"] = timed(lambda: g_step(real, seed), repeats)

    tokens = sample(method.generator, spec, batch, seed).tokens
    generation_only = tf.function(lambda: monte_carlo_rewards(
        method.rollout, spec, tokens, lambda x: tf.zeros([tf.shape(x)[0]]), rollouts, seed))
    results["  roll-out generation only ((T-1) x 1,024 completions)"] = timed(generation_only, repeats)

    completions = tf.random.uniform([rollouts * batch, spec.max_length], 0, spec.vocab_size, tf.int32, seed=1)

    @tf.function
    def scoring_only():
        total = tf.constant(0.0)
        for _ in tf.range(spec.max_length - 1):
            total += tf.reduce_sum(d.real_probability(completions))
        return total + tf.reduce_sum(d.real_probability(tokens))
    results["  D scoring only ((T-1) x 1,024 + 64 sequences)"] = timed(scoring_only, repeats)

    rewards = tf.random.uniform([batch, spec.max_length])

    @tf.function
    def update_only():
        with tf.GradientTape() as tape:
            loss = -tf.reduce_sum(sequence_log_probs(method.generator, tokens, spec, training=True) * rewards) / batch
        grads = tape.gradient(loss, method.generator.trainable_variables)
        return tf.add_n([tf.reduce_sum(g) for g in grads])
    results["  G log-probs + gradient (no apply)"] = timed(update_only, repeats)

    d_epoch = tf.function(lambda: method.discriminator_rounds(1, seed))
    results["D epoch (10,000 fresh negatives + 20,000-sequence pass)"] = timed(d_epoch, max(1, repeats // 2))

    negatives_only = tf.function(lambda: method.sample_generator(10_000, seed))
    results["  sampling 10,000 negatives only"] = timed(negatives_only, repeats)

    data = tf.concat([tf.constant(method.task.train[:10_000]), negatives_only()], axis=0)
    labels = tf.concat([tf.ones([10_000], tf.int32), tf.zeros([10_000], tf.int32)], axis=0)

    @tf.function
    def updates_only():
        total = tf.constant(0.0)
        for i in tf.range(tf.shape(data)[0] // 64):
            loss, _ = method.discriminator_update(data[i * 64:(i + 1) * 64], labels[i * 64:(i + 1) * 64], seed)
            total += loss
        return total
    results["  D updates only (312 batches of 64)"] = timed(updates_only, max(1, repeats // 2))

    g_ref, d_ref = REFERENCE[setting]
    g = results["G step (sample 64, roll-outs, D scores, update)"][0]
    de = results["D epoch (10,000 fresh negatives + 20,000-sequence pass)"][0]
    log(f"\nReference PyTorch: {g_ref} s per G step, {d_ref} s per D epoch. Here: {g:.2f} s per G step "
        f"({g_ref / g:.1f}x faster), {de:.2f} s per D epoch ({d_ref / de:.1f}x faster).")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--settings", default="oracle,coco")
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results", "adversarial_speed.md"))
    args = parser.parse_args()
    lines = []

    def log(text=""):
        print(text, flush=True)
        lines.append(text)

    log("# SeqGAN adversarial step speed (`benchmarks/adversarial_speed.py`)\n")
    log(f"Command (from the project root): `.venv/bin/python {' '.join(shlex.quote(a) for a in sys.argv)}`\n")
    log(f"Machine: {cpu_model()}, nproc={os.cpu_count()}, {platform.python_version()}, "
        f"TensorFlow {tf.__version__}; date {datetime.datetime.now():%Y-%m-%d %H:%M}; "
        f"load at start: {open('/proc/loadavg').read().split()[:3]} (other jobs share the 2 cores: compare "
        "ratios within one run)")
    for setting in args.settings.split(","):
        if setting == "coco" and not os.path.exists(os.path.join(args.data_dir, "coco_train.txt")):
            log("\n## coco: skipped (no coco_train.txt)")
            continue
        measure(setting, args.data_dir, args.repeats, log)
    if args.output:
        os.makedirs(os.path.dirname(args.output), exist_ok=True)
        with open(args.output, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
