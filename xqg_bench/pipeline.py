"""The foundation path: dataset -> encoder -> Pyserini index -> search -> TREC run -> scores."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd

from xqg_bench import __version__
from xqg_bench.atomic import atomic_write_json, atomic_write_text
from xqg_bench.datasets.records import XorDoc
from xqg_bench.encoders import DEFAULT_ENCODER, load_encoder
from xqg_bench.evaluate.measures import (
    DEFAULT_BUDGETS,
    DEFAULT_MEASURES,
    PairingReport,
    QueryInfo,
    TextLookup,
    language_table,
    parse_measures,
    score_rankings,
)
from xqg_bench.evaluate.predictions import predictions, write_predictions
from xqg_bench.evaluate.rkt import rkt_label
from xqg_bench.evaluate.tokenize import TOKENIZER_SIGNATURE
from xqg_bench.index import build_index
from xqg_bench.runs import read_trec_run, write_trec_run
from xqg_bench.search import search
from xqg_bench.signature import cache_key, file_md5, fingerprint_lines, make_signature

DEFAULT_DATASET = "xqg-bench:mini/dev"


class QuerySet(NamedTuple):
    dataset_id: str
    docs: list[XorDoc]
    queries: list[QueryInfo]
    texts: dict[str, str]  # query id -> question text
    qrels: list[tuple[str, str, int]] | None
    fingerprint: str

    def text_lookup(self) -> TextLookup:
        by_id = {d.doc_id: d for d in self.docs}

        def lookup(doc_ids: Sequence[str]) -> list[str]:
            try:
                return [by_id[d].text for d in doc_ids]
            except KeyError as e:
                raise KeyError(f"doc id {e.args[0]!r} is not in the corpus of {self.dataset_id}") from None

        return lookup


def load_query_set(dataset_id: str) -> QuerySet:
    """Docs, queries (with lang and answers) and qrels of an ir_datasets ID."""
    import ir_datasets

    import xqg_bench  # noqa: F401  (registers our datasets)

    try:
        ds = ir_datasets.load(dataset_id)
    except KeyError:
        raise ValueError(
            f"unknown dataset {dataset_id!r}; list the registered ones with `python -m xqg_bench.run datasets`"
        ) from None
    if not ds.has_docs() or not ds.has_queries():
        raise ValueError(f"{dataset_id!r} needs docs and queries; use a query set such as {DEFAULT_DATASET!r}")
    docs = []
    for d in ds.docs_iter():
        docs.append(d if isinstance(d, XorDoc) else XorDoc(d.doc_id, d.text, getattr(d, "title", "")))
    default_lang = ds.queries_lang() if hasattr(ds, "queries_lang") else None
    queries, texts = [], {}
    for q in ds.queries_iter():
        lang = getattr(q, "lang", None) or default_lang
        if not lang:
            raise ValueError(f"{dataset_id}: query {q.query_id} has no language (XOR-Retrieve scores per language)")
        queries.append(QueryInfo(q.query_id, lang, tuple(getattr(q, "answers", ()))))
        texts[q.query_id] = q.text
    qrels = [(r.query_id, r.doc_id, int(r.relevance)) for r in ds.qrels_iter()] if ds.has_qrels() else None
    fp = fingerprint_lines(
        [f"{d.doc_id}\t{d.title}\t{d.text}" for d in docs]
        + [f"{q.query_id}\t{q.lang}\t{texts[q.query_id]}\t{'|'.join(q.answers)}" for q in queries]
        + [f"{q}\t{d}\t{r}" for q, d, r in sorted(qrels or [])]
    )
    return QuerySet(dataset_id, docs, queries, texts, qrels, fp)


@dataclass(frozen=True)
class RunConfig:
    dataset: str = DEFAULT_DATASET
    encoder: str = DEFAULT_ENCODER
    output_dir: str = "runs"
    depth: int = 100
    measures: tuple[str, ...] = DEFAULT_MEASURES
    budgets: tuple[int, ...] = DEFAULT_BUDGETS
    threads: int = 2
    shard_size: int = 256
    progress: bool = True


@dataclass
class RunResult:
    run_path: str
    table: pd.DataFrame
    per_query: pd.DataFrame
    signature: str
    pairing: PairingReport
    files: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")


def score_signature(qs: QuerySet, encoder_spec: str, index_sig: str, cfg: RunConfig, run_md5: str) -> str:
    return make_signature(
        {
            "data": qs.dataset_id,
            "data_fp": qs.fingerprint[:16],
            "enc": encoder_spec,
            "index": cache_key(index_sig),
            "depth": cfg.depth,
            "measures": ",".join(cfg.measures),
            "rkt": ",".join(str(b) for b in cfg.budgets) + f"/{TOKENIZER_SIGNATURE}",
            "run_md5": run_md5,
            "version": f"xqg-bench-{__version__}",
        }
    )


def run_pipeline(cfg: RunConfig) -> RunResult:
    """Encode and index the corpus (cached), search every query, write and score the run."""
    t0 = time.perf_counter()
    parse_measures(cfg.measures)  # fail before any work on a bad measure name
    qs = load_query_set(cfg.dataset)
    encoder = load_encoder(cfg.encoder)
    cache_root = os.path.join(cfg.output_dir, "cache")
    info = build_index(encoder, qs.docs, cache_root, cfg.shard_size, cfg.progress)
    qids = [q.query_id for q in qs.queries]
    rankings = search(
        info.path, encoder, qids, [qs.texts[q] for q in qids], cfg.depth, cfg.threads, progress=cfg.progress
    )
    name = f"{slug(cfg.dataset)}.{slug(encoder.spec.split('(')[0])}-{cache_key(info.signature, 8)}"
    run_path = os.path.join(cfg.output_dir, f"{name}.trec")
    write_trec_run(run_path, rankings, tag=slug(f"xqg-bench.{encoder.spec}"))
    on_disk = read_trec_run(run_path)  # score exactly what was written
    lookup = qs.text_lookup()
    per_query, pairing = score_rankings(on_disk, qs.queries, qs.qrels, lookup, cfg.measures, cfg.budgets)
    order = [rkt_label(b) for b in cfg.budgets] + list(cfg.measures)
    table = language_table(per_query, order)
    sig = score_signature(qs, encoder.spec, info.signature, cfg, file_md5(run_path))
    per_query = per_query.assign(signature=sig)
    files = {"run": run_path}
    files["predictions"] = os.path.join(cfg.output_dir, f"{name}.predictions.json")
    write_predictions(files["predictions"], predictions(on_disk, qs.queries, lookup))
    files["per_query"] = os.path.join(cfg.output_dir, f"{name}.per_query.csv")
    atomic_write_text(files["per_query"], per_query.to_csv(index=False))
    files["table"] = os.path.join(cfg.output_dir, f"{name}.scores.md")
    atomic_write_text(files["table"], render_markdown(table, sig, pairing))
    files["scores"] = os.path.join(cfg.output_dir, f"{name}.scores.json")
    atomic_write_json(
        files["scores"],
        {
            "signature": sig,
            "run": os.path.basename(run_path),
            "run_md5": file_md5(run_path),
            "index": os.path.relpath(info.path, cfg.output_dir),
            "pairing": pairing._asdict(),
            "table": {lang: {k: _num(v) for k, v in row.items()} for lang, row in table.iterrows()},
        },
    )
    return RunResult(run_path, table, per_query, sig, pairing, files, time.perf_counter() - t0)


def _num(v: object) -> float | int:
    f = float(v)  # type: ignore[arg-type]
    return int(f) if f.is_integer() and abs(f) < 1e15 else round(f, 6)


def render_markdown(table: pd.DataFrame, signature: str, pairing: PairingReport) -> str:
    fmt = table.copy()
    for col in fmt.columns:
        if col == "n":
            fmt[col] = fmt[col].map(lambda v: f"{int(v)}")
        elif col.startswith("R@") and col.endswith("t"):
            fmt[col] = fmt[col].map(lambda v: f"{v:.2f}")
        else:
            fmt[col] = fmt[col].map(lambda v: f"{v:.4f}")
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
