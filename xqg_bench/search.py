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
    """``FaissSearcher(index_dir, <our query encoder>)``, after checking that the index directory is
    whole (as many doc ids as vectors) and holds vectors of the encoder's dimension."""
    import os

    for name in ("index", "docid"):
        if not os.path.isfile(os.path.join(index_dir, name)):
            raise ValueError(f"{index_dir} is not a FAISS index directory: {name} is missing")
    try:
        searcher = pyserini_faiss().FaissSearcher(index_dir, query_encoder(encoder))
    except AssertionError:  # Pyserini asserts len(docid) == index.ntotal, without a message
        import faiss

        with open(os.path.join(index_dir, "docid"), "rb") as f:
            n_ids = sum(1 for _ in f)
        n_vecs = faiss.read_index(os.path.join(index_dir, "index"), faiss.IO_FLAG_MMAP).ntotal
        raise ValueError(
            f"{index_dir}: docid lists {n_ids} doc ids but index holds {n_vecs} vectors; the index directory is "
            "damaged or mixed from two builds: delete it and rebuild"
        ) from None
    dim = getattr(encoder, "dim", None)
    if dim is not None and searcher.dimension != dim:
        raise ValueError(
            f"{index_dir} holds {searcher.dimension}-dimensional vectors but encoder {encoder.spec} gives {dim}; "
            "search with the encoder the index was built with (see its meta.json)"
        )
    return searcher


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
    empty = [q for q, t in zip(query_ids, query_texts, strict=True) if not t.strip()]
    if empty:
        raise ValueError(f"query {empty[0]} is empty or whitespace only ({len(empty)} such queries): cannot search it")
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
