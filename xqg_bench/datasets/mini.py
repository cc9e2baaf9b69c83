"""ir_datasets handlers for the embedded benchmark ``xqg-bench:mini``.

Declared here, built on first use (``build_mini`` is cached per process): registering costs
nothing at import time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ir_datasets.datasets.dpr_w100 import DprW100Doc
from ir_datasets.formats import BaseDocs, BaseQrels, BaseQueries, TrecQrel
from ir_datasets.indices import Docstore

from xqg_bench.datasets.mini_build import XOR_LANGS, build_mini
from xqg_bench.datasets.records import XorQuery

NAME = "xqg-bench:mini"
SPLITS = ("dev", "train")
QREL_DEFS = {1: "gold passage: written to state the fact the question asks for; contains an answer string"}


class MemoryDocstore(Docstore):
    """A docs_store over an in-memory mapping (the embedded corpus is small)."""

    def __init__(self, docs: dict[str, DprW100Doc]) -> None:
        super().__init__(DprW100Doc, "doc_id")
        self._docs = docs

    def get_many_iter(self, doc_ids: Iterable[str]) -> Iterator[DprW100Doc]:
        for doc_id in doc_ids:
            doc = self._docs.get(doc_id)
            if doc is not None:
                yield doc


class MiniDocs(BaseDocs):
    def docs_iter(self) -> Iterator[DprW100Doc]:
        return iter(build_mini().docs)

    def docs_count(self) -> int:
        return len(build_mini().docs)

    def docs_cls(self) -> type:
        return DprW100Doc

    def docs_store(self, field: str = "doc_id") -> MemoryDocstore:
        return MemoryDocstore({d.doc_id: d for d in build_mini().docs})

    def docs_namespace(self) -> str:
        return NAME

    def docs_lang(self) -> str:
        return "en"


class MiniQueries(BaseQueries):
    def __init__(self, split: str, lang: str | None = None) -> None:
        self._split = split
        self._lang = lang

    def queries_iter(self) -> Iterator[XorQuery]:
        queries = build_mini().dev if self._split == "dev" else build_mini().train
        return (q for q in queries if self._lang is None or q.lang == self._lang)

    def queries_cls(self) -> type:
        return XorQuery

    def queries_namespace(self) -> str:
        return NAME

    def queries_lang(self) -> str | None:
        return self._lang


class MiniQrels(BaseQrels):
    def __init__(self, queries: MiniQueries) -> None:
        self._queries = queries

    def qrels_iter(self) -> Iterator[TrecQrel]:
        gold = build_mini().gold
        for q in self._queries.queries_iter():
            for doc_id in gold[q.query_id]:
                yield TrecQrel(q.query_id, doc_id, 1, "0")

    def qrels_cls(self) -> type:
        return TrecQrel

    def qrels_defs(self) -> dict[int, str]:
        return QREL_DEFS


def dataset_ids() -> list[str]:
    ids = [NAME]
    for split in SPLITS:
        ids.append(f"{NAME}/{split}")
        ids.extend(f"{NAME}/{split}/{lang}" for lang in XOR_LANGS)
    return ids


def register(registry) -> None:  # type: ignore[no-untyped-def]
    from ir_datasets.datasets.base import Dataset

    docs = MiniDocs()
    registry.register(NAME, Dataset(docs))
    for split in SPLITS:
        queries = MiniQueries(split)
        registry.register(f"{NAME}/{split}", Dataset(docs, queries, MiniQrels(queries)))
        for lang in XOR_LANGS:
            lq = MiniQueries(split, lang)
            registry.register(f"{NAME}/{split}/{lang}", Dataset(docs, lq, MiniQrels(lq)))
