"""Per-query scores: ir-measures measures from qrels, and R@kt from answers and passage texts.

Pairing rules, stated and counted (never silent):
- ir-measures measures: a query of the query set missing from the run scores 0 (the rule of
  ir-measures' aggregates); run queries outside the query set are ignored.
- R@kt: as the official script, a query without a prediction is not counted, and a query whose
  answers are all yes/no is not counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from xqg_bench.evaluate.rkt import query_hit, rkt_label, span_answers

if TYPE_CHECKING:
    from ir_measures import Qrel

DEFAULT_MEASURES: tuple[str, ...] = ("R@100", "RR@10", "nDCG@10", "Success@5")
# The official budgets (2000, 5000) plus budgets scaled to a ~900-passage corpus.
DEFAULT_BUDGETS: tuple[int, ...] = (200, 500, 2000, 5000)

Rankings = Mapping[str, Sequence[tuple[str, float]]]
TextLookup = Callable[[Sequence[str]], list[str]]


class PairingReport(NamedTuple):
    queries: int  # in the query set
    missing_from_run: int  # scored 0 by ir-measures measures; not counted by R@kt
    extra_in_run: int  # ignored
    rkt_not_counted: int  # yes/no-only or no answers (official skip)


def parse_measures(names: Iterable[str]) -> list:  # type: ignore[type-arg]
    """Strict ir-measures parsing: a bad name raises ValueError naming it."""
    import ir_measures

    out = []
    for name in names:
        try:
            out.append(ir_measures.parse_measure(name))
        except Exception as e:  # ir_measures raises several types
            raise ValueError(f"unknown measure {name!r} ({e}); use ir-measures syntax, e.g. nDCG@10, R@100") from e
    return out


def rkt_measure(max_tokens: int, answers: Mapping[str, Sequence[str]], texts: TextLookup):  # type: ignore[no-untyped-def]
    """R@kt as an ir-measures measure (``ir_measures.define``), backed by answers and a text lookup.

    Per-query value 1.0/0.0; queries the official script does not count yield no value.
    ``texts(doc_ids)`` returns passage texts (no title), e.g. from an ir_datasets docs_store.
    Note: ir-measures gives 0 to every *qrels* query a measure yields nothing for, so pass qrels
    restricted to ``counted_query_ids(answers)`` to reproduce the official denominators.
    """
    import ir_measures

    def impl(qrels: pd.DataFrame, run: pd.DataFrame) -> Iterable[tuple[str, float]]:
        for qid, group in run.groupby("query_id", sort=True):
            if qid not in answers:
                continue
            ranked = group.sort_values(["score", "doc_id"], ascending=[False, True])["doc_id"].tolist()
            hit = query_hit(answers[qid], texts(ranked), max_tokens)
            if hit is not None:
                yield str(qid), float(hit)

    return ir_measures.define(impl, name=rkt_label(max_tokens), support_cutoff=False)


def counted_query_ids(answers: Mapping[str, Sequence[str]]) -> set[str]:
    """Query ids the official script counts (at least one answer other than yes/no)."""
    return {qid for qid, a in answers.items() if span_answers(a)}


def docs_store_texts(store) -> TextLookup:  # type: ignore[no-untyped-def]
    """A TextLookup over an ir_datasets docs_store (passage ``text`` field only, as official)."""

    def lookup(doc_ids: Sequence[str]) -> list[str]:
        found = store.get_many(list(doc_ids))
        missing = [d for d in doc_ids if d not in found]
        if missing:
            raise KeyError(f"run names doc id {missing[0]!r} that the corpus does not contain")
        return [found[d].text for d in doc_ids]

    return lookup


class QueryInfo(NamedTuple):
    query_id: str
    lang: str
    answers: tuple[str, ...]


def score_rankings(
    rankings: Rankings,
    queries: Sequence[QueryInfo],
    qrels: Sequence[Qrel] | None,
    texts: TextLookup,
    measures: Sequence[str] = DEFAULT_MEASURES,
    budgets: Sequence[int] = DEFAULT_BUDGETS,
) -> tuple[pd.DataFrame, PairingReport]:
    """Long per-query DataFrame (query_id, lang, measure, value) plus the pairing report.

    R@kt values are 0/100 per query (so means are the official percentages); ir-measures values
    keep their native [0, 1] scale.
    """
    import ir_measures

    qset = {q.query_id: q for q in queries}
    run_ids = set(rankings)
    missing = sorted(set(qset) - run_ids)
    extra = sorted(run_ids - set(qset))
    rows: list[tuple[str, str, str, float]] = []
    if qrels is not None and measures:
        parsed = parse_measures(measures)
        # Scores are replaced by reciprocal-rank-order values so that trec_eval's tie rule (docid
        # descending) cannot reorder ties: every measure sees the harness order (-score, docid).
        run = {}
        for qid in qset:
            if qid in rankings:
                ranked = sorted(rankings[qid], key=lambda x: (-x[1], x[0]))
                run[qid] = {d: float(len(ranked) - i) for i, (d, _s) in enumerate(ranked)}
        qrel_objs = [r for r in qrels if r.query_id in qset]
        got: dict[tuple[str, str], float] = {}
        for m in ir_measures.iter_calc(parsed, qrel_objs, run):
            got[(m.query_id, str(m.measure))] = float(m.value)
        judged = {r.query_id for r in qrels}
        for q in queries:
            if q.query_id not in judged:
                continue  # no qrels: ir-measures measures are undefined for this query
            for m in parsed:
                rows.append((q.query_id, q.lang, str(m), got.get((q.query_id, str(m)), 0.0)))
    not_counted = 0
    for q in queries:
        if q.query_id not in rankings:
            continue
        ctx = texts([d for d, _s in rankings[q.query_id]])
        for n in budgets:
            hit = query_hit(q.answers, ctx, n)
            if hit is None:
                if n == budgets[0]:
                    not_counted += 1
                continue
            rows.append((q.query_id, q.lang, rkt_label(n), 100.0 * hit))
    df = pd.DataFrame(rows, columns=["query_id", "lang", "measure", "value"])
    return df, PairingReport(len(qset), len(missing), len(extra), not_counted)


def language_table(per_query: pd.DataFrame, measure_order: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows: languages + ``avg`` (plain mean over languages, the XOR-Retrieve convention); columns: measures."""
    table = per_query.pivot_table(index="lang", columns="measure", values="value", aggfunc="mean")
    if measure_order:
        table = table[[m for m in measure_order if m in table.columns]]
    table = table.sort_index()
    table.loc["avg"] = table.mean(axis=0)
    counts = per_query.groupby("lang")["query_id"].nunique()
    table.insert(0, "n", list(counts.reindex(table.index[:-1]).astype(int)) + [int(counts.sum())])
    table.columns.name = None
    table.index.name = "lang"
    return table
