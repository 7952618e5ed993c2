"""The machine a benchmark ran on, for the header of its table.

This machine is shared and noisy, so every table says which CPU, how many
cores and the load average when the run started: the numbers are read as
medians and ratios against that background.
"""

from __future__ import annotations

import os
import platform


def describe(*software: str) -> list[str]:
    """Header lines: CPU and load, OS, Python, then ``software`` (library versions, the loop)."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "n/a"
    return [
        f"CPU: {model}, {os.cpu_count()} cores ({usable} usable), load average at start {load}",
        f"OS: {platform.platform()}",
        f"Python {platform.python_version()} ({platform.python_implementation()})",
        ", ".join(software),
    ]
