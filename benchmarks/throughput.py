"""Throughput of MLE training (tokens/s) and sampling (sequences/s), oracle and Image COCO.

Run from the project root:

    .venv/bin/python benchmarks/throughput.py [--data_dir ../shared/data] [--quick]

Everything runs through the project's own code paths: the task from
`tfgan_text.main.build_task`, the `MLE` method's replica train step compiled by
`Trainer._compile` (a `tf.function` around `strategy.run(step, args=(batch, seed))`,
default strategy), seeds from `Trainer._seed`, batches from the real tf.data
pipeline (`training_batches` through `experimental_distribute_dataset`), and
`Sampler(generator, spec)(10_000, seed)` for sampling.

Settings:
  oracle  the fixed SeqGAN oracle (<data_dir>/seqgan_oracle_lstm.npz; a random oracle from
          `random_oracle_parameters` when absent): V 5000, T 20, embedding 32, hidden 32, batch 64.
  coco    <data_dir>/coco_train.txt (+ coco_test.txt), word tokenizer, embedding 32, hidden 32,
          batch 64. Tokens/s are given twice: real tokens (non-pad, eos included) and all
          B*T positions.

Timing is by windows (e.g. 300 train steps, or one 10,000-sequence draw). During each window
the CPU time used by OTHER processes is read from /proc; a window is clean when they used
less than 0.25 cores. Windows run until 3 are clean (at most 9), and the fastest clean
window is reported (the fastest of all, flagged by its "others" figure, if none was clean).
The pieces of the step breakdown are timed in interleaved rounds (one window each per round).
Before each window, a full run waits for a second in which other processes used less than
0.25 cores (at most 60 s per window, 20 minutes in all).

Training tokens/s: the loop the trainer runs (next batch, seed, compiled step, float() of
every returned scalar) over windows of 300 steps after 30 warm-up steps. The oracle setting
also times the pieces of a step (pipeline, seed, forward, forward+backward, full step on a
fixed batch) to show where the time goes.

Unless --quick or --no_wait, the script first waits (polling every 30 s, at most
40 minutes) until `pgrep -f oracle_mle.py` finds nothing, so that the numbers are
taken without that benchmark running. A full run writes its report to
benchmarks/results/throughput.md (--output to change; --output= for none).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import shlex
import statistics
import sys
import time
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfgan_text.data.pipeline import steps_per_epoch, training_batches  # noqa: E402
from tfgan_text.main import build_task, parse_flags  # noqa: E402
from tfgan_text.methods.base import Phase  # noqa: E402
from tfgan_text.methods.mle import MLE, mle_loss  # noqa: E402
from tfgan_text.sampling import Sampler, sequence_mask  # noqa: E402
from tfgan_text.training.optimization import replica_seed  # noqa: E402
from tfgan_text.training.trainer import Trainer, make_strategy  # noqa: E402

# Published figures of the PyTorch reference implementation (oracle setting, 2 threads),
# measured by others on this kind of machine -- not measured side by side with this script.
REFERENCE_TRAIN_TOKENS_PER_S = 51_500
REFERENCE_SAMPLE_SEQUENCES_PER_S = 435
WAIT_PATTERN = "oracle_mle.py"


class Report:
    """Prints lines and keeps them for the results file."""

    def __init__(self):
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)


from report import cpu_model, sh  # noqa: E402  (benchmarks/report.py)

def wait_until_idle(pattern: str, poll_s: float, timeout_s: float, log) -> tuple[float, bool]:
    """Polls `pgrep -f pattern` until it finds nothing; (seconds waited, idle?)."""
    started = time.time()
    announced = False
    while True:
        pids = [p for p in sh(["pgrep", "-f", pattern]).split() if p and int(p) != os.getpid()]
        waited = time.time() - started
        if not pids:
            return waited, True
        if waited >= timeout_s:
            return waited, False
        if not announced:
            log(f"waiting for `pgrep -f {pattern}` (pids {' '.join(pids)}) to find nothing "
                f"(poll {poll_s:.0f} s, at most {timeout_s / 60:.0f} min)")
            announced = True
        time.sleep(poll_s)


def busy_processes(threshold: float = 10.0) -> list[str]:
    """Other processes using at least `threshold` % CPU over one second (from `top`)."""
    lines = sh(["top", "-b", "-n", "2", "-d", "1", "-c", "-w", "400"]).splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("top -")]
    busy = []
    in_table = False
    for line in lines[starts[-1]:] if starts else []:
        fields = line.split(None, 11)
        if fields[:1] == ["PID"]:
            in_table = True
            continue
        if not in_table or len(fields) < 12:
            continue
        try:
            pid, cpu = int(fields[0]), float(fields[8])
        except ValueError:
            continue
        if cpu >= threshold and pid != os.getpid():
            busy.append(f"pid {pid} {cpu:.0f}% `{fields[11][:120]}`")
    return busy


class Watcher:
    """Polls `pgrep -f pattern` in the background during the measurement and keeps what it saw."""

    def __init__(self, pattern: str, every_s: float = 5.0):
        import threading

        self.pattern, self.every_s, self.seen = pattern, every_s, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            output = sh(["pgrep", "-af", self.pattern])
            for line in output.splitlines():
                pid, _, args = line.partition(" ")
                if pid.isdigit() and int(pid) != os.getpid() and "pgrep" not in args:
                    self.seen.setdefault(int(pid), args)
            self._stop.wait(self.every_s)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        return self.seen


CLEAN_CORES = 0.25  # a timing window is "clean" when other processes used less CPU than this


class CpuMeter:
    """CPU time used by OTHER processes (all of /proc/stat minus this process), per wall second."""

    def __init__(self):
        self.hz = os.sysconf("SC_CLK_TCK")

    def snapshot(self) -> tuple[float, int, int]:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        busy = sum(values[:8]) - values[3] - values[4]  # all but idle and iowait (guest is inside user)
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return time.perf_counter(), busy, int(fields[11]) + int(fields[12])  # utime + stime

    def other_cores(self, a, b) -> float:
        return max(0, (b[1] - a[1]) - (b[2] - a[2])) / self.hz / max(b[0] - a[0], 1e-9)


METER = CpuMeter()


@dataclasses.dataclass
class Timing:
    """Wall seconds per call in each timing window, with the CPU other processes used meanwhile."""

    seconds: list[float]
    others: list[float]  # cores used by other processes during each window

    @property
    def clean(self) -> list[int]:
        return [i for i, o in enumerate(self.others) if o < CLEAN_CORES]

    @property
    def best_index(self) -> int:
        candidates = self.clean or range(len(self.seconds))
        return min(candidates, key=lambda i: self.seconds[i])

    @property
    def best(self) -> float:
        """The fastest clean window (the fastest of all when none was clean)."""
        return self.seconds[self.best_index]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def describe(self, unit: float = 1e3, suffix: str = "ms") -> str:
        i = self.best_index
        which = "best clean window" if self.clean else "fastest window (NONE was clean)"
        return (f"{which} {self.seconds[i] * unit:.2f} {suffix} (other processes used "
                f"{self.others[i]:.2f} cores meanwhile); all {len(self.seconds)} windows "
                f"{min(self.seconds) * unit:.2f}..{max(self.seconds) * unit:.2f} {suffix}, median "
                f"{self.median * unit:.2f}; {len(self.clean)} clean (others < {CLEAN_CORES} cores)")


class QuietWait:
    """Before a timing window, waits (within a total budget) for one second in which other
    processes used less than CLEAN_CORES cores."""

    def __init__(self, budget_s: float):
        self.budget_s, self.waited_s, self.gave_up = budget_s, 0.0, 0

    def __call__(self, max_s: float = 60.0) -> None:
        started = time.perf_counter()
        while self.waited_s + (time.perf_counter() - started) < self.budget_s:
            a = METER.snapshot()
            time.sleep(1.0)
            if METER.other_cores(a, METER.snapshot()) < CLEAN_CORES:
                break
            if time.perf_counter() - started > max_s:
                self.gave_up += 1
                break
        self.waited_s += time.perf_counter() - started


QUIET = QuietWait(0.0)  # main() sets the budget (none for --quick)


def time_windows(call, n: int, windows: int) -> Timing:
    """Mean wall time of call(i), i < n, per window; runs windows until `windows` of them are
    clean (other processes used < CLEAN_CORES cores) or 3 * windows have run. Before each
    window, QUIET waits for a quiet second."""
    return time_windows_interleaved({"only": call}, n, windows)["only"]


def time_windows_interleaved(calls: dict, n: int, windows: int) -> dict:
    """time_windows for several calls at once, in rounds of one window per call still short of
    clean windows, so that a burst of load from other processes does not hit only one of them."""
    timings = {label: Timing([], []) for label in calls}
    for _ in range(3 * windows):
        pending = [label for label in calls if len(timings[label].clean) < windows]
        if not pending:
            break
        for label in pending:
            QUIET()
            a = METER.snapshot()
            for i in range(n):
                calls[label](i)
            b = METER.snapshot()
            timings[label].seconds.append((b[0] - a[0]) / n)
            timings[label].others.append(METER.other_cores(a, b))
    return timings


def fmt(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


# --- one setting -------------------------------------------------------------------------------
class Setting:
    """A task, an MLE method built as the trainer builds it, and its compiled train step."""

    def __init__(self, name: str, config, task):
        self.name, self.config, self.task = name, config, task
        self.strategy = make_strategy("default")
        with self.strategy.scope():
            self.method = MLE(task, config, steps_per_epoch(len(task.train), config.batch_size))
        # The trainer's own compile and seed functions, called on a stand-in for `self`.
        self.trainer_view = types.SimpleNamespace(strategy=self.strategy, config=config)
        self.train_step = self.compile(self.method.phases()[0].step)

    def compile(self, replica_fn):
        return Trainer._compile(self.trainer_view, Phase("benchmark", 1, replica_fn))

    def seed(self, step: int) -> tf.Tensor:
        return Trainer._seed(self.trainer_view, step)

    def batches(self, start_step: int = 0):
        return iter(self.strategy.experimental_distribute_dataset(
            training_batches(self.task.train, self.config.batch_size, self.config.seed, start_step)))

    # --- training ---
    def measure_training(self, warmup: int, steps: int, windows: int, log) -> dict:
        batches = self.batches(0)
        step = 0
        losses = []

        def trainer_iteration(_):
            nonlocal step
            values = self.train_step(next(batches), self.seed(step))
            values = {name: float(value) for name, value in values.items()}
            losses.append(values["loss"])
            step += 1

        started = time.perf_counter()
        trainer_iteration(0)
        first_call = time.perf_counter() - started
        for _ in range(warmup - 1):
            trainer_iteration(0)
        timing = time_windows(trainer_iteration, steps, windows)
        timed_steps = steps * len(timing.seconds)
        # The exact batches of the timed steps, replayed (outside the timing) to count real tokens.
        spec, batch, length = self.task.spec, self.config.batch_size, self.task.spec.max_length
        timed = training_batches(self.task.train, batch, self.config.seed, warmup).take(timed_steps)
        real_tokens = sum(float(tf.reduce_sum(sequence_mask(b, spec.eos_id))) for b in timed)
        real_per_step = real_tokens / timed_steps
        best = timing.best
        result = {"s_per_step": best, "timing": timing,
                  "steps_per_s": 1 / best, "all_tokens_per_s": batch * length / best,
                  "real_tokens_per_step": real_per_step, "real_tokens_per_s": real_per_step / best,
                  "first_call_s": first_call, "loss_first": losses[0], "loss_last": losses[-1],
                  "trained_steps": len(losses)}
        log(f"- trainer loop, windows of {steps} steps after {warmup} warm-up steps (first call incl. tracing "
            f"{first_call:.2f} s); per step: {timing.describe()}")
        log(f"- reported window: {1 / best:,.1f} steps/s")
        log(f"- positions per step B*T = {batch}*{length} = {batch * length}; real tokens per step "
            f"(non-pad, eos included) {real_per_step:,.1f}")
        log(f"- all positions: {fmt(result['all_tokens_per_s'])} tokens/s; real tokens: "
            f"{fmt(result['real_tokens_per_s'])} tokens/s")
        log(f"- MLE loss (per-token NLL) {losses[0]:.3f} at step 1 -> {losses[-1]:.3f} at step {len(losses)}")
        return result

    # --- sampling ---
    def measure_sampling(self, num_samples: int, chunk_sizes: list[int], repeats: int, log) -> dict:
        sampler = Sampler(self.method.generator, self.task.spec)
        seed = tf.constant([self.config.seed, 7], tf.int32)
        rows = {}
        log(f"| chunk size | chunks | sequences/s (best clean of >= {repeats} runs) | range over all runs | "
            "tokens/s (real) | mean length | steps of the loop (last run) |")
        log("|---:|---:|---:|---:|---:|---:|---:|")
        for chunk in chunk_sizes:
            sampler(min(chunk, num_samples), seed, chunk_size=chunk).tokens.numpy()  # warm-up
            samples = []

            def draw(_):
                result = sampler(num_samples, seed, chunk_size=chunk)
                result.tokens.numpy()
                samples.append(result)

            timing = time_windows(draw, 1, repeats)
            elapsed = timing.best
            lengths = samples[-1].lengths.numpy()
            loop_steps = int(np.max(lengths))
            rows[chunk] = {"seq_per_s": num_samples / elapsed, "mean_length": float(lengths.mean()),
                           "seconds": elapsed, "timing": timing}
            i = timing.best_index
            log(f"| {chunk:,} | {-(-num_samples // chunk)} | {fmt(num_samples / elapsed)} | "
                f"{fmt(num_samples / max(timing.seconds))}..{fmt(num_samples / min(timing.seconds))} "
                f"({len(timing.seconds)} runs, {len(timing.clean)} clean; others {timing.others[i]:.2f} cores "
                f"in the best) | {fmt(lengths.sum() / elapsed)} | {lengths.mean():.2f} | "
                f"{loop_steps} of {self.task.spec.max_length} |")
        return rows

    # --- where the time of a step goes ---
    def measure_breakdown(self, n: int, windows: int, log) -> dict:
        generator, spec = self.method.generator, self.task.spec
        variables = generator.trainable_variables
        fixed_batch = next(self.batches(0))
        fixed_seed = self.seed(0)

        def nothing(tokens, seed):
            return {"x": tf.constant(0.0)}

        def embedding_lstm(tokens, seed):
            x = generator.embedding(tokens)
            for lstm in generator.lstms:
                x = lstm(x)[0]
            return {"x": tf.reduce_sum(x)}

        lstm_variables = generator.embedding.trainable_variables + [
            v for lstm in generator.lstms for v in lstm.trainable_variables]

        def embedding_lstm_backward(tokens, seed):
            with tf.GradientTape() as tape:
                loss = embedding_lstm(tokens, seed)["x"]
            grads = [tf.convert_to_tensor(g) for g in tape.gradient(loss, lstm_variables)]
            return {"x": loss, "grad_norm": tf.linalg.global_norm(grads)}

        def embedding_lstm_logits(tokens, seed):
            x = generator.embedding(tokens)
            for lstm in generator.lstms:
                x = lstm(x)[0]
            return {"x": tf.reduce_sum(generator.output_layer(x))}

        def embedding_lstm_logits_backward(tokens, seed):
            with tf.GradientTape() as tape:
                loss = embedding_lstm_logits(tokens, seed)["x"]
            grads = [tf.convert_to_tensor(g) for g in tape.gradient(loss, variables)]
            return {"x": loss, "grad_norm": tf.linalg.global_norm(grads)}

        def forward(tokens, seed):
            return {"loss": mle_loss(generator, tokens, spec, replica_seed(seed))[1]}

        def forward_backward(tokens, seed):
            with tf.GradientTape() as tape:
                loss, mean_nll = mle_loss(generator, tokens, spec, replica_seed(seed))
            grads = tape.gradient(loss, variables)
            grads = [tf.convert_to_tensor(g) for g in grads]
            return {"loss": mean_nll, "grad_norm": tf.linalg.global_norm(grads)}

        pieces = [("empty compiled call (dispatch + reduce + float)", self.compile(nothing)),
                  ("forward: embedding + LSTM only (no logits)", self.compile(embedding_lstm)),
                  ("forward: embedding + LSTM + dense logits (no softmax)", self.compile(embedding_lstm_logits)),
                  ("forward: full loss (+ log-softmax, gather, mask)", self.compile(forward)),
                  ("forward + backward (gradients, global norm)", self.compile(forward_backward)),
                  ("forward + backward of embedding + LSTM only (loss = sum of LSTM outputs)",
                   self.compile(embedding_lstm_backward)),
                  ("forward + backward of embedding + LSTM + dense logits (loss = sum of logits)",
                   self.compile(embedding_lstm_logits_backward)),
                  ("full train step (+ clip + Adam), fixed batch", self.train_step)]

        def run(fn):
            def call(_):
                for value in fn(fixed_batch, fixed_seed).values():
                    float(value)
            return call

        # data pipeline alone (fresh iterator) and the trainer's seed alone, then the pieces
        batches = self.batches(0)
        calls = {"pipeline": lambda _: next(batches), "seed": lambda i: self.seed(i)}
        calls.update({label: run(fn) for label, fn in pieces})
        for call in calls.values():  # warm-up (tracing)
            for i in range(5):
                call(i)
        return time_windows_interleaved(calls, n, windows)


# --- main ------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a smoke check only")
    parser.add_argument("--no_wait", action="store_true", help=f"do not wait for {WAIT_PATTERN} to end")
    parser.add_argument("--output", default=None,
                        help="report file; default benchmarks/results/throughput.md for a full run, none for --quick")
    args = parser.parse_args()
    exact_command = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.executable, os.getcwd())] + sys.argv)
    q = args.quick
    warmup, steps, windows = (3, 10, 1) if q else (30, 300, 3)
    breakdown_n = 10 if q else 300
    num_samples = 500 if q else 10_000
    chunk_sizes = [100, 250, 500] if q else [500, 1000, 2048, 10_000]
    sample_repeats = 1 if q else 3
    oracle_num_train = 640 if q else 10_000
    output = args.output if args.output is not None else ("" if q else
                                                         os.path.join(ROOT, "benchmarks", "results", "throughput.md"))
    log = Report()
    log("# MLE training and sampling throughput (`benchmarks/throughput.py`)")
    log()
    log("Command (run from /work/main):")
    log()
    log("```")
    log(exact_command)
    log("```")
    log()

    if not (q or args.no_wait):
        waited, idle = wait_until_idle(WAIT_PATTERN, 30, 40 * 60, log)
        log(f"Waited {waited:.0f} s for `pgrep -f {WAIT_PATTERN}` to find nothing: "
            + ("it found nothing, measuring." if idle else "STILL RUNNING after 40 min; measuring anyway, "
               "numbers are taken on a busy machine."))
    QUIET.budget_s = 0.0 if q else 20 * 60.0
    watcher = Watcher(WAIT_PATTERN)
    busy_before = busy_processes()
    load_before = os.getloadavg()
    started_at = datetime.datetime.now()
    log(f"Machine: {cpu_model()}, nproc={sh(['nproc'])}; date: {started_at:%Y-%m-%d %H:%M:%S}; "
        f"Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}; "
        f"TF threads intra-op {tf.config.threading.get_intra_op_parallelism_threads()} / inter-op "
        f"{tf.config.threading.get_inter_op_parallelism_threads()} (0 = TF default: all cores); "
        f"devices: {', '.join(d.name for d in tf.config.list_logical_devices())}")
    log(f"Load average at start (1/5/15 min): {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}; "
        f"other processes using >= 10% CPU at start: {'; '.join(busy_before) or 'none'}")
    if q:
        log("**--quick: tiny sizes, a smoke check; these numbers mean nothing.**")
    log()

    # --- oracle setting
    oracle_path = os.path.join(args.data_dir, "seqgan_oracle_lstm.npz")
    oracle_flags = ["x", "--method=mle", "--oracle_length=20", "--embedding_dim=32", "--hidden_dim=32",
                    "--batch_size=64", "--learning_rate=0.01", "--grad_clip=5.0",
                    f"--oracle_num_train={oracle_num_train}", "--oracle_num_test=64"]
    if os.path.exists(oracle_path):
        oracle_flags.append(f"--oracle_params={oracle_path}")
        oracle_source = f"the fixed SeqGAN oracle `{os.path.relpath(oracle_path, ROOT)}`"
    else:
        oracle_flags += ["--oracle_vocab_size=5000", "--oracle_embedding_dim=32", "--oracle_hidden_dim=32"]
        oracle_source = (f"**{oracle_path} not found: a RANDOM oracle** (`random_oracle_parameters`, "
                         "seed 88, V 5000)")
    build_log = []
    oracle_config = parse_flags(oracle_flags)
    oracle_task = build_task(oracle_config, log=build_log.append)
    oracle = Setting("oracle", oracle_config, oracle_task)

    log("## Oracle setting")
    log()
    log(f"Task: {oracle_source}; {len(oracle_task.train):,} training sequences sampled from it; "
        f"V {oracle_task.spec.vocab_size}, T {oracle_task.spec.max_length}, no eos (every position is a "
        f"real token); generator embedding {oracle_config.embedding_dim}, hidden {oracle_config.hidden_dim}, "
        f"batch {oracle_config.batch_size}, Adam lr {oracle_config.learning_rate}, clip {oracle_config.grad_clip}; "
        f"xla={oracle_config.xla}, strategy: {type(oracle.strategy).__name__}.")
    log()
    log("Training (MLE step compiled by `Trainer._compile`, batches from `training_batches`):")
    log()
    oracle_train = oracle.measure_training(warmup, steps, windows, log)
    log()
    log(f"Sampling `Sampler(generator, spec)({num_samples:,}, seed, chunk_size=...)` from the generator "
        "trained above (default chunk size 2048):")
    log()
    oracle_sample = oracle.measure_sampling(num_samples, chunk_sizes, sample_repeats, log)
    log()
    log(f"Where the time of a train step goes (oracle; each piece compiled like the trainer's step, called "
        f"on one fixed batch with float() of its outputs each call; best clean window of {breakdown_n} calls):")
    log()
    timings = oracle.measure_breakdown(breakdown_n, windows, log)
    breakdown = {label: timing.best for label, timing in timings.items()}
    loop = oracle_train["s_per_step"]
    fwd = breakdown["forward: full loss (+ log-softmax, gather, mask)"]
    logits = breakdown["forward: embedding + LSTM + dense logits (no softmax)"]
    lstm = breakdown["forward: embedding + LSTM only (no logits)"]
    fwd_bwd = breakdown["forward + backward (gradients, global norm)"]
    full = breakdown["full train step (+ clip + Adam), fixed batch"]
    lstm_fwd_bwd = breakdown["forward + backward of embedding + LSTM only (loss = sum of LSTM outputs)"]
    logits_fwd_bwd = breakdown["forward + backward of embedding + LSTM + dense logits (loss = sum of logits)"]
    empty = breakdown["empty compiled call (dispatch + reduce + float)"]
    log("| piece | ms per call (best clean window) | share of the trainer-loop step | median ms | "
        "windows (clean) | other processes' cores in the best window |")
    log("|---|---:|---:|---:|---:|---:|")
    rows = [("data pipeline alone: next(batches)", timings["pipeline"]),
            ("trainer seed alone: Trainer._seed(step)", timings["seed"])]
    rows += [(label, timings[label]) for label in timings if label not in ("pipeline", "seed")]
    rows += [("**trainer loop** (pipeline + seed + step + float; from the training measurement)",
              oracle_train["timing"])]
    for label, timing in rows:
        log(f"| {label} | {timing.best * 1e3:.3f} | {timing.best / loop:.0%} | {timing.median * 1e3:.3f} | "
            f"{len(timing.seconds)} ({len(timing.clean)}) | {timing.others[timing.best_index]:.2f} |")
    log()
    log("Differences (rough: pieces overlap, e.g. the pipeline prefetches in the background):")
    log()
    parts = [("per-call overhead (empty compiled call)", empty),
             ("embedding + LSTM forward", lstm - empty),
             ("dense output layer forward (hidden -> V logits, [B*T, H] x [H, V])", logits - lstm),
             ("loss forward (temperature, log-softmax over V, gather, mask, sums)", fwd - logits),
             ("backward pass, total", fwd_bwd - fwd),
             ("  of which embedding + LSTM backward (through the 20-step loop)", lstm_fwd_bwd - lstm),
             ("  of which dense output layer backward (two [B*T, H] x [H, V]-sized matmuls)",
              (logits_fwd_bwd - logits) - (lstm_fwd_bwd - lstm)),
             ("  of which loss backward (log-softmax over V, gather, mask: the rest)",
              (fwd_bwd - fwd) - (logits_fwd_bwd - logits)),
             ("clip + Adam update", full - fwd_bwd),
             ("trainer loop extra (pipeline, seed, Python)", loop - full)]
    for label, seconds in parts:
        log(f"- {label}: {seconds * 1e3:.3f} ms ({seconds / loop:.0%})")
    log()

    # --- COCO setting
    coco_train_path = os.path.join(args.data_dir, "coco_train.txt")
    coco_test_path = os.path.join(args.data_dir, "coco_test.txt")
    coco_train = coco_sample = None
    log("## Image COCO setting")
    log()
    if not os.path.exists(coco_train_path):
        log(f"{coco_train_path} not found: COCO setting skipped.")
    else:
        coco_flags = ["x", f"--train_data={coco_train_path}", "--embedding_dim=32", "--hidden_dim=32",
                      "--batch_size=64", "--tokenizer=word"]
        if os.path.exists(coco_test_path):
            coco_flags.append(f"--test_data={coco_test_path}")
        coco_config = parse_flags(coco_flags)
        coco_task = build_task(coco_config, log=build_log.append)
        coco = Setting("coco", coco_config, coco_task)
        log(f"Task: `{os.path.relpath(coco_train_path, ROOT)}`, word tokenizer; {len(coco_task.train):,} training "
            f"sentences, V {coco_task.spec.vocab_size:,} (specials included), T {coco_task.spec.max_length} "
            f"(longest sentence + eos); generator embedding {coco_config.embedding_dim}, hidden "
            f"{coco_config.hidden_dim}, batch {coco_config.batch_size}.")
        log()
        log("Training:")
        log()
        coco_train = coco.measure_training(warmup, steps, windows, log)
        log()
        log(f"Sampling (generator trained for the {coco_train['trained_steps']} steps above; the loop stops "
            "early once every sequence of a chunk has emitted eos):")
        log()
        coco_sample = coco.measure_sampling(num_samples, chunk_sizes, sample_repeats, log)
        log()
    for line in build_log:
        log(f"(task build: {line})")
    log()

    # --- summary
    default_chunk = 2048 if 2048 in chunk_sizes else chunk_sizes[-1]
    log("## Summary")
    log()
    log(f"Sampling = {num_samples:,} sequences with chunk size {default_chunk}"
        + (" (`Sampler`'s default)" if default_chunk == 2048 else "") + " "
        "(other chunk sizes above). Ratios are ours / the PyTorch reference implementation's PUBLISHED "
        f"figures ({REFERENCE_TRAIN_TOKENS_PER_S:,} tokens/s training, {REFERENCE_SAMPLE_SEQUENCES_PER_S} "
        "sequences/s sampling; oracle setting, 2 threads, measured by others on this kind of machine) -- "
        "not measured side by side.")
    log()
    log("| setting | training tokens/s | training steps/s | sampling sequences/s | "
        "training ratio to PyTorch ref | sampling ratio to PyTorch ref | "
        "other processes' cores in the reported windows (train / sample) |")
    log("|---|---:|---:|---:|---:|---:|---:|")

    def row(setting, tokens_per_s, train, sample, note=""):
        seq = sample[default_chunk]["seq_per_s"]
        t, u = train["timing"], sample[default_chunk]["timing"]
        log(f"| {setting} | {fmt(tokens_per_s)} | {train['steps_per_s']:,.1f} | {fmt(seq)} | "
            f"{tokens_per_s / REFERENCE_TRAIN_TOKENS_PER_S:.2f}x{note} | "
            f"{seq / REFERENCE_SAMPLE_SEQUENCES_PER_S:.2f}x{note} | "
            f"{t.others[t.best_index]:.2f} / {u.others[u.best_index]:.2f} |")

    row("oracle (V 5000, T 20; every position a real token)", oracle_train["all_tokens_per_s"],
        oracle_train, oracle_sample)
    if coco_train is not None:
        row("COCO, real tokens (non-pad, eos included)", coco_train["real_tokens_per_s"], coco_train,
            coco_sample, " (†)")
        row(f"COCO, all positions (B*T = 64*{coco_task.spec.max_length})", coco_train["all_tokens_per_s"],
            coco_train, coco_sample, " (†)")
        log()
        log("(†) the reference figures are for the oracle setting, so COCO ratios are not like-for-like "
            f"(COCO: V {coco_task.spec.vocab_size:,}, T {coco_task.spec.max_length}, early stop at eos "
            "when sampling).")
    log()
    log(f"Waiting for quiet seconds before timing windows: {QUIET.waited_s:.0f} s in all (budget "
        f"{QUIET.budget_s:.0f} s; gave up after 60 s {QUIET.gave_up} times).")
    seen = watcher.stop()
    load_after = os.getloadavg()
    busy_after = busy_processes()
    log()
    log(f"Load average at end (1/5/15 min): {load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f}; "
        f"other processes using >= 10% CPU at end: {'; '.join(busy_after) or 'none'}; "
        f"wall time {(datetime.datetime.now() - started_at).total_seconds():.0f} s.")
    if seen:
        log(f"**WARNING: `{WAIT_PATTERN}` ran during the measurement** "
            f"({'; '.join(f'pid {pid}: {args}' for pid, args in seen.items())}): the numbers were taken on a "
            "busy machine.")
    else:
        log(f"`pgrep -f {WAIT_PATTERN}` (polled every 5 s) found nothing during the whole measurement.")
    if output:
        os.makedirs(os.path.dirname(output), exist_ok=True)
        with open(output, "w") as f:
            f.write("\n".join(log.lines) + "\n")
        print(f"(report written to {os.path.relpath(output, os.getcwd())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
