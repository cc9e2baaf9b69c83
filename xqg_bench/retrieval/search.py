"""Dense search through Pyserini's ``FaissSearcher`` with our query encoders.

``faiss_searcher`` returns a ``FaissSearcher`` subclass: Pyserini loads the index and docids and
``search``/``batch_search`` behave exactly as Pyserini's.  Runs are scored from its
``batch_search_arrays`` (the same FAISS call on the same query vectors, without one Python result
object per hit), which keeps the searcher within a few percent of raw FAISS.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from xqg_bench.core.atomic import load_npy_checked, save_npy_checked
from xqg_bench.core.jvm import pyserini_encode, pyserini_faiss
from xqg_bench.core.spec import DEFAULT_DEPTH, DEFAULT_THREADS
from xqg_bench.core.textfile import LineFile
from xqg_bench.encoders.base import Encoder

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


def _searcher_class():  # type: ignore[no-untyped-def]
    import faiss

    base = pyserini_faiss().FaissSearcher

    class XqgFaissSearcher(base):  # type: ignore[misc, valid-type]
        """Pyserini's FaissSearcher plus an array-returning batch search."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.docid_array = self.docids  # row -> docid, also for arrays of rows (the top-k hits)

        @staticmethod
        def load_docids(docid_path: str) -> LineFile:  # type: ignore[override]
            """The docid file as Pyserini reads it, memory-mapped: a string only for the rows looked up."""
            return LineFile(docid_path)

        def batch_search_arrays(self, queries: Sequence[str], k: int, threads: int) -> tuple[np.ndarray, np.ndarray]:
            """(scores, rows) of ``index.search`` on the encoded queries, as ``batch_search`` computes them,
            with FAISS's matrix-multiply kernel for any number of queries.  (FAISS >= 1.15 picks its
            brute-force kernel by queries x dimension; the other kernel is ~8x slower at k=100 here.)
            FAISS's settings are restored afterwards (Pyserini's ``batch_search`` leaves threads changed)."""
            return self.search_vectors(self.query_encoder.encode_batch(list(queries)), k, threads)

        def search_vectors(self, vectors: np.ndarray, k: int, threads: int) -> tuple[np.ndarray, np.ndarray]:
            """(scores, rows) of ``index.search`` on query vectors, as ``batch_search_arrays`` computes them;
            exactly tied scores at rank k are cut by docid (``exact_topk``), not by FAISS's heap order."""
            q = np.ascontiguousarray(vectors, dtype=np.float32)
            threads_before, blas_before = faiss.omp_get_max_threads(), faiss.cvar.distance_compute_blas_threshold
            faiss.omp_set_num_threads(threads)
            faiss.cvar.distance_compute_blas_threshold = 0
            try:
                return exact_topk(self.index, q, k, self.docid_array)
            finally:
                faiss.omp_set_num_threads(threads_before)
                faiss.cvar.distance_compute_blas_threshold = blas_before

    return XqgFaissSearcher


TIE_PAD = 16  # extra hits fetched so that a tie group at rank k is seen whole (more fetched when it is longer)


def exact_topk(index, queries: np.ndarray, k: int, docids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """``index.search(queries, k)``, except that exactly tied scores across rank k are cut by docid
    (the harness's (-score, docid) order) instead of by the order FAISS's heap met the rows, which
    depends on how the corpus is split.  Hits stay in FAISS's score order otherwise."""
    n = int(index.ntotal)
    kk = min(n, k + TIE_PAD)
    while True:
        scores, rows = index.search(queries, kk)
        tied = (scores[:, kk - 1] == scores[:, k - 1]) & (rows[:, kk - 1] >= 0)  # a real hit tied with rank k
        if kk >= n or kk == k or not tied.any():
            break
        kk = min(n, 2 * kk)
    return select_topk(scores, rows, docids, k)


def select_topk(scores: np.ndarray, rows: np.ndarray, docids: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``k`` of candidate hits (each row's candidates hold any tie group at rank k whole):
    by score, and across an exact tie at rank k by docid; ``-1`` rows (no hit) last."""
    missing = rows < 0
    order = np.argsort(np.where(missing, np.inf, -scores.astype(np.float64)), axis=1, kind="stable")
    scores, rows = np.take_along_axis(scores, order, 1), np.take_along_axis(rows, order, 1)
    if scores.shape[1] > k:
        tied = np.flatnonzero((scores[:, k - 1] == scores[:, k]) & (rows[:, k] >= 0))
        for i in tied.tolist():
            s = scores[i, k - 1]
            group = np.flatnonzero((scores[i] == s) & (rows[i] >= 0))
            ranked = sorted(rows[i, group].tolist(), key=lambda r: docids[r])
            rows[i, group] = ranked  # the tie group in docid order: the first ones make the cut
    return np.ascontiguousarray(scores[:, :k]), np.ascontiguousarray(rows[:, :k])


def faiss_searcher(index_dir: str, encoder: Encoder):  # type: ignore[no-untyped-def]
    """A ``FaissSearcher(index_dir, <our query encoder>)``, after checking that the index directory is
    whole (as many doc ids as vectors) and holds vectors of the encoder's dimension."""
    import os

    for name in ("index", "docid"):
        if not os.path.isfile(os.path.join(index_dir, name)):
            raise ValueError(f"{index_dir} is not a FAISS index directory: {name} is missing")
    try:
        searcher = _searcher_class()(index_dir, query_encoder(encoder))
    except RuntimeError as e:  # FAISS cannot read the index file (truncated, not an index)
        first = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        raise ValueError(
            f"{os.path.join(index_dir, 'index')} is not a readable FAISS index ({first[:200]}); the index directory "
            "is damaged: delete it and rebuild"
        ) from None
    except UnicodeDecodeError:
        docid = os.path.join(index_dir, "docid")
        raise ValueError(f"{docid} is not UTF-8 text; the index directory is damaged: delete it and rebuild") from None
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
    index_dir: str, encoder: Encoder, query_ids: Sequence[str], query_texts: Sequence[str], **options: Any
) -> Rankings:
    """Rankings per query id, ties broken by (-score, docid); ``options`` as ``search_with``."""
    check_queries(query_ids, query_texts)  # before the index is opened
    return search_with(faiss_searcher(index_dir, encoder), query_ids, query_texts, **options)


SEARCH_CACHE_VERSION = "1"


def cached_search(
    index_dir: str,
    index_signature: str,
    encoder: Encoder,
    query_ids: Sequence[str],
    query_texts: Sequence[str],
    cache_root: str,
    depth: int = DEFAULT_DEPTH,
    **options: Any,
) -> Rankings:
    """``search``, with FAISS's (scores, rows) kept in ``cache_root/search/`` as checked ``.npy`` files,
    keyed by the index's signature, the query encoder (spec and weights), the depth, the FAISS version
    and every query id and text: a repeated search reads them back (verified) instead of searching."""
    import hashlib
    import os

    import faiss

    check_queries(query_ids, query_texts)
    h = hashlib.sha256(
        "\n".join(
            [f"search v{SEARCH_CACHE_VERSION}", index_signature, encoder.spec, encoder.fingerprint(), str(depth)]
            + [f"faiss {faiss.__version__}", ""]
        ).encode("utf-8")
    )
    for q, t in zip(query_ids, query_texts, strict=True):
        h.update(f"{q}\t{t}\x00".encode())
    where = os.path.join(cache_root, "search", h.hexdigest()[:32])
    paths = os.path.join(where, "scores.npy"), os.path.join(where, "rows.npy")
    scores, rows = (load_npy_checked(p) for p in paths)
    if scores is not None and rows is not None and scores.shape == rows.shape and len(scores) == len(query_ids):
        docids = LineFile(os.path.join(index_dir, "docid"))
        if rows.max(initial=-1) < len(docids):
            out = Rankings(docids)
            out.add(query_ids, scores, rows)
            return out
    out = search(index_dir, encoder, query_ids, query_texts, depth=depth, **options)
    os.makedirs(where, exist_ok=True)
    for path, arr in zip(paths, out.arrays(), strict=True):
        save_npy_checked(path, arr)
    return out


def check_queries(query_ids: Sequence[str], query_texts: Sequence[str]) -> None:
    if len(query_ids) != len(set(query_ids)):
        raise ValueError("duplicate query ids in the query set")
    empty = [q for q, t in zip(query_ids, query_texts, strict=True) if not t.strip()]
    if empty:
        raise ValueError(f"query {empty[0]} is empty or whitespace only ({len(empty)} such queries): cannot search it")


def search_with(  # type: ignore[no-untyped-def]
    searcher,
    query_ids: Sequence[str],
    query_texts: Sequence[str],
    depth: int = DEFAULT_DEPTH,
    threads: int = DEFAULT_THREADS,
    batch_size: int = 4096,
    progress: bool = True,
) -> Rankings:
    """Search on an open ``faiss_searcher``: the top ``depth`` hits of every query, with ``threads``
    FAISS threads, in batches of ``batch_size`` queries (FAISS's own block size)."""
    from tqdm.auto import tqdm

    check_queries(query_ids, query_texts)
    k = min(depth, searcher.num_docs)
    out = Rankings(searcher.docid_array)
    with tqdm(total=len(query_ids), desc="search", unit="q", disable=not progress) as bar:
        for start in range(0, len(query_ids), batch_size):
            ids = list(query_ids[start : start + batch_size])
            texts = list(query_texts[start : start + batch_size])
            scores, rows = searcher.batch_search_arrays(texts, k, threads)
            out.add(ids, scores, rows)
            bar.update(len(ids))
    return out


class Rankings(Mapping[str, Ranking]):
    """Rankings of a search, kept as FAISS's arrays: ``rankings[qid]`` builds that query's
    [(docid, score), ...] when read, ordered by (-score, docid).  FAISS returns hits by score, so
    only queries with tied scores are re-sorted; ``-1`` rows (no hit) are dropped, as Pyserini does."""

    def __init__(self, docids: Sequence[str]) -> None:
        self._docids = docids  # row -> docid: a LineFile or an object array (indexable by an array of rows)
        self._batches: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # scores, rows, in order
        self._where: dict[str, tuple[int, int]] = {}  # qid -> (batch, row)

    def add(self, query_ids: Sequence[str], scores: np.ndarray, rows: np.ndarray) -> None:
        in_order = np.all(scores[:, :-1] > scores[:, 1:], axis=1) & np.all(rows != -1, axis=1)
        b = len(self._batches)
        self._batches.append((scores, rows, in_order))
        self._where.update((qid, (b, i)) for i, qid in enumerate(query_ids))

    def __getitem__(self, qid: str) -> Ranking:
        b, i = self._where[qid]
        scores, rows, in_order = self._batches[b]
        hits = list(zip(self._docids[np.maximum(rows[i], 0)].tolist(), scores[i].tolist(), strict=True))
        if not in_order[i]:
            hits = [hit for hit, row in zip(hits, rows[i].tolist(), strict=True) if row != -1]
            hits.sort(key=lambda x: (-x[1], x[0]))
        return hits

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """FAISS's (scores, rows) of every query, in the order the queries were added."""
        if not self._batches:
            return np.zeros((0, 0), dtype=np.float32), np.zeros((0, 0), dtype=np.int64)
        return np.concatenate([b[0] for b in self._batches]), np.concatenate([b[1] for b in self._batches])

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)
