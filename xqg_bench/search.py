"""Dense search through Pyserini's ``FaissSearcher`` with our query encoders."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from xqg_bench.encoders.base import Encoder
from xqg_bench.jvm import pyserini_encode, pyserini_faiss

Ranking = list[tuple[str, float]]


def query_encoder(encoder: Encoder):  # type: ignore[no-untyped-def]
    """A ``pyserini.encode.QueryEncoder`` wrapping one of our encoders (``encode``/``encode_batch``)."""
    base = pyserini_encode().QueryEncoder

    class XqgQueryEncoder(base):  # type: ignore[misc, valid-type]
        def __init__(self, inner: Encoder) -> None:
            super().__init__()
            self.inner = inner
            self.has_model = True

        def encode(self, query: str, **kwargs: object) -> np.ndarray:
            return self.inner.encode_queries([query])[0]

        def encode_batch(self, queries: Sequence[str]) -> np.ndarray:
            return self.inner.encode_queries(list(queries))

    return XqgQueryEncoder(encoder)


def faiss_searcher(index_dir: str, encoder: Encoder):  # type: ignore[no-untyped-def]
    """``FaissSearcher(index_dir, <our query encoder>)``."""
    return pyserini_faiss().FaissSearcher(index_dir, query_encoder(encoder))


def search(
    index_dir: str,
    encoder: Encoder,
    query_ids: Sequence[str],
    query_texts: Sequence[str],
    depth: int = 100,
    threads: int = 2,
    batch_size: int = 256,
    progress: bool = True,
) -> dict[str, Ranking]:
    """Rankings per query id, ties broken by (-score, docid)."""
    from tqdm.auto import tqdm

    if len(query_ids) != len(set(query_ids)):
        raise ValueError("duplicate query ids in the query set")
    searcher = faiss_searcher(index_dir, encoder)
    k = min(depth, searcher.num_docs)
    out: dict[str, Ranking] = {}
    with tqdm(total=len(query_ids), desc="search", unit="q", disable=not progress) as bar:
        for start in range(0, len(query_ids), batch_size):
            ids = list(query_ids[start : start + batch_size])
            texts = list(query_texts[start : start + batch_size])
            hits = searcher.batch_search(texts, ids, k=k, threads=threads)
            for qid in ids:
                ranking = [(h.docid, float(h.score)) for h in hits[qid]]
                ranking.sort(key=lambda x: (-x[1], x[0]))
                out[qid] = ranking
            bar.update(len(ids))
    return out
