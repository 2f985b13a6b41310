"""TensorFlow's known console noise, kept off a command's stderr; everything else still shows.

TF 2.21 prints its start-up notices (oneDNN, CPU instructions, and on a machine without a GPU "Could not find
cuda drivers" and "failed call to cuInit") from its C++ libraries straight to file descriptor 2, some before
its logging reads TF_CPP_MIN_LOG_LEVEL: no level hides them all, and level 3 would hide real errors. So a
command's file descriptor 2 goes through a small filter process that drops exactly the lines below. A separate
process, because it outlives a crash of the command: a fatal error's last lines still reach the console.
Python's own stderr (the progress bar, one-line errors) keeps writing to the console directly.
"""
from __future__ import annotations

import contextlib
import glob
import io
import os
import subprocess
import sys
from typing import Iterator

NOISE = (
    "All log messages before absl::InitializeLog() is called are written to STDERR",
    "oneDNN custom operations are on",
    "oneDNN supports DT_INT32 only on platforms with AVX-512",
    "This TensorFlow binary is optimized to use available CPU instructions",
    "To enable the following instructions:",  # the second line of the one above
    "TF-TRT Warning: Could not find TensorRT",
)
# Noise only where there is no GPU: on a machine with one, a failing CUDA driver is a real error.
NO_GPU_NOISE = (
    "Could not find cuda drivers on your machine",
    "failed call to cuInit",
)
# Reads lines on stdin, writes those that hold none of the patterns given as arguments (runs with -I -S).
FILTER_SOURCE = """
import sys
patterns = [pattern.encode() for pattern in sys.argv[1:]]
for line in sys.stdin.buffer:
    if not any(pattern in line for pattern in patterns):
        sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()
"""


def noise_patterns() -> tuple[str, ...]:
    has_gpu = bool(glob.glob("/dev/nvidia[0-9]*"))
    return NOISE if has_gpu else NOISE + NO_GPU_NOISE


def writes_to_fd_2(stream) -> bool:
    """Whether `stream` is the process's own stderr (not a test's capture or a redirection to a buffer)."""
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError and a ValueError
        return False


@contextlib.contextmanager
def native_noise_filtered() -> Iterator[None]:
    """Within it, lines written to file descriptor 2 that match `noise_patterns()` are dropped. Does
    nothing where TensorFlow is imported already (its start-up notices are past: a notebook, a test) or
    where the user asked for all of TensorFlow's messages (TF_CPP_MIN_LOG_LEVEL=0)."""
    if "tensorflow" in sys.modules or os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0" or not writes_to_fd_2(sys.stderr):
        yield
        return
    sys.stderr.flush()
    console = os.dup(2)
    try:
        filter_process = subprocess.Popen([sys.executable, "-I", "-S", "-c", FILTER_SOURCE, *noise_patterns()],
                                          stdin=subprocess.PIPE, stdout=console, stderr=subprocess.DEVNULL,
                                          start_new_session=True)  # Ctrl-C at the terminal is not for it
    except OSError:  # no process to be had: leave stderr as it is
        os.close(console)
        yield
        return
    python_stderr = io.TextIOWrapper(io.FileIO(os.dup(console), "w"), encoding=sys.stderr.encoding or "utf-8",
                                     errors="backslashreplace", line_buffering=True)
    previous_stderr = sys.stderr
    os.dup2(filter_process.stdin.fileno(), 2)
    filter_process.stdin.close()
    sys.stderr = python_stderr
    try:
        yield
    finally:
        sys.stderr = previous_stderr
        python_stderr.close()
        os.dup2(console, 2)  # the filter's input closes: it writes what is left and ends
        os.close(console)
        try:
            filter_process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # a child process of the command still holds the pipe
            filter_process.kill()
