"""Validity report of a perturbed query set: how much changed, and that nothing is broken."""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from xqg_bench.perturb.text import broken_clusters, graphemes, invalid_hangul, script_of


class Validity(NamedTuple):
    dataset_id: str
    queries: int
    changed: float  # fraction of queries whose text changed
    mean_edit_distance: float  # grapheme-cluster Levenshtein distance, mean over all queries
    script_preserved: float  # fraction whose dominant letter script is unchanged
    invalid: int  # broken clusters (detached marks), invalid Hangul, or empty queries


def edit_distance(a: list[str], b: list[str]) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        cur = [i]
        for j, y in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def dominant_script(text: str) -> str:
    counts = Counter(script_of(g[0]) for g in graphemes(text) if g[0].isalpha())
    return counts.most_common(1)[0][0] if counts else "NONE"


def is_invalid(text: str) -> bool:
    return not text.strip() or bool(broken_clusters(text)) or invalid_hangul(text)


def validity(dataset_id: str) -> Validity:
    from xqg_bench.datasets import load_dataset

    qs = list(load_dataset(dataset_id).queries_iter())
    if not qs or not hasattr(qs[0], "original_text"):
        raise ValueError(f"{dataset_id} is not a perturbed query set (<query set>/<variant>)")
    n = len(qs)
    changed = sum(q.text != q.original_text for q in qs)
    dist = sum(edit_distance(graphemes(q.original_text), graphemes(q.text)) for q in qs)
    same_script = sum(dominant_script(q.text) == dominant_script(q.original_text) for q in qs)
    invalid = sum(is_invalid(q.text) for q in qs)
    return Validity(dataset_id, n, changed / n, dist / n, same_script / n, invalid)
