"""Search: Pyserini's FaissSearcher (our path) vs raw faiss on the same index and query vectors,
and flat-search throughput vs this machine's matrix-multiply throughput.

    python benchmarks/search_overhead.py [--docs 100000] [--queries 1000] [--dim 384] [--k 100]

Prints ratios measured side by side in one run (no absolute pass/fail).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np


def best_of(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    import faiss

    from xqg_bench.index import write_index
    from xqg_bench.jvm import pyserini_faiss
    from xqg_bench.search import query_encoder

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    docs = rng.standard_normal((args.docs, args.dim), dtype=np.float32)
    queries = rng.standard_normal((args.queries, args.dim), dtype=np.float32)
    qids = [f"q{i}" for i in range(args.queries)]
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = os.path.join(tmp, "index")
        write_index(index_dir, docs, [f"d{i}" for i in range(args.docs)], {"signature": "bench"})
        raw = faiss.read_index(os.path.join(index_dir, "index"))
        faiss.omp_set_num_threads(args.threads)
        searcher = pyserini_faiss().FaissSearcher(index_dir, query_encoder(_NoEncoder(args.dim)))

        def ours() -> None:
            hits = searcher.batch_search(queries, qids, k=args.k, threads=args.threads)
            for qid in qids:  # what xqg_bench.search adds: (-score, docid) order
                sorted(((h.docid, float(h.score)) for h in hits[qid]), key=lambda x: (-x[1], x[0]))

        t_raw = best_of(lambda: raw.search(queries, args.k))
        t_ours = best_of(ours)
        t_mm = best_of(lambda: queries @ docs.T)
    flops = 2.0 * args.docs * args.queries * args.dim
    print(
        f"flat search {args.queries} q x {args.docs} docs x {args.dim}d, k={args.k}, {args.threads} threads: "
        f"raw faiss {t_raw:.3f} s, Pyserini+ours {t_ours:.3f} s, overhead {100 * (t_ours / t_raw - 1):.1f}%"
    )
    print(
        f"matrix multiply {flops / t_mm / 1e9:.1f} GFLOP/s vs faiss flat search {flops / t_raw / 1e9:.1f} GFLOP/s "
        f"({100 * t_mm / t_raw:.0f}% of the matmul limit)"
    )


class _NoEncoder:
    """The benchmark passes query vectors, never texts."""

    spec = "none"

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def encode_queries(self, texts):  # type: ignore[no-untyped-def]
        raise RuntimeError("vectors only")


if __name__ == "__main__":
    main()
