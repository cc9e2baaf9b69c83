"""Per-query scores from one measure list: ir-measures measures from qrels, answer-based measures (R@kt) from
answers and passage texts.

A measure list is written in ir-measures syntax (``nDCG@10``, ``R@100``, ``RR(rel=2)@10``); an answer-based
measure by the names its declaration matches (``R@2kt``, ``R@5kt``, ``R@200t``: R@kt at 2000, 5000, 200 tokens),
resolved to an ``ir_measures.define`` measure parameterised by that budget.  Answer-based measures are declared
once, in :data:`ANSWER_MEASURES`: their names, per-query value, scale and number format; the table order
(:func:`measure_names`) and the number format (:func:`decimals`, :func:`is_percent`) of every measure follow
from there.

Pairing rules, stated and counted (never silent):
- ir-measures measures: a query of the query set missing from the run scores 0 (the rule of
  ir-measures' aggregates); run queries outside the query set are ignored.
- R@kt: as the official script, a query without a prediction is not counted, and a query whose
  answers are all yes/no is not counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from xqg_bench.evaluate.rkt import query_hit, rkt_label, span_answers

if TYPE_CHECKING:
    from ir_measures import Qrel

DEFAULT_MEASURES: tuple[str, ...] = ("R@100", "RR@10", "nDCG@10", "Success@5")
# The official budgets (2000, 5000) plus budgets scaled to a ~900-passage corpus.
DEFAULT_BUDGETS: tuple[int, ...] = (200, 500, 2000, 5000)
IR_DECIMALS, IR_COMPACT_DECIMALS = 4, 3  # digits of ir-measures' [0, 1] values in tables, in compact tables

Rankings = Mapping[str, Sequence[tuple[str, float]]]
TextLookup = Callable[[Sequence[str]], list[str]]


class AnswerMeasure(NamedTuple):
    """A family of measures computed from a question's gold answers and the texts of its ranked passages (not
    from qrels), declared once, as an entry of :data:`ANSWER_MEASURES`.

    ``pattern`` matches its names in a measure list and ``param`` turns a match into the family's parameter;
    ``name`` gives a parameter's canonical name (the one tables and files use).  ``hit`` is a question's value,
    1 or 0, from its answers, its ranked passage texts and the parameter, or None when the question does not
    count.  Tables and per-query files report ``scale`` x the value (100: means are percentages), printed with
    ``decimals`` digits."""

    family: str
    pattern: re.Pattern[str]
    param: Callable[[re.Match[str]], int]
    name: Callable[[int], str]
    hit: Callable[[Sequence[str], Sequence[str], int], bool | None]
    scale: float = 100.0
    decimals: int = 2

    def parse(self, name: str) -> int | None:
        """The parameter a name gives, or None when the name is not of this family."""
        match = self.pattern.fullmatch(name)
        return None if match is None else self.param(match)


RKT = AnswerMeasure(
    "R@kt",  # XOR-Retrieve's official recall at N tokens (xqg_bench.evaluate.rkt): R@2kt, R@5kt, R@200t
    re.compile(r"R@(\d+)(k?)t"),
    lambda m: int(m[1]) * (1000 if m[2] else 1),
    rkt_label,
    query_hit,
)
ANSWER_MEASURES: tuple[AnswerMeasure, ...] = (RKT,)  # a new answer-based measure: one more entry
# The default measure list, in table order: R@kt at each default budget, then the ir-measures measures.
DEFAULT_MEASURE_NAMES: tuple[str, ...] = (*(RKT.name(b) for b in DEFAULT_BUDGETS), *DEFAULT_MEASURES)


class AnswerAt(NamedTuple):
    """An answer-based measure at one parameter, as parsed from a measure list (``R@2kt``: R@kt at 2000)."""

    measure: AnswerMeasure
    param: int

    def __str__(self) -> str:
        return self.measure.name(self.param)

    def value(self, answers: Sequence[str], ctxs: Sequence[str]) -> float | None:
        """A query's value, 1.0 or 0.0, from its answers and its ranked passage texts; None: not counted."""
        hit = self.measure.hit(answers, ctxs, self.param)
        return None if hit is None else float(hit)

    def define(self, answers: Mapping[str, Sequence[str]], texts: TextLookup):  # type: ignore[no-untyped-def]
        """This measure as an ir-measures measure (``ir_measures.define``, named as in tables) over ``answers``
        and the passage texts ``texts(doc_ids)`` returns, for ``pt.Experiment``, ``ir_measures.calc`` and the like:
        :meth:`value` per counted query (1.0/0.0: the table's value / ``scale``), each query's documents ranked by
        score, ties by doc id.  Queries without answers yield no value.  Note: ir-measures gives 0 to every
        *qrels* query a measure yields nothing for, so pass qrels restricted to :func:`counted_query_ids` to
        reproduce the official denominators."""
        import ir_measures

        def impl(qrels: pd.DataFrame, run: pd.DataFrame) -> Iterable[tuple[str, float]]:
            ordered = run.sort_values(["query_id", "score", "doc_id"], ascending=[True, False, True])
            for qid, ranked in ordered.groupby("query_id", sort=True)["doc_id"]:
                if qid in answers:
                    v = self.value(answers[qid], texts(ranked.tolist()))
                    if v is not None:
                        yield str(qid), v

        return ir_measures.define(impl, name=str(self), support_cutoff=False)


def answer_measure(name: str) -> AnswerAt | None:
    """The answer-based measure a name denotes (``R@2kt``), or None for any other name."""
    for family in ANSWER_MEASURES:
        param = family.parse(name)
        if param is not None:
            return AnswerAt(family, param)
    return None


class PairingReport(NamedTuple):
    queries: int  # in the query set
    missing_from_run: int  # scored 0 by ir-measures measures; not counted by R@kt
    extra_in_run: int  # ignored
    rkt_not_counted: int  # yes/no-only or no answers (official skip)


def parse_measures(names: Iterable[str]) -> list:  # type: ignore[type-arg]
    """Strict parsing of a measure list: an answer-based measure's name (``R@2kt``) gives an :class:`AnswerAt`,
    any other name an ir-measures measure (ir-measures syntax); ``str()`` of either is its canonical name.  A bad
    name raises ValueError naming it."""
    import ir_measures

    out: list = []  # type: ignore[type-arg]
    for name in names:
        answer = answer_measure(name)
        if answer is not None:
            out.append(answer)
            continue
        try:
            out.append(ir_measures.parse_measure(name))
        except Exception as e:  # ir_measures raises several types
            raise ValueError(
                f"unknown measure {name!r} ({e}); use ir-measures syntax, e.g. nDCG@10, R@100, or R@kt at a token "
                "budget, e.g. R@2kt, R@200t"
            ) from e
    return out


def measure_names(names: Iterable[str]) -> tuple[str, ...]:
    """The canonical names of a measure list in table order: the answer-based measures (R@kt), then the
    ir-measures ones, each in the order given; a name listed twice (in any spelling) is kept once.  The column
    order of every table and the order measures are reported in."""
    parsed = [str(m) for m in parse_measures(names)]
    answers = [m for m in parsed if answer_measure(m) is not None]
    return tuple(dict.fromkeys([*answers, *(m for m in parsed if answer_measure(m) is None)]))


def with_budgets(measures: Iterable[str], budgets: Iterable[int]) -> tuple[str, ...]:
    """A measure list with R@kt at each token budget added (the ``--budgets`` flag), in table order."""
    return measure_names([*(RKT.name(b) for b in budgets), *measures])


def is_percent(measure: str) -> bool:
    """Whether a measure's reported values are percentages (an answer-based measure of scale 100: R@kt)."""
    answer = answer_measure(measure)
    return answer is not None and answer.measure.scale == 100.0


def decimals(measure: str, compact: bool = False) -> int:
    """Digits a measure's values are printed with: an answer-based measure's declared ones (R@kt: 2), else
    :data:`IR_DECIMALS` (:data:`IR_COMPACT_DECIMALS` in compact tables)."""
    answer = answer_measure(measure)
    if answer is not None:
        return answer.measure.decimals
    return IR_COMPACT_DECIMALS if compact else IR_DECIMALS


def format_value(measure: str, v: float) -> str:
    """A measure's value as tables print it (R@kt ``56.67``, ir-measures ``0.5667``)."""
    return f"{v:.{decimals(measure)}f}"


def rkt_measure(max_tokens: int, answers: Mapping[str, Sequence[str]], texts: TextLookup):  # type: ignore[no-untyped-def]
    """R@kt at ``max_tokens`` as an ir-measures measure (:meth:`AnswerAt.define`): 1.0/0.0 per counted query.
    ``texts(doc_ids)`` returns passage texts (no title), e.g. from an ir_datasets docs_store."""
    return AnswerAt(RKT, max_tokens).define(answers, texts)


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
    measures: Sequence[str] = DEFAULT_MEASURE_NAMES,
) -> tuple[pd.DataFrame, PairingReport]:
    """Long per-query DataFrame (query_id, lang, measure, value) plus the pairing report, for every measure of
    ``measures`` (:func:`parse_measures`): the ir-measures ones' rows, then the answer-based ones'.

    Answer-based values are ``scale`` x :meth:`AnswerAt.value` (R@kt: 0/100 per query, so means are the official
    percentages); ir-measures values keep their native [0, 1] scale.
    """
    import ir_measures

    parsed = parse_measures(measures)
    from_answers = [m for m in parsed if isinstance(m, AnswerAt)]
    from_qrels = [m for m in parsed if not isinstance(m, AnswerAt)]
    qset = {q.query_id: q for q in queries}
    run_ids = set(rankings)
    missing = sorted(set(qset) - run_ids)
    extra = sorted(run_ids - set(qset))
    rows: list[tuple[str, str, str, float]] = []
    if qrels is not None and from_qrels:
        # Scores are replaced by reciprocal-rank-order values so that trec_eval's tie rule (docid
        # descending) cannot reorder ties: every measure sees the harness order (-score, docid).
        run = {}
        for qid in qset:
            if qid in rankings:
                ranked = sorted(rankings[qid], key=lambda x: (-x[1], x[0]))
                run[qid] = {d: float(len(ranked) - i) for i, (d, _s) in enumerate(ranked)}
        qrel_objs = [r for r in qrels if r.query_id in qset]
        got: dict[tuple[str, str], float] = {}
        for m in ir_measures.iter_calc(from_qrels, qrel_objs, run):
            got[(m.query_id, str(m.measure))] = float(m.value)
        judged = {r.query_id for r in qrels}
        for q in queries:
            if q.query_id not in judged:
                continue  # no qrels: ir-measures measures are undefined for this query
            for m in from_qrels:
                rows.append((q.query_id, q.lang, str(m), got.get((q.query_id, str(m)), 0.0)))
    not_counted = 0
    for q in queries:
        if q.query_id not in rankings or not from_answers:
            continue
        ctxs = texts([d for d, _s in rankings[q.query_id]])  # once per query, for every answer-based measure
        for i, am in enumerate(from_answers):
            v = am.value(q.answers, ctxs)
            if v is None:
                if i == 0:
                    not_counted += 1
                continue
            rows.append((q.query_id, q.lang, str(am), am.measure.scale * v))
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
