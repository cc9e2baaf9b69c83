"""Ranking stability between a system's clean and perturbed rankings of the same question.

Two measures per question, as repro_eval (Breuer et al., SIGIR 2020; ``repro_eval.measure.document_order``)
defines them for an original and a reproduced run:

- **Kendall's tau on the union of the top k** (KTU): the union of both top-k lists is sorted by doc id;
  each list becomes the sequence of its documents' positions in that union; tau is Kendall's tau
  between the two sequences (position by position).  The positions are distinct within a list, so
  tau-a = tau-b = (concordant - discordant) / (k (k - 1) / 2).
- **Rank-biased overlap** (RBO, Webber, Moffat and Zobel, TOIS 2010), the normalised truncated form
  repro_eval uses by default (after the TREC Health Misinformation track):
  ``sum_{d=1..k} p^(d-1) |A_d ∩ B_d| / d  /  sum_{d=1..k} p^(d-1)`` with persistence p = 0.8.

Both lists are in the harness order (-score, doc id) and cut at the same depth k (the shorter
length when a list has fewer hits); repro_eval breaks ties by doc id descending instead — identical
unless scores tie.  1 means the perturbation left the ranking unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from xqg_bench.statistics.compare import ALL
from xqg_bench.statistics.significance import bootstrap_matrix, macro_weights, percentile_ci

RBO_P = 0.8
KTU = "KTU"
RBO = "RBO(p=0.8)"


def ktau_union(a: Sequence[str], b: Sequence[str], k: int | None = None) -> float:
    """Kendall's tau between two top-k lists over their union (repro_eval's KTU)."""
    k = min(len(a), len(b)) if k is None else min(k, len(a), len(b))
    a, b = list(a[:k]), list(b[:k])
    if k < 2:
        return float("nan")
    union = {d: i for i, d in enumerate(sorted(set(a) | set(b)))}
    x = np.array([union[d] for d in a])
    y = np.array([union[d] for d in b])
    s = np.sign(x[:, None] - x[None, :]) * np.sign(y[:, None] - y[None, :])
    return float(s.sum() / (k * (k - 1)))


def rbo(a: Sequence[str], b: Sequence[str], p: float = RBO_P, k: int | None = None) -> float:
    """Normalised truncated rank-biased overlap of two rankings at depth k."""
    k = max(len(a), len(b)) if k is None else k
    if k < 1:
        return float("nan")
    seen_a: set[str] = set()
    seen_b: set[str] = set()
    overlap = 0
    agree = np.zeros(k)
    for d in range(k):
        x = a[d] if d < len(a) else None
        y = b[d] if d < len(b) else None
        if x is not None and x == y:
            overlap += 1
        else:
            overlap += (x is not None and x in seen_b) + (y is not None and y in seen_a)
        if x is not None:
            seen_a.add(x)
        if y is not None:
            seen_b.add(y)
        agree[d] = overlap / (d + 1)
    weights = p ** np.arange(k)
    return float(weights @ agree / weights.sum())


def _pair(a: Sequence[str], b: Sequence[str], p: float) -> tuple[float, float]:
    """KTU and RBO of two rankings of the same length, both at their full depth: ``ktau_union`` and
    ``rbo`` computed on arrays (doc ids mapped to positions in their sorted union), with the same values."""
    k = len(a)
    if k < 1:
        return float("nan"), float("nan")
    union, inverse = np.unique(np.array([*a, *b]), return_inverse=True)
    x, y = inverse[:k], inverse[k:]
    ktu = float("nan")
    if k >= 2:
        s = np.sign(x[:, None] - x[None, :]) * np.sign(y[:, None] - y[None, :])
        ktu = float(s.sum() / (k * (k - 1)))
    # a document shared by both lists counts in the overlap from the deeper of its two positions on
    pos_a = np.full(len(union), k)
    pos_b = np.full(len(union), k)
    pos_a[x] = np.arange(k)
    pos_b[y] = np.arange(k)
    deeper = np.maximum(pos_a, pos_b)
    overlap = np.cumsum(np.bincount(deeper[deeper < k], minlength=k))
    agree = overlap / np.arange(1, k + 1)
    weights = p ** np.arange(k)
    return ktu, float(weights @ agree / weights.sum())


def ranking_stability(
    clean: Mapping[str, Sequence[tuple[str, float]]],
    perturbed: Mapping[str, Sequence[tuple[str, float]]],
    langs: Mapping[str, str],
    k: int,
    p: float = RBO_P,
) -> pd.DataFrame:
    """Per question in both runs: long rows (query_id, lang, measure, value) for KTU@k and RBO."""
    rows = []
    for qid in sorted(set(clean) & set(perturbed) & set(langs)):
        a = [d for d, _s in sorted(clean[qid], key=lambda x: (-x[1], x[0]))]
        b = [d for d, _s in sorted(perturbed[qid], key=lambda x: (-x[1], x[0]))]
        depth = min(k, len(a), len(b))
        ktu, overlap = _pair(a[:depth], b[:depth], p)
        rows.append((qid, langs[qid], f"{KTU}@{k}", ktu))
        rows.append((qid, langs[qid], RBO, overlap))
    return pd.DataFrame(rows, columns=["query_id", "lang", "measure", "value"])


def stability_summary(per_query: pd.DataFrame, samples: int, seed: int, level: float = 0.95) -> pd.DataFrame:
    """Per (condition, system, measure, language | ``all`` macro): n, mean and stratified bootstrap CI."""

    rows = []
    df = per_query.dropna(subset=["value"])
    for (condition, system, measure), g in df.groupby(["condition", "system", "measure"], sort=True):
        g = g.sort_values(["lang", "query_id"])
        parts = [(lang, sub["value"].to_numpy(dtype=np.float64)) for lang, sub in g.groupby("lang", sort=True)]
        parts.append((ALL, np.concatenate([v for _l, v in parts])))
        for lang, v in parts:
            sizes = tuple(len(x) for _l, x in parts[:-1]) if lang == ALL else (len(v),)
            lo, hi = percentile_ci(bootstrap_matrix(sizes, samples, seed) @ v, level)
            rows.append(
                {
                    "condition": condition,
                    "system": system,
                    "measure": measure,
                    "lang": lang,
                    "n": len(v),
                    "mean": float(macro_weights(sizes) @ v),
                    "ci_low": float(lo),
                    "ci_high": float(hi),
                }
            )
    return pd.DataFrame(rows)


def stability_per_query(
    clean: Mapping[str, Mapping[str, Sequence[tuple[str, float]]]],
    perturbed: Mapping[str, Mapping[str, Mapping[str, Sequence[tuple[str, float]]]]],
    langs: Mapping[str, str],
    k: int,
) -> pd.DataFrame:
    """``clean``: system -> rankings; ``perturbed``: condition -> system -> rankings.  Long rows
    (system, condition, query_id, lang, measure, value)."""
    frames = [
        ranking_stability(clean[system], runs, langs, k).assign(system=system, condition=condition)
        for condition, by_system in perturbed.items()
        for system, runs in by_system.items()
        if system in clean
    ]
    cols = ["system", "condition", "query_id", "lang", "measure", "value"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def with_stability(robust: pd.DataFrame, summary: pd.DataFrame, baseline: str, system: str) -> pd.DataFrame:
    """Robustness rows plus each system's mean KTU and RBO (with CIs) for the row's condition and language."""
    if robust.empty or summary.empty:
        return robust
    out = robust
    for who, name in (("baseline", baseline), ("system", system)):
        for measure in sorted(set(summary["measure"])):
            tag = ("ktu" if measure.startswith(KTU) else "rbo") + f"_{who}"
            sub = summary[(summary["system"] == name) & (summary["measure"] == measure)]
            sub = sub.rename(columns={"mean": tag, "ci_low": f"{tag}_ci_low", "ci_high": f"{tag}_ci_high"})
            cols = ["condition", "lang", tag, f"{tag}_ci_low", f"{tag}_ci_high"]
            out = out.merge(sub[cols], on=["condition", "lang"], how="left", validate="many_to_one")
    out.attrs.update(robust.attrs)
    return out
