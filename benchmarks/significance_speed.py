"""Paired randomisation: 10,000 samples on 2,000 queries x 50 comparisons, ours vs ranx.

    python benchmarks/significance_speed.py [--queries 2000] [--comparisons 50] [--samples 10000]

Ours draws the sign vectors once per query-set size and runs every comparison of that size as one
matrix product (``signflip_pvalues``, with ``stop_hits`` set beyond the samples so that every
comparison uses all of them, as ranx does); ranx's ``fisher_randomization_test`` (numba) permutes
per comparison.  Prints both timings, the ratio measured in this one run and the largest p-value
difference (both are Monte Carlo estimates of the same exact p, so they agree within Monte Carlo
error, not exactly).  ranx is not a dependency: ``pip install ranx`` to include it.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from xqg_bench.statistics.significance import signflip_pvalues


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--comparisons", type=int, default=50)
    ap.add_argument("--samples", type=int, default=10_000)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    base = rng.random(args.queries)
    systems = [np.clip(base + rng.normal(0.003 * k, 0.1, args.queries), 0, 1) for k in range(args.comparisons)]
    t = time.perf_counter()
    x = np.stack([(s - base) / args.queries for s in systems], axis=1)
    ours = list(signflip_pvalues(x, args.samples, 13, stop_hits=args.samples + 1)[0])
    t_ours = time.perf_counter() - t
    print(f"ours: {args.comparisons} comparisons x {args.samples} samples x {args.queries} queries in {t_ours:.2f} s")
    try:
        from ranx.statistical_tests import fisher_randomization_test
    except ImportError:
        print("ranx not installed: pip install ranx")
        return
    fisher_randomization_test(base[:10], systems[0][:10], 10, 0.05, 42)  # numba compilation, not timed
    t = time.perf_counter()
    theirs = [fisher_randomization_test(base, s, args.samples, 0.05, 42)[0] for s in systems]
    t_ranx = time.perf_counter() - t
    diff = max(abs(a - b) for a, b in zip(ours, theirs, strict=True))
    print(f"ranx: {t_ranx:.2f} s; ours is {t_ranx / t_ours:.1f}x faster; max |p_ours - p_ranx| = {diff:.4f}")


if __name__ == "__main__":
    main()
