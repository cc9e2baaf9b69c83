"""A query set: the docs, queries (with language and answers), qrels and fingerprint of an ir_datasets ID,
loaded once and checked; runs and qrels files are checked against it (file, line and ID named)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from xqg_bench.core.signature import fingerprint_lines
from xqg_bench.datasets.docs import DocSequence
from xqg_bench.evaluate.measures import QueryInfo, TextLookup, docs_store_texts
from xqg_bench.perturb.registry import query_answers, query_lang

if TYPE_CHECKING:
    from ir_measures import Qrel

DEFAULT_DATASET = "xqg-bench:mini/dev"


class QuerySet(NamedTuple):
    dataset_id: str
    docs: DocSequence  # streamed where the corpus allows (XOR-TyDi), loaded once otherwise
    queries: list[QueryInfo]
    texts: dict[str, str]  # query id -> question text
    qrels: list[Qrel] | None  # ir-measures' records
    fingerprint: str
    store: object  # the dataset's docs_store (passage texts for R@kt without holding the corpus)

    def text_lookup(self) -> TextLookup:
        lookup = docs_store_texts(self.store)

        def texts(doc_ids: Sequence[str]) -> list[str]:
            try:
                return lookup(doc_ids)
            except KeyError as e:
                raise KeyError(f"{e.args[0]} (corpus of {self.dataset_id})") from None

        return texts

    def check_ids(self, path: str, kind: str, pairs: Sequence[tuple[str, str]], allow_extra: bool = False) -> None:
        """Fail naming file, line and ID when a run or qrels file holds a query or doc id this set lacks."""
        from xqg_bench.core.textfile import check_ids

        def known_queries(ids: list[str]) -> set[str]:
            return {q for q in ids if q in self.texts}

        def known_docs(ids: list[str]) -> set[str]:
            return set(self.store.get_many(ids))

        check_ids(path, kind, pairs, known_queries, known_docs, self.dataset_id, allow_extra)

    def check_run(self, path: str, rankings: dict[str, list[tuple[str, float]]], allow_extra: bool = False) -> None:
        self.check_ids(path, "run", [(q, d) for q, ranked in rankings.items() for d, _s in ranked], allow_extra)


def load_query_set(dataset_id: str) -> QuerySet:
    """Docs (streamed where possible), queries (with lang and answers) and qrels of an ir_datasets ID."""
    from xqg_bench.datasets import load_dataset

    ds = load_dataset(dataset_id)
    if not ds.has_docs() or not ds.has_queries():
        raise ValueError(f"{dataset_id!r} needs docs and queries; use a query set such as {DEFAULT_DATASET!r}")
    from ir_measures import Qrel

    docs = DocSequence(ds.docs_handler())
    queries, texts = [], {}
    for q in ds.queries_iter():
        lang = query_lang(q, ds.queries_handler(), dataset_id)  # its lang field or the set's queries_lang()
        if not q.text.strip():
            raise ValueError(
                f"{dataset_id}: query {q.query_id} is empty or whitespace only; a dense encoder cannot search it "
                "(fix the query file, or drop the query from the set)"
            )
        queries.append(QueryInfo(q.query_id, lang, query_answers(q)))
        texts[q.query_id] = q.text
    qrels = [Qrel(r.query_id, r.doc_id, int(r.relevance)) for r in ds.qrels_iter()] if ds.has_qrels() else None
    return QuerySet(dataset_id, docs, queries, texts, qrels, fingerprint(docs, queries, texts, qrels), ds.docs_store())


def fingerprint(
    docs: DocSequence, queries: Sequence[QueryInfo], texts: dict[str, str], qrels: list[Qrel] | None
) -> str:
    return fingerprint_lines(
        [f"docs\t{docs.fingerprint()}"]
        + [f"{q.query_id}\t{q.lang}\t{texts[q.query_id]}\t{'|'.join(q.answers)}" for q in queries]
        + [f"{r.query_id}\t{r.doc_id}\t{r.relevance}" for r in sorted(qrels or [])]
    )
