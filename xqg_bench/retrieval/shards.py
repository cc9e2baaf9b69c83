"""A flat index in shards, searched shard by shard and merged exactly: search beyond one node's RAM.

``write_sharded_index`` cuts the passage-embedding cache (``shard-*.npy`` + ``meta.json``) into
``parts`` contiguous row ranges, each a complete Pyserini-layout index directory
(``part-00000/index``, ``docid``, ``meta.json``: Pyserini's ``FaissSearcher`` opens any one of
them); ``meta.json`` at the top names the parts and their first rows.  ``search_sharded`` encodes
the queries once, searches one part at a time (only that part's vectors are in memory: the peak is
the largest part, not the corpus) and merges the per-part top-k exactly.

Exactness: every part returns its own top-k by the harness's order — score, and across an exact
tie at rank k, docid (``search.exact_topk``; the unsharded search cuts ties the same way) — so the
global top-k by that order is among the parts' hits, and ``merge_topk`` picks it.  Parts are cut at
multiples of FAISS's database block (``faiss.cvar.distance_compute_blas_database_bs``, 1024 rows by
default): each part then hands BLAS the very blocks the single index does, so every score is the
same float, bit for bit.  Tested to give byte-identical TREC runs to the single index.  The parts
are independent: on a cluster, each worker searches its parts (``search_part``) and one process
merges (``merge_topk``).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Sequence, Sized

import numpy as np
from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.core.atomic import atomic_dir, atomic_write_json
from xqg_bench.core.signature import cache_key, make_signature
from xqg_bench.core.spec import DEFAULT_DEPTH, DEFAULT_SHARD_SIZE, DEFAULT_THREADS
from xqg_bench.core.textfile import LineFile
from xqg_bench.encoders.base import Encoder
from xqg_bench.retrieval.index import INDEX_FORMAT, build_index, encode_corpus, index_fields, load_vectors
from xqg_bench.retrieval.search import Rankings, check_queries, exact_topk, search, select_topk

SHARDED_FORMAT = "xqg-bench-sharded-flat-ip-v1"


def write_sharded_index(index_dir: str, emb_dir: str, doc_ids: Iterable[str], parts: int, meta: dict) -> dict:
    """Write ``parts`` flat inner-product indexes over consecutive rows of the embedding cache
    ``emb_dir`` (streamed: one cache shard at a time; memory = one part's index)."""
    import faiss

    with open(os.path.join(emb_dir, "meta.json"), encoding="utf-8") as f:
        emeta = json.load(f)
    n, dim = int(emeta["count"]), int(emeta["dim"])
    if isinstance(doc_ids, Sized) and len(doc_ids) != n:
        raise ValueError(f"{len(doc_ids)} doc ids for {n} embeddings in {emb_dir}")
    block = int(faiss.cvar.distance_compute_blas_database_bs)
    blocks = -(-n // block)
    if not 1 <= parts <= max(1, blocks):
        raise ValueError(
            f"parts must be in [1, {blocks}]: whole blocks of {block} rows (FAISS search blocks), got {parts}"
        )
    bounds = [min(n, round(i * blocks / parts) * block) for i in range(parts + 1)]
    ids = iter(doc_ids)  # read once, part by part (no list of every id)
    shard = 0
    pending = np.zeros((0, dim), np.float32)
    with atomic_dir(index_dir) as tmp:
        for p in range(parts):
            start, stop = bounds[p], bounds[p + 1]
            index = faiss.IndexFlatIP(dim)
            while index.ntotal < stop - start:
                if not len(pending):
                    pending = load_vectors(os.path.join(emb_dir, f"shard-{shard:05d}.npy"), dim)
                    shard += 1
                take = min(len(pending), stop - start - index.ntotal)
                index.add(np.ascontiguousarray(pending[:take], dtype=np.float32))
                pending = pending[take:]
            part_dir = os.path.join(tmp, f"part-{p:05d}")
            os.makedirs(part_dir)
            faiss.write_index(index, os.path.join(part_dir, "index"))
            part_ids = list(itertools.islice(ids, stop - start))  # one part's ids at a time
            if len(part_ids) != stop - start:
                raise ValueError(f"{start + len(part_ids)} doc ids for {n} embeddings in {emb_dir}")
            with open(os.path.join(part_dir, "docid"), "w", encoding="utf-8") as f:
                f.writelines(f"{d}\n" for d in part_ids)
            del part_ids
            atomic_write_json(
                os.path.join(part_dir, "meta.json"),
                {**meta, "format": INDEX_FORMAT, "count": stop - start, "dim": dim, "part": p, "first_row": start},
            )
        if next(ids, None) is not None:
            raise ValueError(f"more doc ids than the {n} embeddings in {emb_dir}")
        top = {**meta, "format": SHARDED_FORMAT, "count": n, "dim": dim, "parts": parts, "first_rows": bounds[:-1]}
        top["block"] = block
        atomic_write_json(os.path.join(tmp, "meta.json"), top)
    return top


def search_part(
    part_dir: str,
    queries: np.ndarray,
    k: int,
    threads: int = DEFAULT_THREADS,
    docids: Sequence[str] | None = None,
    block: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, local rows) of one part's top ``k`` (ties at the cut by docid), with ``search``'s FAISS settings
    and FAISS searching in database blocks of ``block`` rows (the block the index was cut in; default: as set)."""
    import faiss

    index = faiss.read_index(os.path.join(part_dir, "index"))
    if docids is None:
        docids = LineFile(os.path.join(part_dir, "docid"))
    threads_before, blas_before = faiss.omp_get_max_threads(), faiss.cvar.distance_compute_blas_threshold
    block_before = faiss.cvar.distance_compute_blas_database_bs
    faiss.omp_set_num_threads(threads)
    faiss.cvar.distance_compute_blas_threshold = 0
    if block is not None:
        faiss.cvar.distance_compute_blas_database_bs = block
    try:
        return exact_topk(index, queries, min(k, index.ntotal), docids)
    finally:
        faiss.omp_set_num_threads(threads_before)
        faiss.cvar.distance_compute_blas_threshold = blas_before
        faiss.cvar.distance_compute_blas_database_bs = block_before


def merge_topk(
    results: Sequence[tuple[np.ndarray, np.ndarray]], first_rows: Sequence[int], k: int, docids: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Merge per-part (scores, local rows) into the global top ``k``: by score, an exact tie at rank k
    cut by docid (``docids``: global row -> docid); ``-1`` rows (no hit) last."""
    scores = np.concatenate([s for s, _r in results], axis=1)
    rows = np.concatenate([np.where(r >= 0, r + off, -1) for (_s, r), off in zip(results, first_rows, strict=True)], 1)
    return select_topk(scores, rows, docids, k)


class PartIds(Sequence[str]):
    """Global row -> doc id over the parts' ``docid`` files (each a ``LineFile``: no string per id held),
    indexable by a row or an array of rows, as ``Rankings`` and ``select_topk`` index doc ids."""

    def __init__(self, parts: Sequence[LineFile], first_rows: Sequence[int]) -> None:
        self.parts = list(parts)
        self.first_rows = np.array(first_rows, dtype=np.int64)
        self.count = int(self.first_rows[-1]) + len(self.parts[-1]) if self.parts else 0

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i):  # type: ignore[no-untyped-def, override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if isinstance(i, np.ndarray):
            out = np.empty(i.shape, dtype=object)
            out.flat[:] = [self[j] for j in i.ravel().tolist()]
            return out
        j = int(i) + (len(self) if int(i) < 0 else 0)
        if not 0 <= j < len(self):
            raise IndexError(f"row {i} out of range for {len(self)} rows")
        p = int(np.searchsorted(self.first_rows, j, side="right")) - 1
        return self.parts[p][j - int(self.first_rows[p])]


def search_sharded(
    index_dir: str,
    encoder: Encoder,
    query_ids: Sequence[str],
    query_texts: Sequence[str],
    depth: int = DEFAULT_DEPTH,
    threads: int = DEFAULT_THREADS,
    batch_size: int = 4096,
    ray: bool = False,
    ray_address: str | None = None,
) -> Rankings:
    """Rankings per query id as ``search.search`` returns them on the unsharded index.  Parts are searched one
    after the other in this process, or with ``ray`` as Ray tasks (one CPU each; a local Ray instance unless
    ``ray_address`` names a cluster whose workers see ``index_dir``), then merged here, exactly."""
    check_queries(query_ids, query_texts)
    with open(os.path.join(index_dir, "meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    if meta.get("format") != SHARDED_FORMAT:
        raise ValueError(f"{index_dir} is not a sharded index (meta.json format {meta.get('format')!r})")
    if encoder.dim != meta["dim"]:
        raise ValueError(f"{index_dir} holds {meta['dim']}-dimensional vectors but {encoder.spec} gives {encoder.dim}")
    part_dirs = [os.path.join(index_dir, f"part-{p:05d}") for p in range(meta["parts"])]
    k = min(depth, meta["count"])
    q = np.ascontiguousarray(encoder.encode_queries(list(query_texts)), dtype=np.float32)
    part_ids = [LineFile(os.path.join(d, "docid")) for d in part_dirs]
    docid_array = PartIds(part_ids, meta["first_rows"])
    if ray:
        per_part = _search_parts_on_ray(part_dirs, q, k, threads, meta["block"], ray_address)
    else:  # one part's vectors in memory at a time
        per_part = [
            search_part(d, q, k, threads, ids, meta["block"]) for d, ids in zip(part_dirs, part_ids, strict=True)
        ]
    out = Rankings(docid_array)
    for start in range(0, len(query_ids), batch_size):
        sl = slice(start, start + batch_size)
        scores, rows = merge_topk([(s[sl], r[sl]) for s, r in per_part], meta["first_rows"], k, docid_array)
        out.add(list(query_ids[sl]), scores, rows)
    return out


def _search_parts_on_ray(
    part_dirs: Sequence[str], queries: np.ndarray, k: int, threads: int, block: int, address: str | None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``search_part`` of every part as a Ray task, results in part order.  Each task runs FAISS with the
    ``threads`` of the local search: FAISS splits its BLAS blocks by thread, so another thread count gives
    scores that differ in the last bit (and can reorder near-ties).  Install with the ``ray`` extra:
    ``pip install -e '.[ray]'``."""
    import ray

    if not ray.is_initialized():
        if address:
            ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
        else:
            ray.init(
                num_cpus=os.cpu_count() or 1, ignore_reinit_error=True, log_to_driver=False, include_dashboard=False
            )
    task = ray.remote(num_cpus=1)(search_part)
    q = ray.put(queries)
    return ray.get([task.remote(d, q, k, threads, None, block) for d in part_dirs])


def sharded_index(
    encoder: Encoder, docs: Sequence[DprW100Doc], cache_root: str, parts: int, shard_size: int, progress: bool = True
) -> str:
    """The encoder's passage embeddings (cached, as for the main run) as a ``parts``-part flat index under
    ``cache_root/sharded/<key>``, reused when its meta.json and every part are in place."""
    emb_dir = encode_corpus(encoder, docs, cache_root, shard_size, progress)
    sig = make_signature({**index_fields(encoder.spec, os.path.basename(emb_dir), "Flat"), "parts": str(parts)})
    index_dir = os.path.join(cache_root, "sharded", cache_key(sig))
    meta_path = os.path.join(index_dir, "meta.json")
    if os.path.exists(meta_path):
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
        names = ("index", "docid", "meta.json")
        whole = all(os.path.isfile(os.path.join(index_dir, f"part-{p:05d}", n)) for p in range(parts) for n in names)
        if meta.get("signature") == sig and meta.get("parts") == parts and whole:
            return index_dir
    write_sharded_index(
        index_dir, emb_dir, (d.doc_id for d in docs), parts, {"signature": sig, "encoder": encoder.spec}
    )
    return index_dir


def search_corpus(
    encoder: Encoder,
    docs: Sequence[DprW100Doc],
    query_ids: Sequence[str],
    query_texts: Sequence[str],
    cache_root: str,
    parts: int = 1,
    depth: int = DEFAULT_DEPTH,
    shard_size: int = DEFAULT_SHARD_SIZE,
    ray: bool = False,
    ray_address: str | None = None,
    progress: bool = True,
) -> Rankings:
    """The encoder's rankings of the queries over ``docs``: on the whole index the main run builds
    (``parts`` 1), or on a ``parts``-part index searched part by part (``ray``: as Ray tasks) and merged
    exactly; the same rankings either way."""
    if parts == 1:
        if ray:
            raise ValueError("--ray searches the parts of a sharded index: give --parts 2 or more")
        return search(
            build_index(encoder, docs, cache_root, shard_size, progress).path,
            encoder,
            query_ids,
            query_texts,
            depth=depth,
            progress=progress,
        )
    index_dir = sharded_index(encoder, docs, cache_root, parts, shard_size, progress)
    return search_sharded(index_dir, encoder, query_ids, query_texts, depth, ray=ray, ray_address=ray_address)
