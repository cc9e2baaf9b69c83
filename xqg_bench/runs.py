"""TREC run files: ``qid Q0 docid rank score tag``, written atomically."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from xqg_bench.atomic import atomic_open

_TAG = re.compile(r"^\S+$")
SCORE_DECIMALS = 6


def write_trec_run(path: str, rankings: Mapping[str, Sequence[tuple[str, float]]], tag: str) -> None:
    """Queries in sorted id order; within a query by (-score, docid); ranks from 1."""
    if not _TAG.match(tag):
        raise ValueError(f"run tag {tag!r} must be non-empty and contain no whitespace")
    with atomic_open(path, "w") as f:
        for qid in sorted(rankings):
            if not qid or any(c.isspace() for c in qid):
                raise ValueError(f"query id {qid!r} is empty or contains whitespace")
            # order by the *written* score so that any reader sorting by (-score, docid) agrees
            ranked = sorted(
                ((d, round(float(s), SCORE_DECIMALS)) for d, s in rankings[qid]), key=lambda x: (-x[1], x[0])
            )
            for rank, (docid, score) in enumerate(ranked, start=1):
                f.write(f"{qid} Q0 {docid} {rank} {score:.{SCORE_DECIMALS}f} {tag}\n")


def read_trec_run(path: str) -> dict[str, list[tuple[str, float]]]:
    """Rankings per query, sorted by (-score, docid), via ``ir_measures.read_trec_run``."""
    import ir_measures

    out: dict[str, list[tuple[str, float]]] = {}
    for sd in ir_measures.read_trec_run(path):
        out.setdefault(sd.query_id, []).append((sd.doc_id, float(sd.score)))
    for ranking in out.values():
        ranking.sort(key=lambda x: (-x[1], x[0]))
    return out
