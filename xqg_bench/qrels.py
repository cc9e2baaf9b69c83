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
