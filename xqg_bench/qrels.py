"""TREC qrels files of the query sets the harness ships (the ``qrels/`` folder)."""

from __future__ import annotations

import os

from xqg_bench.atomic import atomic_open

SHIPPED = ("xqg-bench:mini/dev", "xqg-bench:mini/train")


def qrels_filename(dataset_id: str) -> str:
    return dataset_id.replace(":", "-").replace("/", "-") + ".qrels"


def export_qrels(output_dir: str = "qrels") -> list[str]:
    import ir_datasets

    import xqg_bench  # noqa: F401

    paths = []
    for ds_id in SHIPPED:
        path = os.path.join(output_dir, qrels_filename(ds_id))
        with atomic_open(path, "w") as f:
            for r in ir_datasets.load(ds_id).qrels_iter():
                f.write(f"{r.query_id} {r.iteration} {r.doc_id} {r.relevance}\n")
        paths.append(path)
    return paths


def read_qrels(path: str) -> list[tuple[str, str, int]]:
    """TREC qrels ``qid iteration docid relevance``; a bad line raises ValueError naming file and line."""
    out, seen = [], set()
    try:
        f = open(path, encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"qrels file {path} does not exist") from None
    with f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            cols = line.split()
            if len(cols) != 4:
                raise ValueError(f"{path}, line {lineno}: expected 4 columns 'qid iteration docid relevance'")
            try:
                rel = int(cols[3])
            except ValueError:
                raise ValueError(f"{path}, line {lineno}: relevance {cols[3]!r} is not an integer") from None
            if (cols[0], cols[2]) in seen:
                raise ValueError(f"{path}, line {lineno}: document {cols[2]!r} judged twice for query {cols[0]!r}")
            seen.add((cols[0], cols[2]))
            out.append((cols[0], cols[2], rel))
    return out
