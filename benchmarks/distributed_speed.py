"""Training steps/s on one device vs MirroredStrategy over every GPU (issue #9), side by side.

    .venv/bin/python benchmarks/distributed_speed.py [--method scratchgan] [--steps 50] [--cpu_smoke]

Default: ScratchGAN at its published size (batch 512, 2 x 512 LSTMs, embedding 512, D hidden 512)
on the COCO captions (--data_dir, default ../shared/data; the oracle task if absent), with
flags/scratchgan.cfg for everything else. Methods that are not registered fall back to MLE with the
same sizes (said in the output). Both runs use the project's own Trainer: the method built in the
strategy's scope, its phase step compiled by `Trainer._compile`, batches from the distributed
pipeline; steps/s over --steps steps after --warmup steps, each run in a fresh process so that
the strategies do not share a runtime. Without a GPU it refuses (the comparison would mean
nothing) unless --cpu_smoke, which runs a tiny configuration on two logical CPU devices to check
that the script works. Writes benchmarks/results/distributed_speed.md (--output= for none).
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
PUBLISHED = ["--batch_size=512", "--num_layers=2", "--hidden_dim=512", "--embedding_dim=512",
             "--discriminator_hidden_dim=512", "--discriminator_embedding_dim=512"]
SMOKE = ["--batch_size=16", "--num_layers=2", "--hidden_dim=16", "--embedding_dim=8",
         "--discriminator_hidden_dim=16", "--discriminator_embedding_dim=8", "--oracle_vocab_size=40",
         "--oracle_length=8", "--oracle_num_train=256", "--oracle_num_test=64", "--oracle_embedding_dim=8",
         "--oracle_hidden_dim=8", "--num_eval_samples=16"]


def one_run(strategy_name: str, argv: list[str], steps: int, warmup: int, cpu_smoke: bool) -> dict:
    """(in a fresh process) steps/s of the method's last phase under one strategy."""
    import tensorflow as tf

    if cpu_smoke:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    sys.path.insert(0, ROOT)
    from tfgan_text import main
    from tfgan_text.data.pipeline import training_batches
    from tfgan_text.methods import METHODS
    from tfgan_text.training.run_dir import RunDirectory
    from tfgan_text.training.trainer import Trainer

    config = main.parse_flags(["x"] + argv)
    task = main.build_task(config, log=lambda *_: None)
    if strategy_name == "one_device":
        strategy = tf.distribute.OneDeviceStrategy("/cpu:0" if cpu_smoke else "/gpu:0")
    else:
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"] if cpu_smoke else None)
    trainer = Trainer(METHODS[config.method], task, config, RunDirectory("/nonexistent"), strategy=strategy,
                      log=lambda *_: None)
    phase = trainer.method.phases()[-1]  # the method's main phase (ScratchGAN's adversarial one; MLE's only one)
    compiled = trainer._compile(phase)
    batches = iter(strategy.experimental_distribute_dataset(
        training_batches(task.train, config.batch_size, config.seed)))
    for step in range(warmup):
        compiled(next(batches), trainer._seed(step))
    started = time.perf_counter()
    for step in range(warmup, warmup + steps):
        values = compiled(next(batches), trainer._seed(step))
    float(next(iter(values.values())))  # wait for the last step
    elapsed = time.perf_counter() - started
    return {"strategy": strategy_name, "replicas": strategy.num_replicas_in_sync, "phase": phase.name,
            "steps_per_second": steps / elapsed, "sequences_per_second": steps * config.batch_size / elapsed}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--method", default="scratchgan")
    parser.add_argument("--data_dir", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--cpu_smoke", action="store_true")
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results", "distributed_speed.md"))
    parser.add_argument("--_child", default="", help=argparse.SUPPRESS)
    args, extra = parser.parse_known_args()
    if args._child:
        argv = [f"--method={args.method}"] + extra  # --method is this parser's too: hand it back to the project's
        print(json.dumps(one_run(args._child, argv, args.steps, args.warmup, args.cpu_smoke)))
        return 0

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    probe = "import tensorflow as tf; print(len(tf.config.list_physical_devices('GPU')))"
    gpus = int(subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True).stdout.strip() or 0)
    if gpus == 0 and not args.cpu_smoke:
        print("no GPU visible: the one-device vs MirroredStrategy comparison was not measured "
              "(--cpu_smoke checks the script on two logical CPU devices)")
        return 1
    probe_methods = "from tfgan_text.methods import METHODS; print(' '.join(METHODS))"
    registered = subprocess.run([sys.executable, "-c", probe_methods], cwd=ROOT, env=env, capture_output=True,
                                text=True).stdout.split()
    method, note = args.method, ""
    if method not in registered:
        method, note = "mle", f"{args.method} is not registered: MLE at the same sizes instead"
        print(note, flush=True)
    sizes = SMOKE if args.cpu_smoke else PUBLISHED
    data = os.path.join(args.data_dir, "coco_train.txt")
    task_flags = [] if args.cpu_smoke or not os.path.exists(data) else [f"--train_data={data}"]
    argv = [f"--method={method}"] + sizes + task_flags + (["--steps=100000"])
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    results = []
    for strategy_name in ("one_device", "mirrored"):
        child = [sys.executable, os.path.abspath(__file__), f"--_child={strategy_name}", f"--steps={args.steps}",
                 f"--warmup={args.warmup}"] + (["--cpu_smoke"] if args.cpu_smoke else []) + argv
        out = subprocess.run(child, cwd=ROOT, env=env, capture_output=True, text=True)
        if out.returncode:
            print(out.stderr[-3000:])
            return out.returncode
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(results[-1], flush=True)
    speedup = results[1]["steps_per_second"] / results[0]["steps_per_second"]
    print(f"mirrored / one device: {speedup:.2f}x steps/s at the same global batch")
    if args.output:
        rows = "\n".join(f"| {r['strategy']} | {r['replicas']} | {r['steps_per_second']:.2f} | "
                         f"{r['sequences_per_second']:,.0f} |" for r in results)
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(f"""# One device vs MirroredStrategy ({method}{', CPU smoke run' if args.cpu_smoke else ''})

Command: `.venv/bin/python benchmarks/distributed_speed.py {' '.join(sys.argv[1:])}`
Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; GPUs visible: {gpus}; load at start: {load}
Flags: {' '.join(argv)} {note}

| strategy | replicas | steps/s | sequences/s |
|---|---|---|---|
{rows}

MirroredStrategy / one device: {speedup:.2f}x steps/s at the same global batch.
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
