"""A run whose step cannot fit in memory is refused before it starts, naming the flag to lower."""
from __future__ import annotations

import os

from tfgan_text.errors import UsageError
from tfgan_text.methods.base import Method
from tfgan_text.sampling import SequenceSpec


def available_bytes() -> int | None:
    """Memory the machine can still give (MemAvailable), or None where it cannot be read."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_step_fits(method_class: type[Method], config, spec: SequenceSpec, available: int | None = None) -> None:
    """Raises a UsageError naming the field whose tensors alone would take more than 80% of the memory."""
    available = available_bytes() if available is None else available
    if available is None:
        return
    for field, size in sorted(method_class.step_tensor_bytes(config, spec).items(), key=lambda item: -item[1]):
        if size > 0.8 * available:
            raise UsageError(f"--{field}={getattr(config, field)}: a step's tensors would need about "
                             f"{size / 2**30:,.1f} GiB, more than the {available / 2**30:,.1f} GiB of memory "
                             f"available; lower --{field}")
