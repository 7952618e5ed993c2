#!/usr/bin/env python3
"""Import time and memory of wskit's packages, next to websockets' own.

Each import runs in a fresh interpreter (``python -c``), several times in
turn; the table shows medians. Time is the wall time of the ``import``
statement alone; RSS is the resident memory it added (``VmRSS`` of
``/proc/self/status`` before and after). The reference row imports
websockets' asyncio client and server, which every wskit transport needs;
ratios are against it, measured in the same run. Packages that are not in
this tree (``wskit.widgets``, ``wskit.plot`` are optional layers) are listed
as missing rather than measured.

Usage::

    .venv/bin/python bench/imports.py            # 9 runs per import
    .venv/bin/python bench/imports.py --runs 5
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys

REFERENCE = "websockets.asyncio.client, websockets.asyncio.server"
TARGETS = ("wskit", "wskit.widgets", "wskit.plot")

PROBE = """
import json, time
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
rss0 = rss()
t0 = time.perf_counter()
import {modules}
t1 = time.perf_counter()
import sys
print(json.dumps({{"seconds": t1 - t0, "rss": rss() - rss0, "modules": len(sys.modules)}}))
"""


def probe(modules: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(modules=modules)], capture_output=True, text=True, timeout=60, check=True
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, help="fresh interpreters per import (default 9, --quick 3)")
    parser.add_argument("--quick", action="store_true", help="3 runs (./dev bench --quick passes it to every script)")
    args = parser.parse_args()
    runs = max(1, min(args.runs or (3 if args.quick else 9), 50))
    names = [REFERENCE] + [t for t in TARGETS if exists(t)]
    missing = [t for t in TARGETS if not exists(t)]
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for _ in range(runs):  # interleaved, so a slow phase of the machine hits every row
        for name in names:
            samples[name].append(probe(name))

    def med(name: str, key: str) -> float:
        return statistics.median(s[key] for s in samples[name])

    ref_t, ref_rss = med(REFERENCE, "seconds"), med(REFERENCE, "rss")
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"Python {sys.version.split()[0]}, {runs} fresh interpreters per import, load average {load}\n")
    header = ("import", "time (ms)", "x websockets", "RSS added (MiB)", "x websockets", "modules loaded")
    rows = [header]
    for name in names:
        t, rss = med(name, "seconds"), med(name, "rss")
        label = "websockets (asyncio client + server)" if name == REFERENCE else name
        rows.append(
            (
                label,
                f"{t * 1000:.1f}",
                f"{t / ref_t:.2f}",
                f"{rss / 2**20:.1f}",
                f"{rss / ref_rss:.2f}",
                f"{med(name, 'modules'):.0f}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        print("  ".join([row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    for name in missing:
        print(f"{name}: not in this tree, not measured")


if __name__ == "__main__":
    main()
