"""TREC run files: ``qid Q0 docid rank score tag``, written atomically."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from xqg_bench.core.atomic import atomic_open
from xqg_bench.core.textfile import utf8_lines

_TAG = re.compile(r"^\S+$")
SCORE_DECIMALS = 6


def write_trec_run(
    path: str, rankings: Mapping[str, Sequence[tuple[str, float]]], tag: str
) -> dict[str, list[tuple[str, float]]]:
    """Queries in sorted id order; within a query by (-score, docid); ranks from 1.

    Returns the rankings exactly as written, each score parsed back from its written text (what
    ``read_trec_run`` of the file gives, without reading it back)."""
    if not _TAG.match(tag):
        raise ValueError(f"run tag {tag!r} must be non-empty and contain no whitespace")
    written: dict[str, list[tuple[str, float]]] = {}
    with atomic_open(path, "w") as f:
        for qid in sorted(rankings):
            if not qid or any(c.isspace() for c in qid):
                raise ValueError(f"query id {qid!r} is empty or contains whitespace")
            # order by the *written* score so that any reader sorting by (-score, docid) agrees
            texts = [(d, f"{round(float(s), SCORE_DECIMALS):.{SCORE_DECIMALS}f}") for d, s in rankings[qid]]
            ranked = sorted(((d, float(t), t) for d, t in texts), key=lambda x: (-x[1], x[0]))
            f.write("".join(f"{qid} Q0 {d} {rank} {t} {tag}\n" for rank, (d, _s, t) in enumerate(ranked, start=1)))
            written[qid] = [(d, s) for d, s, _t in ranked]
    return written


def check_run_files(paths: Sequence[str]) -> None:
    """Fail before any work when a run file is missing: ValueError naming it."""
    import os

    for path in paths:
        if not os.path.isfile(path):
            raise ValueError(f"run file {path} does not exist")


def read_trec_run(path: str) -> dict[str, list[tuple[str, float]]]:
    """Rankings per query, sorted by (-score, docid).

    Strict: every line must have 6 whitespace-separated columns with an integer rank (``1.0`` is read
    as 1, as trec_eval and ir-measures do) and a finite float score; a bad line raises ValueError naming
    the file and line.  A run whose scores are all equal is warned about (it is ranked by docid).
    (The same files are read by ``ir_measures.read_trec_run``, trec_eval, ranx and Pyserini.)
    """
    import math

    out: dict[str, list[tuple[str, float]]] = {}
    seen: set[tuple[str, str]] = set()
    check_run_files([path])
    for lineno, line in utf8_lines(path):
        if not line.strip():
            continue
        cols = line.split()
        where = f"{path}, line {lineno}"
        if len(cols) != 6:
            raise ValueError(f"{where}: expected 6 columns 'qid Q0 docid rank score tag', got {len(cols)}")
        qid, _q0, docid, rank, score_text, _tag = cols
        try:
            if not float(rank).is_integer():
                raise ValueError(rank)
            score = float(score_text)
        except ValueError:
            raise ValueError(
                f"{where}: rank must be an integer and score a number, got {rank!r} {score_text!r}"
            ) from None
        if not math.isfinite(score):
            raise ValueError(f"{where}: score {score_text!r} is not finite")
        if (qid, docid) in seen:
            raise ValueError(f"{where}: document {docid!r} appears twice for query {qid!r}")
        seen.add((qid, docid))
        out.setdefault(qid, []).append((docid, score))
    scores = {s for ranking in out.values() for _d, s in ranking}
    if len(scores) == 1 and len(seen) > 1:
        import sys

        print(
            f"warning: {path}: every score is {next(iter(scores))}: documents are ranked by (-score, docid), i.e. by "
            "doc id, not by the rank column; write the scores the system gave",
            file=sys.stderr,
        )
    for ranking in out.values():
        ranking.sort(key=lambda x: (-x[1], x[0]))
    return out


def recall_of_reference(
    reference: Mapping[str, Sequence[tuple[str, float]]], other: Mapping[str, Sequence[tuple[str, float]]], depth: int
) -> float:
    """How much of a reference ranking (exact search) another ranking (an approximate index) finds: the mean,
    over the reference's queries, of |top-depth(reference) & top-depth(other)| / |top-depth(reference)| (a query
    the other run lacks counts 0; an empty reference ranking counts 0).  Rankings in rank order (as read or
    written by this module)."""
    if not reference:
        raise ValueError("the reference run has no queries")
    total = 0.0
    for qid, hits in reference.items():
        want = {d for d, _s in hits[:depth]}
        got = {d for d, _s in other.get(qid, [])[:depth]}
        total += len(want & got) / max(1, len(want))
    return total / len(reference)
