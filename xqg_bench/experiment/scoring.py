"""Scoring TREC runs and testing systems against each other: the library functions behind the ``score`` and
``compare`` commands, used by the pipeline too.

- :func:`score_table`: rankings -> per-query scores, the per-language table and the pairing counts;
- :func:`score_run`: a TREC run file (made by any tool), checked against a query set, scored;
- :func:`leaderboard`: per-query scores of several systems -> one family of paired tests -> leaderboard files;
- :func:`compare_runs`: TREC run files against baseline runs -> :func:`leaderboard`;
- :func:`run_predictions`: a TREC run file, checked against a query set -> the official predictions file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from xqg_bench.core.atomic import check_not_input, check_stem, ensure_output_dir
from xqg_bench.core.signature import file_md5, make_signature
from xqg_bench.core.stages import stage
from xqg_bench.evaluate.measures import (
    PairingReport,
    QueryInfo,
    TextLookup,
    format_value,
    language_table,
    measure_names,
    score_rankings,
    with_budgets,
)
from xqg_bench.evaluate.predictions import predictions, write_predictions
from xqg_bench.evaluate.qrels import read_qrels
from xqg_bench.evaluate.query_sets import QuerySet, load_query_set
from xqg_bench.evaluate.runs import check_run_files, read_trec_run
from xqg_bench.experiment.config import Statistics
from xqg_bench.statistics.compare import compare
from xqg_bench.statistics.leaderboard import leaderboard_frame, write_leaderboard

if TYPE_CHECKING:
    from ir_measures import Qrel

Rankings = dict[str, list[tuple[str, float]]]


def score_table(
    rankings: Rankings,
    queries: Sequence[QueryInfo],
    qrels: Sequence[Qrel] | None,
    lookup: TextLookup,
    measures: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame, PairingReport]:
    """Per-query scores of every measure of ``measures`` (R@kt included, e.g. ``R@2kt``), the per-language table
    (columns in :func:`~xqg_bench.evaluate.measures.measure_names` order) and the pairing counts (queries,
    missing from the run, extra in it, not counted by R@kt)."""
    with stage("score"):
        per_query, pairing = score_rankings(rankings, queries, qrels, lookup, measures)
    return per_query, language_table(per_query, measure_names(measures)), pairing


def run_signature(qs: QuerySet, run_path: str) -> str:
    """The signature of a run file scored on a query set (the ``score`` and ``compare`` commands)."""
    return make_signature({"data": qs.dataset_id, "data_fp": qs.fingerprint[:16], "run_md5": file_md5(run_path)})


class ScoredRun(NamedTuple):
    table: pd.DataFrame  # per language, columns in measure_names order
    signature: str
    pairing: PairingReport
    per_query: pd.DataFrame
    rankings: Rankings


def score_run(
    path: str, dataset: str, measures: Sequence[str], budgets: Sequence[int] = (), allow_extra_queries: bool = False
) -> ScoredRun:
    """Score a TREC run file against a registered query set on ``measures`` plus R@kt at each of ``budgets`` (the
    ``--budgets`` flag; ``measures`` may name R@kt too); fails naming file, line and ID when the run holds a
    query or passage the set lacks (queries outside it are ignored with ``allow_extra_queries``)."""
    measures = with_budgets(measures, budgets)
    check_run_files([path])
    qs = load_query_set(dataset)
    rankings = read_trec_run(path)
    qs.check_run(path, rankings, allow_extra_queries)
    return _score_checked(path, rankings, qs, measures, qs.qrels)


def _score_checked(
    path: str, rankings: Rankings, qs: QuerySet, measures: Sequence[str], qrels: list | None
) -> ScoredRun:
    per_query, table, pairing = score_table(rankings, qs.queries, qrels, qs.text_lookup(), measures)
    return ScoredRun(table, run_signature(qs, path), pairing, per_query, rankings)


def leaderboard(
    per_query: pd.DataFrame,
    signatures: Mapping[object, str],
    statistics: Statistics,
    output_dir: str,
    stem: str,
    baselines: Sequence[str] = (),
    pairs: Sequence[tuple[str, str]] | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """One family of paired tests (every baseline against every other system, or exactly ``pairs``) over
    ``per_query`` (columns system, query_id, lang, measure, value, and condition), as a leaderboard frame
    and its files (md, csv, tex, html, json: ``<output_dir>/<stem>.<ext>``). ``signatures`` maps
    ``(system, condition)`` or ``system`` to the score signature the leaderboard names."""
    st = statistics
    with stage("statistics"):
        result = compare(per_query, list(baselines), None, st.test, st.correction, st.samples, st.seed,
                         max_samples=st.max_samples, pairs=pairs)  # fmt: skip
    board = leaderboard_frame(result, signatures)
    return board, write_leaderboard(board, output_dir, stem)


def compare_runs(
    paths: Sequence[str],
    baselines: Sequence[str],
    dataset: str,
    measures: Sequence[str],
    budgets: Sequence[int],
    statistics: Statistics,
    output_dir: str,
    stem: str = "compare",
    qrels_path: str | None = None,
    allow_extra_queries: bool = False,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Paired tests of TREC runs (``paths``; each named by its file name) against the ``baselines`` runs on a
    registered query set (``qrels_path``: a TREC qrels file instead of its qrels), on ``measures`` plus R@kt at
    each of ``budgets`` (may be empty): every input is checked before anything is written; returns the
    leaderboard and its files."""
    measures = with_budgets(measures, budgets)  # a bad measure name fails here, before anything is written
    paths = list(dict.fromkeys([*baselines, *paths]))
    if len(paths) == len(set(baselines)):
        raise ValueError("give at least one system run besides the --baseline runs")
    names = [os.path.splitext(os.path.basename(path))[0] for path in paths]
    if len(set(names)) != len(names):
        raise ValueError(f"runs need distinct file names to be told apart, got {names}")
    check_run_files(paths)
    check_stem(stem)  # a plain, short file name (before any work)
    qs = load_query_set(dataset)
    qrels = read_qrels(qrels_path) if qrels_path else qs.qrels
    if qrels_path:
        qs.check_ids(qrels_path, "qrels", [(r.query_id, r.doc_id) for r in qrels or []])
    runs = {path: read_trec_run(path) for path in paths}  # every run checked before any scoring
    for path, rankings in runs.items():
        qs.check_run(path, rankings, allow_extra_queries)
    ensure_output_dir(output_dir)  # after every input is checked: nothing is created on bad input
    frames, sigs = [], {}
    for name, path in zip(names, paths, strict=True):
        scored = _score_checked(path, runs[path], qs, measures, qrels)
        # a query the run lacks: no row for any measure, so compare() zero-fills it and counts it in `missing`
        frames.append(scored.per_query[scored.per_query["query_id"].isin(runs[path])].assign(system=name))
        sigs[name] = scored.signature
    baseline_names = [os.path.splitext(os.path.basename(b))[0] for b in baselines]
    return leaderboard(pd.concat(frames, ignore_index=True), sigs, statistics, output_dir, stem, baseline_names)


def run_predictions(path: str, dataset: str, output: str, allow_extra_queries: bool = False) -> str:
    """Write the official XOR-Retrieve predictions file ``output`` (gzip if it ends in ``.gz``) of a TREC run
    file, checked against a registered query set (its corpus gives the passage texts); returns ``output``."""
    check_not_input(output, [path])
    qs = load_query_set(dataset)
    rankings = read_trec_run(path)
    qs.check_run(path, rankings, allow_extra_queries)
    write_predictions(output, predictions(rankings, qs.queries, qs.text_lookup()))
    return output


def render_markdown(table: pd.DataFrame, signature: str, pairing: PairingReport) -> str:
    """A per-language score table as Markdown, with its signature and pairing counts."""
    fmt = table.copy()
    for col in fmt.columns:
        if col == "n":
            fmt[col] = fmt[col].map(lambda v: f"{int(v)}")
        else:
            fmt[col] = fmt[col].map(lambda v, m=col: format_value(m, v))
    lines = [fmt.to_markdown(), "", f"signature: `{signature}`", ""]
    lines.append(
        f"queries: {pairing.queries}; missing from run (scored 0 by ir-measures measures, not counted by R@kt): "
        f"{pairing.missing_from_run}; extra in run (ignored): {pairing.extra_in_run}; "
        f"not counted by R@kt (yes/no-only answers): {pairing.rkt_not_counted}"
    )
    lines.append(
        "R@kt columns are percentages (official); ir-measures columns are in [0, 1]; avg = mean over languages."
    )
    return "\n".join(lines) + "\n"
