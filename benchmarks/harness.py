"""What every benchmark shares: the machine and load header, timing windows, the report writer, and
training through the public API (`tfgan_text.train`, which returns the metric history).

Scripts run from the project root (`.venv/bin/python benchmarks/<script>.py ...`). Every report names
the exact command that made it. Other engineers' jobs may share the 2 cores: the timing helpers measure
the CPU that other processes used during each window, and scripts that compare settings alternate them
window by window, so that a burst of load hits every side alike; read ratios within one run.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import tfgan_text as tt  # noqa: E402  (cheap: TensorFlow is imported on first use)
from tfgan_text.config import preset_path, read_flagfile  # noqa: E402

RESULTS = os.path.join("benchmarks", "results")
CLEAN_CORES = 0.25  # a timing window is "clean" when other processes used less CPU than this


# --- the machine ------------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout.splitlines()
    except OSError:
        lines = []
    return next((line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("model name")),
                platform.processor() or platform.machine())


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def machine_header() -> list[str]:
    import keras
    import tensorflow as tf

    devices = ", ".join(d.name for d in tf.config.list_logical_devices()) or "none listed"
    return [f"Machine: {cpu_model()}, nproc {os.cpu_count()}; devices: {devices}; Python "
            f"{platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}; started "
            f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC.",
            f"Load average at start (1/5/15 min): {load_average()}. Other jobs may share the cores: compare "
            "rows measured side by side in this run (as ratios), not absolute times across runs."]


# --- the report ---------------------------------------------------------------------------------------
def command_line() -> str:
    script = os.path.relpath(os.path.abspath(sys.argv[0]), ROOT)
    return shlex.join([".venv/bin/python", script] + sys.argv[1:])


class Report:
    """Markdown lines, printed as they come: a title, the exact command, the machine header, then the
    script's own lines; `write()` adds the load and wall time at the end and saves the file (if any)."""

    def __init__(self, title: str, output: str, smoke: bool = False):
        self.output, self.started = output, time.time()
        self.lines: list[str] = []
        for line in [f"# {title}", "", "Command (from the project root):", "", "```", command_line(), "```", "",
                     *machine_header(), ""]:
            self(line)
        if smoke:
            self("**--smoke: tiny sizes, a check that the script runs; these numbers mean nothing.**\n")

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)

    def table(self, header: list[str], rows: list[list], align: str = "") -> None:
        self("| " + " | ".join(header) + " |")
        self("|" + "|".join(align[i] if i < len(align) else "---:" if i else "---" for i in range(len(header))) + "|")
        for row in rows:
            self("| " + " | ".join(str(cell) for cell in row) + " |")
        self()

    def write(self) -> None:
        self(f"Load average at end (1/5/15 min): {load_average()}; wall time {time.time() - self.started:.0f} s.")
        if self.output:
            os.makedirs(os.path.dirname(os.path.abspath(self.output)), exist_ok=True)
            with open(self.output, "w", encoding="utf-8") as f:
                f.write("\n".join(self.lines) + "\n")
            print(f"(report written to {self.output})")


def arguments(description: str) -> argparse.ArgumentParser:
    """The options every script has: --data_dir, --output (default: a file under benchmarks/results/
    for a full run, none for --smoke), --smoke, and config overrides after `--` (--name=value)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=os.path.join("..", "shared", "data"))
    parser.add_argument("--output", default=None, help=f"report file (default: one under {RESULTS}/ unless "
                        "--smoke; --output= for none)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: a check that the script runs")
    parser.add_argument("overrides", nargs="*", help="config fields for every run, after `--`: --name=value")
    return parser


def parse(parser: argparse.ArgumentParser, output: Callable[[argparse.Namespace], str]) -> argparse.Namespace:
    """The arguments; --output defaults to benchmarks/results/<output(args)> (none with --smoke)."""
    args = parser.parse_args()
    if args.output is None:
        args.output = "" if args.smoke else os.path.join(RESULTS, output(args))
    return args


# --- configs ------------------------------------------------------------------------------------------
def flag_values(flags: list[str]) -> dict:
    """Typed config values of command-line flags (--name=value), read as a flagfile would be."""
    if not flags:
        return {}
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as f:
        f.write("\n".join(flags) + "\n")
    try:
        return read_flagfile(f.name)[1]
    finally:
        os.remove(f.name)


def preset(name: str, overrides: list[str] = (), method: str = "", **changes):
    """(method, typed config) of preset `name` (flags/<name>.cfg) with `changes`, then `overrides`
    (--name=value flags, which win); `method` replaces the preset's own."""
    method = method or read_flagfile(preset_path(name))[0]
    config_class = tt.get_method(method).config_class
    names = {f.name for f in config_class.fields()}
    values = {k: v for k, v in {**changes, **flag_values(list(overrides))}.items() if k in names}
    return method, config_class.from_preset(name, **values)


def build(method: str, config, task=None):
    """A method's models as the trainer builds them (default strategy), set up as for a new run."""
    import keras

    from tfgan_text.data.pipeline import steps_per_epoch

    task = task or tt.build_task(config, log=lambda message: None, seed=config.seed)
    keras.utils.set_random_seed(config.seed)
    built = tt.get_method(method)(task, config, max(1, steps_per_epoch(len(task.train), config.batch_size)))
    built.start_new_run()
    for phase in built.phases():
        if phase.name == "init_rollout":  # the roll-out policy starts as a copy of G
            phase.step(None, None)
    return built


def trainer_step(method, config, phase=-1, strategy=None):
    """The method's phase compiled as the trainer compiles it, with its batch stream and step counter:
    call(_) runs the next step and returns its scalars."""
    import tensorflow as tf

    from tfgan_text.data.pipeline import training_batches
    from tfgan_text.training.actions import step_seed
    from tfgan_text.training.trainer import compile_step

    strategy = strategy or tf.distribute.get_strategy()
    compiled = compile_step(method.phases()[phase], strategy, config.xla)
    batches = iter(strategy.experimental_distribute_dataset(
        training_batches(method.task.train, config.batch_size, config.seed)))
    steps = iter(range(10**9))
    return lambda _: {name: float(v) for name, v in
                      compiled(next(batches), step_seed(config.seed, next(steps))).items()}


# --- training -----------------------------------------------------------------------------------------
def train(method, config, logdir: str | None = None, task=None, resume: bool = False) -> tuple[list[dict], float]:
    """(metric history, wall seconds) of `tfgan_text.train`; its log goes to <logdir>.log (never parsed)."""
    started = time.time()
    log_path = f"{logdir.rstrip('/')}.log" if logdir else os.devnull
    if logdir:
        os.makedirs(os.path.dirname(os.path.abspath(logdir)), exist_ok=True)
    with open(log_path, "a", encoding="utf-8") as f:
        history = tt.train(method, config, task=task, logdir=logdir, resume=resume,
                           log=lambda line: print(line, file=f, flush=True))
    return history, time.time() - started


class BudgetEvaluator:
    """Wraps a method's evaluator: times every evaluation, keeps its texts, and after the first one past
    `seconds` of training time (evaluation excluded) sends this process SIGTERM, which the trainer
    answers by stopping, saving and evaluating once more."""

    def __init__(self, inner, seconds: float):
        self.inner, self.seconds, self.start, self.eval_seconds = inner, seconds, time.time(), 0.0
        self.points: list[tuple[float, list[str]]] = []  # (training seconds, texts) per evaluation
        self.stopped = False

    def __call__(self, seed):
        began = time.time()
        training_seconds = began - self.start - self.eval_seconds
        metrics, texts = self.inner(seed)
        self.eval_seconds += time.time() - began
        self.points.append((training_seconds, texts))
        if training_seconds >= self.seconds and not self.stopped:
            self.stopped = True
            os.kill(os.getpid(), signal.SIGTERM)
        return metrics, texts

    def describe(self) -> dict:
        return self.inner.describe()


def train_for(method: str, config, seconds: float, logdir: str | None = None,
              evaluator: Callable | None = None) -> tuple[list[dict], BudgetEvaluator]:
    """Trains for `seconds` of training time: (history with one point per step, the BudgetEvaluator).
    `evaluator(method, num_samples, temperature)`: another evaluator than the method's own (None: its own)."""
    base = tt.get_method(method)
    made = []

    class Timed(base):
        def evaluator(self, num_samples, temperature):
            inner = (evaluator and evaluator(self, num_samples, temperature)) or super().evaluator(num_samples,
                                                                                                     temperature)
            made.append(BudgetEvaluator(inner, seconds))
            return made[-1]

    history, _ = train(Timed, config, logdir)
    budget = made[-1]
    if len(history) > 1 and history[-1]["step"] == history[-2]["step"]:  # the stop's repeated evaluation
        history, budget.points = history[:-1], budget.points[:-1]
    return history, budget


# --- timing -------------------------------------------------------------------------------------------
def cpu_snapshot() -> tuple[float, int, int]:
    """(wall clock, busy jiffies of the whole machine, jiffies of this process)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return time.perf_counter(), sum(values[:8]) - values[3] - values[4], int(fields[11]) + int(fields[12])


@dataclasses.dataclass
class Timing:
    """Per window: wall seconds per call, this process's CPU seconds per call, other processes' cores."""

    seconds: list[float] = dataclasses.field(default_factory=list)
    cpu: list[float] = dataclasses.field(default_factory=list)
    others: list[float] = dataclasses.field(default_factory=list)

    @property
    def clean(self) -> list[int]:
        return [i for i, o in enumerate(self.others) if o < CLEAN_CORES]

    @property
    def best_index(self) -> int:
        """The fastest clean window (the fastest of all when none was clean)."""
        return min(self.clean or range(len(self.seconds)), key=lambda i: self.seconds[i])

    @property
    def best(self) -> float:
        return self.seconds[self.best_index]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def cells(self, unit: float = 1e3) -> list[str]:
        """Best, median, CPU of the best window, its other processes' cores, windows (clean)."""
        i = self.best_index
        return [f"{self.best * unit:,.2f}", f"{self.median * unit:,.2f}", f"{self.cpu[i] * unit:,.2f}",
                f"{self.others[i]:.2f}", f"{len(self.seconds)} ({len(self.clean)})"]


TIMING_COLUMNS = ["ms per call (best window)", "ms (median window)", "own CPU ms (best window)",
                  "other processes' cores (best window)", "windows (clean)"]


def time_windows(calls: dict[str, Callable[[int], object]], windows: int, per_window: dict[str, int] | int = 1,
                 warmup: int = 1) -> dict[str, Timing]:
    """Times `calls` (label -> call(i), which must block until its work is done) in alternating windows:
    after `warmup` untimed calls of each, `windows` rounds in which every label runs one window of
    `per_window` calls in turn. Seconds are per call."""
    counts = per_window if isinstance(per_window, dict) else {label: per_window for label in calls}
    hz = os.sysconf("SC_CLK_TCK")
    for call in calls.values():
        for i in range(warmup):
            call(i)
    timings = {label: Timing() for label in calls}
    index = warmup
    for _ in range(windows):
        for label, call in calls.items():
            a = cpu_snapshot()
            for _ in range(counts[label]):
                call(index)
                index += 1
            b = cpu_snapshot()
            wall, own = b[0] - a[0], (b[2] - a[2]) / hz
            timings[label].seconds.append(wall / counts[label])
            timings[label].cpu.append(own / counts[label])
            timings[label].others.append(max(0.0, (b[1] - a[1]) / hz - own) / max(wall, 1e-9))
    return timings


@dataclasses.dataclass
class ChildRun:
    """One measured child process: its printed `RESULT name value` numbers, wall seconds, peak RSS."""

    results: dict[str, float]
    output: str
    seconds: float
    peak_mib: float
    returncode: int


def run_child(command: list[str], env: dict | None = None, cwd: str | None = None) -> ChildRun:
    """Runs `command` to its end, measuring its peak resident memory with /usr/bin/time: the child
    then starts from `time`'s small image, not from a fork of this process (a forked child's peak
    counts the parent's memory before exec), so two programs measured this way are measured alike."""
    with tempfile.TemporaryDirectory() as folder:
        peak_file = os.path.join(folder, "peak_kib")
        wrapped = ["/usr/bin/time", "-f", "%M", "-o", peak_file, *command] if os.path.exists("/usr/bin/time") \
            else command
        started = time.perf_counter()
        process = subprocess.run(wrapped, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                 text=True, check=False)
        seconds = time.perf_counter() - started
        with open(peak_file) if os.path.exists(peak_file) else open(os.devnull) as f:
            lines = f.read().split()
    peak_mib = int(lines[-1]) / 1024 if lines and lines[-1].isdigit() else float("nan")
    results = {}
    for line in process.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "RESULT":
            results[parts[1]] = float(parts[2])
    return ChildRun(results, process.stdout, seconds, peak_mib, process.returncode)


def data_file(args: argparse.Namespace, name: str, required: bool = True) -> str:
    path = os.path.join(args.data_dir, name)
    if required and not os.path.exists(path):
        sys.exit(f"{path} not found (pass --data_dir)")
    return path
