"""What every benchmark report states about the machine it ran on (imported by the scripts beside it)."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(command: list[str]) -> str:
    """A command's standard output, stripped ('' when it cannot run)."""
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def cpu_model() -> str:
    """The CPU's model name from lscpu (else what the platform module knows)."""
    for line in sh(["lscpu"]).splitlines():
        if line.lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def run_cli(args: list[str], log_path: str) -> tuple[int, float, str]:
    """`python -m tfgan_text.main <args>` from the project root, its output to `log_path`:
    (exit code, wall seconds, the log's text)."""
    started = time.time()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    with open(log_path, "w", encoding="utf-8") as log_file:
        code = subprocess.call([sys.executable, "-m", "tfgan_text.main"] + args, cwd=ROOT, env=env,
                               stdout=log_file, stderr=subprocess.STDOUT)
    with open(log_path, encoding="utf-8") as f:
        return code, time.time() - started, f.read()
