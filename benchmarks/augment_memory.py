"""Peak memory of xQG augmentation as the corpus grows 10x (it streams shard by shard).

    python benchmarks/augment_memory.py [--docs 1000] [--dim 128] [--queries 35] [--shard-size 500]

Writes synthetic passage and query-embedding shards (random vectors, 35 queries per passage as in
the paper) for N and 10N passages, then runs ``xqg_bench.xqg.augment.augment`` on each in a fresh
process and prints the peak traced memory (tracemalloc, which numpy reports to) and the ratio.
A flat ratio (about 1) means memory does not grow with the corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

CHILD = r"""
import sys, tracemalloc
from xqg_bench.xqg.augment import AugmentConfig, augment
tracemalloc.start()
augment(sys.argv[1], sys.argv[2], sys.argv[3], AugmentConfig(), progress=False)
print(tracemalloc.get_traced_memory()[1])
"""


def write_inputs(root: str, docs: int, dim: int, queries: int, shard_size: int) -> tuple[str, str]:
    from xqg_bench.core.atomic import atomic_save_npy, atomic_write_json

    rng = np.random.default_rng(0)
    p_dir, q_dir = os.path.join(root, "p"), os.path.join(root, "q")
    os.makedirs(p_dir), os.makedirs(q_dir)
    shards = (docs + shard_size - 1) // shard_size
    langs = ["ar", "bn", "fi", "ja", "ko", "ru", "te"]
    for i in range(shards):
        n = min(shard_size, docs - i * shard_size)
        atomic_save_npy(os.path.join(p_dir, f"shard-{i:05d}.npy"), rng.standard_normal((n, dim), dtype=np.float32))
        counts = np.full((n, len(langs)), queries // len(langs), dtype=np.int32)
        q = rng.standard_normal((int(counts.sum()), dim), dtype=np.float32)
        atomic_save_npy(os.path.join(q_dir, f"qemb-{i:05d}.npy"), q)
        atomic_save_npy(os.path.join(q_dir, f"qcount-{i:05d}.npy"), counts)
    atomic_write_json(
        os.path.join(p_dir, "meta.json"), {"signature": f"bench-{docs}", "count": docs, "dim": dim, "shards": shards}
    )
    atomic_write_json(
        os.path.join(q_dir, "meta.json"), {"signature": f"bench-q-{docs}", "langs": langs, "shards": shards}
    )
    return p_dir, q_dir


def peak(docs: int, args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as root:
        p_dir, q_dir = write_inputs(root, docs, args.dim, args.queries, args.shard_size)
        out = subprocess.run(
            [sys.executable, "-c", CHILD, p_dir, q_dir, os.path.join(root, "out")],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--queries", type=int, default=35)
    ap.add_argument("--shard-size", type=int, default=500)
    args = ap.parse_args()
    small, large = peak(args.docs, args), peak(10 * args.docs, args)
    print(
        json.dumps(
            {"docs": [args.docs, 10 * args.docs], "peak_bytes": [small, large], "ratio": round(large / small, 3)}
        )
    )
    print(
        f"augmentation peak memory: {small / 2**20:.1f} MiB for {args.docs} passages, "
        f"{large / 2**20:.1f} MiB for {10 * args.docs}: ratio {large / small:.2f} (10x corpus)"
    )


if __name__ == "__main__":
    main()
