"""End-to-end: the default command cold (empty output directory) and warm (same directory).

    python benchmarks/end_to_end.py [--output-dir DIR] [-- extra options of python -m xqg_bench.run]

Runs ``python -m xqg_bench.run --output-dir DIR --no-progress`` twice in fresh processes and prints
both wall times, their ratio, the wall time of each stage (the run's own ``stages:`` line: stages
nest, so they do not add up to the total; the rest is start-up, loading and writing), and whether
the warm run rewrote every file byte for byte.  Budget: cold <= 300 s, warm <= 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time


def digest(root: str) -> dict[str, str]:
    out = {}
    for r, _d, files in os.walk(root):
        for f in files:
            path = os.path.join(r, f)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def timed(cmd: list[str]) -> tuple[float, str]:
    """Wall seconds of the command and its ``stages:`` line."""
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    stages = next((line for line in out.splitlines() if line.startswith("stages: ")), "stages: (none printed)")
    return time.perf_counter() - t, stages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--output-dir", default=None, help="default: a temporary directory, removed afterwards")
    ap.add_argument("extra", nargs="*", help="options passed on to python -m xqg_bench.run (after --)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="xqg-e2e-") as tmp:
        out = args.output_dir or os.path.join(tmp, "out")
        if os.path.exists(out) and os.listdir(out):
            sys.exit(f"{out} is not empty: a cold run needs an empty output directory")
        cmd = [sys.executable, "-m", "xqg_bench.run", "--output-dir", out, "--no-progress", *args.extra]
        cold, cold_stages = timed(cmd)
        first = digest(out)
        warm, warm_stages = timed(cmd)
        same = digest(out) == first
    print(f"cold {cold_stages}")
    print(f"warm {warm_stages}")
    print(
        f"default run: cold {cold:.1f} s, warm {warm:.1f} s (warm/cold {warm / cold:.2f}); {len(first)} files, "
        f"rewritten byte-identically by the warm run: {same}; budget cold <= 300 s: {cold <= 300}, "
        f"warm <= 30 s: {warm <= 30}"
    )


if __name__ == "__main__":
    main()
