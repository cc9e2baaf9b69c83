"""Full-scale stages on a rehearsal corpus: wall time, passages/s and peak RSS per stage and size.

    python benchmarks/scale.py --passages 100000,1000000 [--dim 768] [--questions 2000] [--work DIR]
                               [--index-types Flat,IVF-PQ,HNSW32] [--output scale.json]

For each size N it writes a rehearsal corpus (``python -m xqg_bench.run rehearsal``: the
enwiki_20190201_w100.tsv format, questions with planted answers, embeddings clustered around
round(2 sqrt(N)) topic centres, questions in their gold passage's topic: see
``xqg_bench.datasets.rehearsal``) and runs each
stage in a fresh process, measuring that process's wall time and peak RSS (``os.wait4``):

  rehearsal   write the corpus, questions and embeddings (set-up; streamed)
  offsets     the corpus's doc-id -> byte-offset index (``OffsetDocstore``, as for XOR-TyDi)
  ingest      verify the embeddings and write the passage-embedding cache (``xqg_bench.retrieval.ingest``)
  qsums       lay the rehearsal's generated-query sums out as the query-embedding store (set-up)
  augment     e_aug = 0.99 e_p + 0.01 sum e_q over every shard (``xqg_bench.xqg.augment``)
  index:T     build index type T from the augmented cache, streamed (``index.write_index_streamed``)
  search:T    2,000 questions, depth 100, through Pyserini's FaissSearcher (``xqg_bench.retrieval.search``)
  rkt:T       R@2kt/R@5kt with passage texts from the docs store (official tokenisation and matching)

then fits, per stage, the growth exponent b of time ~ N^b and RSS ~ N^b over the sizes (a single
size: time b = 1 assumed, said so; RSS not extrapolated), extrapolates to XOR-TyDi's 18.2M passages
(fixed costs — imports, the JVM — dominate small sizes and pull b below 1: fit 100k and 1M), and prints, for every
approximate index type, the recall of the Flat top-100 and the change in R@2kt/R@5kt against Flat.
IVF-PQ means ``IVF<nlist>,PQ<dim/8>`` with nlist the power of two nearest 4 sqrt(N); FAISS's default
search parameters are kept (nprobe 1, efSearch 16), as the harness uses them.  The corpus is
synthetic: its R@kt values measure the pipeline, not a retriever, and the approximate indexes'
recall depends on how clustered the synthetic vectors are (a model of real embeddings' structure,
printed with the table), not measured on real embeddings.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

FULL = 18_200_000
README_ESTIMATES = {  # the README's full-scale figures before this benchmark (derived from sizes)
    "index:Flat": "56 GB fp32",
    "index:HNSW32": "~56 GB + ~4.7 GB graph",
    "index:IVF-PQ": "~1.9 GB (IVF65536,PQ96)",
    "search:Flat": "~28 GFLOP a question (not measured)",
}


def ivfpq(n: int, dim: int) -> str:
    nlist = 2 ** round(math.log2(4 * math.sqrt(n)))
    return f"IVF{nlist},PQ{max(1, dim // 8)}"


CHILD = r"""
import json, os, sys
import numpy as np
stage, root, arg = sys.argv[1], sys.argv[2], sys.argv[3]
data = os.path.join(root, "data")
cache = os.path.join(root, "cache")
state_path = os.path.join(root, "state.json")
state = json.load(open(state_path)) if os.path.exists(state_path) else {}

def save():
    with open(state_path, "w") as f:
        json.dump(state, f)

class Queries:
    pass

def query_encoder(dim):
    from xqg_bench.encoders.base import Encoder
    vecs = np.load(os.path.join(data, "queries.npy"))
    texts = {}
    from xqg_bench.datasets.xor_tydi import read_queries
    from xqg_bench.datasets.rehearsal import QUESTIONS
    for q in read_queries(os.path.join(data, QUESTIONS), "dev"):
        texts[q.text] = int(q.query_id[1:])
    class RehearsalQueries(Encoder):
        spec = "rehearsal-queries"
        @property
        def dim(self):
            return dim
        def encode_queries(self, ts):
            return vecs[[texts[t] for t in ts]]
        def encode_passages(self, docs):
            raise NotImplementedError
    return RehearsalQueries()

def docs():
    from xqg_bench.datasets.docs import DocSequence
    from xqg_bench.datasets.rehearsal import RehearsalDocs
    return DocSequence(RehearsalDocs(data))

if stage == "rehearsal":
    from xqg_bench.datasets.rehearsal import write_rehearsal
    n, q, dim = (int(x) for x in arg.split(","))
    write_rehearsal(data, n, q, dim)
elif stage == "offsets":
    from xqg_bench.datasets.rehearsal import CORPUS
    from xqg_bench.datasets.xor_tydi import OffsetDocstore
    OffsetDocstore(os.path.join(data, CORPUS))
elif stage == "ingest":
    from xqg_bench.retrieval.ingest import ingest_passage_embeddings
    d = docs()
    dim = json.load(open(os.path.join(data, "manifest.json")))["dim"]
    enc = ingest_passage_embeddings(os.path.join(data, "embeddings"), "npy", d, query_encoder(dim), cache, 256,
                                    progress=False)
    state["p_dir"] = enc.cache_dir
    save()
elif stage == "qsums":
    from xqg_bench.core.atomic import atomic_write_json, save_npy_checked
    meta = json.load(open(os.path.join(state["p_dir"], "meta.json")))
    q_dir = os.path.join(cache, "qembeddings", "rehearsal")
    os.makedirs(q_dir, exist_ok=True)
    src = sorted(f for f in os.listdir(os.path.join(data, "qsums")) if f.endswith(".npy"))
    out, carry = 0, None
    def put(part):
        global out
        save_npy_checked(os.path.join(q_dir, f"qcount-{out:05d}.npy"), np.full((len(part), 1), 35, np.int32))
        save_npy_checked(os.path.join(q_dir, f"qemb-{out:05d}.npy"), np.ascontiguousarray(part[:, None, :]))
        out += 1
    for name in src:  # re-cut into the passage cache's 256-row shards
        arr = np.load(os.path.join(data, "qsums", name))
        arr = np.concatenate([carry, arr]) if carry is not None else arr
        full = len(arr) // 256
        for s in range(full):
            put(arr[s * 256 : (s + 1) * 256])
        carry = arr[full * 256 :].copy()
    if carry is not None and len(carry):
        put(carry)
    atomic_write_json(os.path.join(q_dir, "meta.json"), {"signature": "rehearsal-qsums", "langs": ["all"],
                      "shards": out, "store": "sums", "dtype": "float16"})
    state["q_dir"] = q_dir
    save()
elif stage == "augment":
    from xqg_bench.xqg.augment import AugmentConfig, augment
    state["aug_dir"], _sig = augment(state["p_dir"], state["q_dir"], cache, AugmentConfig(), progress=False)
    save()
elif stage.startswith("index:"):
    from xqg_bench.retrieval.index import write_index_streamed
    from xqg_bench.core.textfile import LineFile
    doc_ids = LineFile(os.path.join(data, "embeddings", "docids.txt"))  # memory-mapped: no string per id
    write_index_streamed(os.path.join(root, "indexes", stage[6:]), state["aug_dir"], doc_ids, {"signature": stage},
                         arg)
elif stage.startswith("search:"):
    from xqg_bench.datasets.rehearsal import QUESTIONS
    from xqg_bench.datasets.xor_tydi import read_queries
    from xqg_bench.evaluate.runs import write_trec_run
    from xqg_bench.retrieval.search import search
    dim = json.load(open(os.path.join(data, "manifest.json")))["dim"]
    qs = list(read_queries(os.path.join(data, QUESTIONS), "dev"))
    ranked = search(os.path.join(root, "indexes", stage[7:]), query_encoder(dim), [q.query_id for q in qs],
                    [q.text for q in qs], depth=100, progress=False)
    write_trec_run(os.path.join(root, f"run-{stage[7:]}.trec"), ranked, tag="scale")
elif stage.startswith("rkt:"):
    from xqg_bench.datasets.rehearsal import QUESTIONS
    from xqg_bench.datasets.xor_tydi import read_queries
    from xqg_bench.evaluate.measures import QueryInfo, docs_store_texts
    from xqg_bench.evaluate.predictions import predictions
    from xqg_bench.evaluate.rkt import evaluate_top_k_hit, macro_average, query_hit
    from xqg_bench.evaluate.runs import read_trec_run
    qs = list(read_queries(os.path.join(data, QUESTIONS), "dev"))
    run = read_trec_run(os.path.join(root, f"run-{stage[4:]}.trec"))
    infos = [QueryInfo(q.query_id, q.lang, q.answers) for q in qs]
    preds = predictions(run, infos, docs_store_texts(docs().handler.docs_store()))
    gold = {q.query_id: list(q.answers) for q in qs}
    out = {}
    for n in (2000, 5000):
        out[f"R@{n // 1000}kt"] = macro_average(evaluate_top_k_hit(preds, gold, n))
        out[f"hits@{n // 1000}kt"] = {p.id: bool(query_hit(gold[p.id], p.ctxs, n)) for p in preds}
    state[stage] = out
    save()
elif stage == "quality":  # recall of the Flat top-100 by each other index (here: the parent stays small)
    from xqg_bench.evaluate.runs import read_trec_run, recall_of_reference
    exact = read_trec_run(os.path.join(root, "run-Flat.trec"))
    for kind in arg.split(","):
        approx = read_trec_run(os.path.join(root, f"run-{kind}.trec"))
        state[f"recall:{kind}"] = recall_of_reference(exact, approx, 100)
    save()
else:
    raise SystemExit(f"unknown stage {stage}")
"""


def run_stage(stage: str, root: str, arg: str) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one stage in a fresh process."""
    env = dict(os.environ)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, stage, root, arg], env=env)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"stage {stage} failed (exit {os.waitstatus_to_exitcode(status)})")
    # KiB on Linux.  A child's high-water mark starts from its parent's RSS at fork, so this
    # process imports nothing heavy (its own RSS, ~10 MiB, is the floor of every figure).
    return wall, usage.ru_maxrss / 1024


def fit(sizes: list[int], values: list[float]) -> float | None:
    """Least-squares slope of log(value) on log(N); None with one size."""
    if len(sizes) < 2:
        return None
    xs, ys = [math.log(s) for s in sizes], [math.log(max(v, 1e-9)) for v in values]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--passages", default="100000", help="comma-separated corpus sizes (default 100000)")
    p.add_argument("--questions", type=int, default=2000)
    p.add_argument("--dim", type=int, default=768)
    p.add_argument("--index-types", default="Flat,IVF-PQ,HNSW32", help="Flat first; IVF-PQ is sized by N")
    p.add_argument("--work", default=None, help="working directory (default: a temporary one, removed)")
    p.add_argument("--keep", action="store_true", help="keep the working directory")
    p.add_argument("--output", default=None, help="write the measurements as JSON here")
    args = p.parse_args()
    sizes = [int(s) for s in args.passages.split(",")]
    kinds = args.index_types.split(",")
    if kinds[0] != "Flat":
        raise SystemExit("--index-types must start with Flat (the exact reference)")
    work = args.work or tempfile.mkdtemp(prefix="xqg-scale-")
    results: dict[int, dict] = {}
    try:
        for n in sizes:
            root = os.path.join(work, f"n{n}")
            shutil.rmtree(root, ignore_errors=True)
            os.makedirs(root)
            stages: list[tuple[str, str]] = [
                ("rehearsal", f"{n},{args.questions},{args.dim}"),
                ("offsets", ""),
                ("ingest", ""),
                ("qsums", ""),
                ("augment", ""),
            ]
            types = {k: ivfpq(n, args.dim) if k == "IVF-PQ" else k for k in kinds}
            stages += [(f"index:{k}", t) for k, t in types.items()]
            stages += [(f"search:{k}", "") for k in kinds]
            stages += [(f"rkt:{k}", "") for k in kinds]
            res: dict[str, dict] = {}
            for stage, arg in stages:
                wall, rss = run_stage(stage, root, arg)
                res[stage] = {"seconds": wall, "rss_mib": rss, "per_s": n / wall if wall else None}
                print(f"N={n:>9,} {stage:<16} {wall:8.1f} s {n / wall:10,.0f} psg/s {rss:9,.0f} MiB", flush=True)
            run_stage("quality", root, ",".join(kinds))
            with open(os.path.join(root, "state.json"), encoding="utf-8") as f:
                state = json.load(f)
            quality = {}
            for k in kinds:
                r = state[f"rkt:{k}"]
                quality[k] = {
                    "type": types[k],
                    "recall@100_of_flat": state[f"recall:{k}"],
                    "R@2kt": r["R@2kt"],
                    "R@5kt": r["R@5kt"],
                    "dR@2kt": r["R@2kt"] - state["rkt:Flat"]["R@2kt"],
                    "dR@5kt": r["R@5kt"] - state["rkt:Flat"]["R@5kt"],
                }
            flat_bytes = os.path.getsize(os.path.join(root, "indexes", "Flat", "index"))
            with open(os.path.join(root, "data", "manifest.json"), encoding="utf-8") as f:
                embeddings = json.load(f)["embeddings"]
            results[n] = {
                "stages": res,
                "quality": quality,
                "flat_index_mib": flat_bytes / 2**20,
                "embeddings": embeddings,
            }
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)

    big = max(sizes)
    print(f"\n## Per stage (sizes {', '.join(f'{s:,}' for s in sizes)}); extrapolated to {FULL:,} passages\n")
    print("| stage | s at max N | psg/s | peak RSS MiB | b (time) | b (RSS) | time at 18.2M | RSS at 18.2M | README |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for stage in results[big]["stages"]:
        t = [results[s]["stages"][stage]["seconds"] for s in sizes]
        m = [results[s]["stages"][stage]["rss_mib"] for s in sizes]
        bt, bm = fit(sizes, t), fit(sizes, m)
        t_full = t[-1] * (FULL / big) ** (bt if bt is not None else 1.0)
        m_full = m[-1] * (FULL / big) ** bm if bm is not None else None  # one size: the fixed part is unknown
        key = stage.split(":")[0] + ":" + stage.split(":")[1] if ":" in stage else stage
        note = README_ESTIMATES.get(key, "")
        bt_s = f"{bt:.2f}" if bt is not None else "1 (assumed)"
        bm_s = f"{bm:.2f}" if bm is not None else "—"
        print(
            f"| {stage} | {t[-1]:.1f} | {big / t[-1]:,.0f} | {m[-1]:,.0f} | {bt_s} | {bm_s} | "
            f"{t_full / 3600:.2f} h | {'—' if m_full is None else f'{m_full / 1024:.1f} GiB'} | {note} |"
        )
    flat = results[big]["flat_index_mib"]
    peak = max(results[big]["stages"][s]["rss_mib"] for s in ("ingest", "augment", "index:Flat"))
    print(
        f"\nFlat index file at N={big:,}: {flat:,.0f} MiB; peak RSS of ingest/augment/index:Flat: {peak:,.0f} MiB "
        f"(overhead {peak - flat:,.0f} MiB over the index)"
    )
    print("\n## Approximate indexes against Flat (recall of the exact top-100; R@kt change in points)\n")
    for n in sizes:
        print(f"Rehearsal embeddings at N={n:,}: {results[n]['embeddings']}")
    print("\n| N | index | type | recall@100 of Flat | R@2kt | ΔR@2kt | R@5kt | ΔR@5kt |")
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    for n in sizes:
        for k, q in results[n]["quality"].items():
            print(
                f"| {n:,} | {k} | {q['type']} | {q['recall@100_of_flat']:.4f} | {q['R@2kt']:.2f} | "
                f"{q['dR@2kt']:+.2f} | {q['R@5kt']:.2f} | {q['dR@5kt']:+.2f} |"
            )
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump({str(n): r for n, r in results.items()}, f, indent=2)


if __name__ == "__main__":
    main()
