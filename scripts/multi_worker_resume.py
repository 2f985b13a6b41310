"""Kills a worker of a two-worker MultiWorkerMirroredStrategy run, then resumes the run from its last checkpoint.

    python scripts/multi_worker_resume.py [--workdir DIR] [--steps N] [--checkpoint_every K]

The procedure it follows is the one to use on a real cluster (README, "Distributed training"):
1. start every worker with the same flags, --strategy=multi_worker, the same --logdir, its own TF_CONFIG;
2. a worker dies (here: SIGKILL); the others stall in their next collective: stop them all;
3. start every worker again with the same flags plus --resume: all restore the chief's latest checkpoint.
It runs a tiny MLE on 127.0.0.1, checks that the run ends at step N, and also trains the same
flags on one device (the reference a resumed run must reproduce). Prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--method=mle", "--task=oracle", "--oracle_vocab_size=40", "--oracle_length=8", "--oracle_num_train=256",
        "--oracle_num_test=64", "--oracle_embedding_dim=8", "--oracle_hidden_dim=8", "--embedding_dim=8",
        "--hidden_dim=16", "--batch_size=32", "--dropout=0.2", "--num_eval_samples=64", "--samples_to_write=8",
        "--eval_every=100000", "--keep_checkpoints=100"]


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def start_worker(index: int, addresses: list[str], flags: list[str], log_path: str) -> subprocess.Popen:
    tf_config = {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TF_CONFIG=json.dumps(tf_config), PYTHONPATH=ROOT)
    log = open(log_path, "a", encoding="utf-8")
    return subprocess.Popen([sys.executable, "-m", "tfgan_text.main", *flags], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, text=True)


def latest_step(checkpoints: str) -> int:
    if not os.path.exists(os.path.join(checkpoints, "checkpoint")):
        return 0
    with open(os.path.join(checkpoints, "checkpoint"), encoding="utf-8") as f:
        match = re.search(r'^model_checkpoint_path: ".*ckpt-(\d+)"', f.read(), re.M)
    return int(match.group(1)) if match else 0


def wait(processes: list[subprocess.Popen], timeout: float) -> list[int | None]:
    deadline = time.time() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            pass
    return [process.poll() for process in processes]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default=None, help="Where the runs and logs go (default: a new temp dir).")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--checkpoint_every", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=300.0, help="Seconds allowed for each stage.")
    args = parser.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="multi_worker_resume_")
    os.makedirs(workdir, exist_ok=True)
    run = os.path.join(workdir, "run")
    checkpoints = os.path.join(run, "checkpoints")
    flags = TINY + [f"--steps={args.steps}", f"--checkpoint_every={args.checkpoint_every}", f"--logdir={run}",
                    "--strategy=multi_worker"]
    logs = [os.path.join(workdir, f"worker{i}.log") for i in range(2)]
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731  (stdout: the JSON report)

    # 1. the cluster starts
    addresses = [f"127.0.0.1:{port}" for port in free_ports(2)]
    workers = [start_worker(i, addresses, flags, logs[i]) for i in range(2)]
    say(f"started workers {[w.pid for w in workers]} on {addresses}; logs {logs}")
    try:
        deadline = time.time() + args.timeout
        while latest_step(checkpoints) == 0 and time.time() < deadline and workers[0].poll() is None:
            time.sleep(0.05)
        if latest_step(checkpoints) == 0:
            raise SystemExit(f"no checkpoint appeared; see {logs[0]}")
        # 2. worker 1 dies; the chief stalls or fails in its next collective and is stopped too
        workers[1].send_signal(signal.SIGKILL)
        say(f"killed worker 1 (pid {workers[1].pid}) after the chief's checkpoint {latest_step(checkpoints)}")
        if wait(workers[:1], 20.0)[0] is None:
            workers[0].send_signal(signal.SIGKILL)
            say("the chief stalled without its peer; killed it")
        else:
            say(f"the chief exited with code {workers[0].returncode} without its peer")
        wait(workers, 10.0)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    killed_at = latest_step(checkpoints)
    if killed_at >= args.steps:
        raise SystemExit(f"the run finished ({killed_at} steps) before the kill; use more --steps")

    # 3. every worker restarts with --resume
    addresses = [f"127.0.0.1:{port}" for port in free_ports(2)]
    workers = [start_worker(i, addresses, flags + ["--resume"], logs[i]) for i in range(2)]
    say(f"restarted workers {[w.pid for w in workers]} with --resume")
    codes = wait(workers, args.timeout)
    for worker in workers:
        if worker.poll() is None:
            worker.kill()
    if codes != [0, 0]:
        raise SystemExit(f"resumed workers exited with {codes}; see {logs}")
    with open(logs[0], encoding="utf-8") as f:
        resumed = [int(m) for m in re.findall(r"resumed from .* at step (\d+)", f.read())]

    # the reference: the same flags on one device, uninterrupted
    reference = os.path.join(workdir, "reference")
    reference_flags = [f for f in flags if not f.startswith(("--logdir", "--strategy"))]
    subprocess.run([sys.executable, "-m", "tfgan_text.main", *reference_flags, f"--logdir={reference}",
                    "--strategy=default"], cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT),
                   check=True, capture_output=True, timeout=args.timeout)
    report = {"steps": args.steps, "killed_after_checkpoint": killed_at, "resumed_from": resumed[-1] if resumed else None,
              "final_step": latest_step(checkpoints),
              "final_checkpoint": os.path.join(checkpoints, f"ckpt-{latest_step(checkpoints)}"),
              "reference_checkpoint": os.path.join(reference, "checkpoints", f"ckpt-{args.steps}")}
    say(f"resumed from step {report['resumed_from']}, finished at step {report['final_step']}")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
