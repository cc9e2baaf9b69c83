"""Passage embeddings -> a FAISS inner-product index in Pyserini's layout.

An index directory holds ``index`` (faiss), ``docid`` (one id per line, the order of the index)
and ``meta.json`` (signature, encoder, count, dimension, docid fingerprint), so
``pyserini.search.faiss.FaissSearcher(index_dir, query_encoder)`` opens it as is.

Encoding runs in shards of ``shard_size`` passages, each written atomically as a ``.npy``; a
killed job resumes from the shards already on disk and the merged result is the same.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Iterable, Sequence, Sized
from typing import NamedTuple

import numpy as np
from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.core.atomic import (
    CHECKSUM_SUFFIX,
    atomic_dir,
    atomic_write_json,
    discard,
    file_sha256,
    is_complete,
    job_dir,
    load_npy_checked,
    read_json,
    refuse_symlink,
    save_npy_checked,
    settle_meta,
)
from xqg_bench.core.signature import cache_key, fingerprint_lines, make_signature
from xqg_bench.core.spec import DEFAULT_INDEX_TYPE, DEFAULT_SHARD_SIZE, Check, Param
from xqg_bench.core.stages import stage
from xqg_bench.core.textfile import LineFile
from xqg_bench.datasets.docs import docs_fingerprint
from xqg_bench.encoders.base import Encoder

INDEX_FORMAT = "pyserini-faiss-flat-ip-v1"


class IndexInfo(NamedTuple):
    path: str
    signature: str
    count: int
    dim: int


def embedding_signature(encoder: Encoder, docs: Sequence[DprW100Doc], shard_size: int) -> str:
    content = docs_fingerprint(docs)
    return make_signature(
        {
            "encoder": encoder.spec,
            "weights": encoder.fingerprint()[:16],
            "docs": content[:16],
            "n": len(docs),
            "text": "title+text",
            "shard": shard_size,
        }
    )


def encode_corpus(
    encoder: Encoder,
    docs: Sequence[DprW100Doc],
    cache_root: str,
    shard_size: int = DEFAULT_SHARD_SIZE,
    progress: bool = True,
    num_shards: int = 1,
    shard_id: int = 0,
) -> str:
    """Encode ``docs`` into ``cache_root/embeddings/<key>/shard-*.npy``; resume where shards exist.

    With ``num_shards``/``shard_id`` a job encodes only shards ``i % num_shards == shard_id`` (one
    job per GPU); ``meta.json`` is written by whichever job sees every shard present (merge).
    """
    from tqdm.auto import tqdm

    sig = embedding_signature(encoder, docs, shard_size)
    out = os.path.join(cache_root, "embeddings", cache_key(sig))
    job_dir(out)
    n_shards = (len(docs) + shard_size - 1) // shard_size
    if num_shards < 1 or not 0 <= shard_id < num_shards:
        raise ValueError(f"--shard-id must be in [0, {num_shards}), got {shard_id}")
    mine = [i for i in range(n_shards) if i % num_shards == shard_id]
    todo = [i for i in mine if not is_complete(os.path.join(out, f"shard-{i:05d}.npy"))]

    def size(i: int) -> int:
        return len(docs[i * shard_size : (i + 1) * shard_size])

    with tqdm(
        total=sum(size(i) for i in mine),
        initial=sum(size(i) for i in mine if i not in todo),
        desc="encode passages",
        unit="psg",
        disable=not progress,
    ) as bar:
        for i in todo:
            vecs = encoder.encode_passages(docs[i * shard_size : (i + 1) * shard_size])
            save_npy_checked(os.path.join(out, f"shard-{i:05d}.npy"), vecs)
            bar.update(size(i))
    meta_path = os.path.join(out, "meta.json")
    complete = (not todo and num_shards == 1) or all(
        os.path.exists(os.path.join(out, f"shard-{i:05d}.npy{CHECKSUM_SUFFIX}")) for i in range(n_shards)
    )
    meta = {"signature": sig, "count": len(docs), "dim": encoder.dim, "shards": n_shards}
    settle_meta(meta_path, meta, complete)
    return out


def load_vectors(path: str, dim: int, ndim: int = 2) -> np.ndarray:
    """A ``.npy`` of embeddings checked against the checksum recorded when it was written and to have
    ``ndim`` axes, the last of size ``dim``; else ValueError naming the file and the fix."""
    arr = load_npy_checked(path)
    if arr is None:
        raise ValueError(
            f"{path} is missing or damaged (no matching {CHECKSUM_SUFFIX}); rerun the command: it is rebuilt"
        )
    if arr.ndim != ndim or arr.shape[-1] != dim:
        want = "(" + "n, " * (ndim - 1) + f"{dim})"
        raise ValueError(
            f"{path}: embeddings of shape {arr.shape}, expected {want} (wrong embedding dimension or a file from "
            f"another job); the cache is damaged: delete {os.path.dirname(path)} and rerun"
        )
    return arr


def load_embeddings(emb_dir: str) -> np.ndarray:
    path = os.path.join(emb_dir, "meta.json")
    if not os.path.exists(path):
        missing = sorted(f for f in os.listdir(emb_dir) if f.endswith(".npy"))
        raise FileNotFoundError(
            f"{path} missing: not every shard is encoded yet ({len(missing)} present); run the remaining "
            "--shard-id jobs, then merge"
        )
    meta = read_json(path)
    parts = [load_vectors(os.path.join(emb_dir, f"shard-{i:05d}.npy"), meta["dim"]) for i in range(meta["shards"])]
    arr = np.concatenate(parts) if parts else np.zeros((0, meta["dim"]), dtype=np.float32)
    if arr.shape != (meta["count"], meta["dim"]):
        raise RuntimeError(f"{emb_dir}: embeddings have shape {arr.shape}, meta says {(meta['count'], meta['dim'])}")
    return arr


def _faiss_index(embeddings: np.ndarray, index_type: str):  # type: ignore[no-untyped-def]
    """An inner-product FAISS index from a ``faiss.index_factory`` string (``Flat``, ``IVF4096,PQ96``,
    ``HNSW32``, ...), trained where needed on an evenly spaced (deterministic) sample."""
    import faiss

    dim = int(embeddings.shape[1])
    if index_type == DEFAULT_INDEX_TYPE:
        return faiss.IndexFlatIP(dim)
    try:
        index = faiss.index_factory(dim, index_type, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as e:
        raise ValueError(f"bad FAISS index type {index_type!r} ({e}); e.g. Flat, IVF4096,PQ96, HNSW32") from None
    if not index.is_trained:
        step = max(1, len(embeddings) // 200_000)
        sample = np.ascontiguousarray(embeddings[::step], dtype=np.float32)
        try:
            index.train(sample)
        except RuntimeError as e:
            raise ValueError(f"cannot train {index_type!r} on {len(sample)} vectors ({e}); use fewer lists") from None
    return index


# The index type, declared once (the command line's --index-type; checked by check_index_type).
INDEX_TYPE = Param(
    str,
    DEFAULT_INDEX_TYPE,
    "FAISS index, a faiss.index_factory string (inner product): Flat (exact), IVF4096,PQ96, HNSW32",
    check=Check(lambda t: bool(t.strip()) and "IDMap" not in t, "a faiss.index_factory string without IDMap"),
)


def _last_line(e: Exception) -> str:
    """The last line of a FAISS error (its message; the lines before are a C++ trace), cut to 160 characters."""
    text = str(e).strip()
    return text.splitlines()[-1][:160] if text else ""


def check_index_type(index_type: str, dim: int, n: int) -> None:
    """Refuse, before any encoding, an index type FAISS cannot parse or build for ``n`` vectors of ``dim``
    dimensions: parsed, then trained and filled on a small random sample (ValueError with the fix)."""
    import faiss

    if not INDEX_TYPE.check(index_type):  # type: ignore[misc]
        raise ValueError(
            f"--index-type {index_type!r} is not supported: the docid file maps rows to doc ids (no IDMap); "
            "use a faiss.index_factory string such as Flat, IVF256,Flat, HNSW32, IVF4096,PQ96"
        )
    if index_type == DEFAULT_INDEX_TYPE:
        return
    try:
        probe = faiss.index_factory(dim, index_type, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as e:
        raise ValueError(
            f"--index-type {index_type!r} is not a FAISS index type for {dim}-dimensional vectors ({_last_line(e)}); "
            "e.g. Flat, IVF256,Flat, HNSW32, IVF4096,PQ96"
        ) from None
    ivf = faiss.try_extract_index_ivf(probe)
    if ivf is not None and ivf.nlist > n:
        raise ValueError(
            f"--index-type {index_type!r} needs at least {ivf.nlist} vectors to train {ivf.nlist} lists, the corpus "
            f"has {n}: use fewer lists (e.g. IVF{max(1, n // 39)},Flat) or Flat"
        )
    sample_n = min(n, 2048)
    sample = np.random.default_rng(0).standard_normal((sample_n, dim)).astype(np.float32)
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:  # the probe is still untrained and empty: trained and filled on the sample
        if ivf is None or ivf.nlist <= sample_n:  # an IVF with more lists than the sample is trained for real later
            if not probe.is_trained:
                probe.train(sample)
            probe.add(sample[:16])
            probe.search(sample[:2], 1)
    except RuntimeError as e:
        raise ValueError(
            f"--index-type {index_type!r} cannot be built on {n} vectors of {dim} dimensions ({_last_line(e)}); "
            "use a smaller structure or Flat"
        ) from None
    finally:
        faiss.omp_set_num_threads(threads)


def write_index(
    index_dir: str, embeddings: np.ndarray, doc_ids: Sequence[str], meta: dict, index_type: str = DEFAULT_INDEX_TYPE
) -> IndexInfo:
    """Write an inner-product FAISS index + docid + meta.json atomically (whole directory); meta.json records
    the sha256 of ``index`` and of ``docid`` (``docids``)."""
    import faiss

    if len(doc_ids) != embeddings.shape[0]:
        raise ValueError(f"{len(doc_ids)} doc ids for {embeddings.shape[0]} embeddings")
    seen: set[str] = set()
    for d in doc_ids:
        if d in seen:
            raise ValueError(f"doc id {d!r} appears twice in the corpus: an index needs one vector per doc id")
        seen.add(d)
    bad = [d for d in doc_ids if not d or any(c.isspace() for c in d)]
    if bad:
        raise ValueError(f"doc id {bad[0]!r} is empty or contains whitespace; TREC runs cannot carry it")
    dim = int(embeddings.shape[1])
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # deterministic training and adding
    try:
        index = _faiss_index(embeddings, index_type)
        index.add(np.ascontiguousarray(embeddings, dtype=np.float32))
    finally:
        faiss.omp_set_num_threads(threads)  # do not change how later searches in this process run
    meta = dict(
        meta, format=INDEX_FORMAT, index_type=index_type, count=len(doc_ids), dim=dim, docids=fingerprint_lines(doc_ids)
    )
    with atomic_dir(index_dir) as tmp:
        faiss.write_index(index, os.path.join(tmp, "index"))
        meta["index_sha256"] = file_sha256(os.path.join(tmp, "index"))  # checked whenever the index is reused
        with open(os.path.join(tmp, "docid"), "w", encoding="utf-8") as f:
            f.writelines(f"{d}\n" for d in doc_ids)
        atomic_write_json(os.path.join(tmp, "meta.json"), meta)
    return IndexInfo(index_dir, meta["signature"], len(doc_ids), dim)


def index_fields(encoder_spec: str, vectors_key: str, index_type: str) -> dict[str, str]:
    fields = {"index": INDEX_FORMAT, "encoder": encoder_spec, "emb": vectors_key}
    if index_type != DEFAULT_INDEX_TYPE:
        fields["type"] = index_type.replace("|", "/")
    return fields


def read_index_meta(index_dir: str) -> dict:
    path = os.path.join(index_dir, "meta.json")
    try:
        meta = read_json(path, "index metadata")
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} not found: {index_dir} is not an xqg-bench index directory") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: index metadata is not a JSON object; the file is damaged")
    return meta


def cached_index(index_dir: str, signature: str) -> IndexInfo | None:
    """The index cached under ``index_dir`` if it was built for ``signature`` and its ``index`` and ``docid``
    files still have the checksums recorded in its meta.json; a damaged one is named on stderr, removed
    (rebuilt by the caller) and None returned."""
    for name in ("", "index", "docid", "meta.json"):
        refuse_symlink(os.path.join(index_dir, name) if name else index_dir)
    if not os.path.exists(os.path.join(index_dir, "meta.json")):
        return None
    try:
        meta = read_index_meta(index_dir)
        if meta.get("signature") != signature:
            return None
        for name, key in (("index", "index_sha256"), ("docid", "docids")):
            path = os.path.join(index_dir, name)
            if not os.path.isfile(path):
                raise ValueError(f"{path} is missing")
            if file_sha256(path) != meta.get(key):
                raise ValueError(f"{path}: content does not match the checksum in meta.json")
        return IndexInfo(index_dir, signature, int(meta["count"]), int(meta["dim"]))
    except (ValueError, KeyError, TypeError) as e:
        discard(os.path.join(index_dir, "meta.json"), f"damaged index ({e})")
        return None


def build_index(
    encoder: Encoder,
    docs: Sequence[DprW100Doc],
    cache_root: str,
    shard_size: int = DEFAULT_SHARD_SIZE,
    progress: bool = True,
    index_type: str = DEFAULT_INDEX_TYPE,
) -> IndexInfo:
    """Encode (or reuse cached shards) and index; reuse an existing index with the same signature."""
    emb_sig = embedding_signature(encoder, docs, shard_size)
    sig = make_signature(index_fields(encoder.spec, cache_key(emb_sig), index_type))
    index_dir = os.path.join(cache_root, "indexes", cache_key(sig))
    cached = cached_index(index_dir, sig)
    if cached is not None:
        return cached
    with stage("encode passages"):
        emb_dir = encode_corpus(encoder, docs, cache_root, shard_size, progress)
    meta = {"signature": sig, "encoder": encoder.spec}
    with stage("index"):
        return write_index_from_cache(index_dir, emb_dir, (d.doc_id for d in docs), meta, index_type)


def write_index_from_cache(
    index_dir: str, emb_dir: str, doc_ids: Iterable[str], meta: dict, index_type: str = DEFAULT_INDEX_TYPE
) -> IndexInfo:
    """``write_index`` over an embedding cache directory: streamed shard by shard (peak memory = the
    index + one shard, the same index file) except for HNSW, whose graph depends on how vectors are
    batched, so it is still built from the whole array as before."""
    if "HNSW" in index_type:
        ids = doc_ids if isinstance(doc_ids, Sequence) else list(doc_ids)
        return write_index(index_dir, load_embeddings(emb_dir), ids, meta, index_type)
    written = write_index_streamed(index_dir, emb_dir, doc_ids, meta, index_type)
    return IndexInfo(index_dir, written["signature"], written["count"], written["dim"])


ID_HASH_BLOCK = 1 << 16  # doc ids hashed at a time


def _id_hash(d: str) -> int:
    return int.from_bytes(hashlib.blake2b(d.encode("utf-8"), digest_size=8).digest(), "little")


def _write_docids(path: str, doc_ids: Iterable[str]) -> tuple[int, str, np.ndarray]:
    """Write ``doc_ids`` to ``path`` one a line in a single pass, holding no Python string per id: (count,
    ``fingerprint_lines`` of the ids, their 64-bit hashes).  An empty id or one with whitespace raises ValueError."""
    h = hashlib.sha256()
    blocks: list[np.ndarray] = []
    count = 0
    with open(path, "w", encoding="utf-8") as f:
        it = iter(doc_ids)
        while block := list(itertools.islice(it, ID_HASH_BLOCK)):
            bad = next((d for d in block if not d or any(c.isspace() for c in d)), None)
            if bad is not None:
                raise ValueError(f"doc id {bad!r} is empty or contains whitespace; TREC runs cannot carry it")
            text = "".join(f"{d}\n" for d in block)
            f.write(text)
            h.update(text.encode("utf-8"))
            blocks.append(np.fromiter((_id_hash(d) for d in block), dtype=np.uint64, count=len(block)))
            count += len(block)
    return count, h.hexdigest(), np.concatenate(blocks) if blocks else np.zeros(0, np.uint64)


def _check_unique(hashes: np.ndarray, docid_path: str) -> None:
    """Refuse a doc id written twice to ``docid_path``: duplicates are found through the 64-bit hashes and
    confirmed on the file's lines (read memory-mapped, only on a hash collision)."""
    ordered = np.sort(hashes)
    twice = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    del ordered
    if not len(twice):
        return
    ids = LineFile(docid_path)
    rows = np.flatnonzero(np.isin(hashes, twice))
    seen: set[str] = set()
    for d in ids[rows].tolist():
        if d in seen:
            raise ValueError(f"doc id {d!r} appears twice in the corpus: an index needs one vector per doc id")
        seen.add(d)


def write_index_streamed(
    index_dir: str, emb_dir: str, doc_ids: Iterable[str], meta: dict, index_type: str = DEFAULT_INDEX_TYPE
) -> dict:
    """``index.write_index`` over the embedding cache without loading it whole: trained (IVF/PQ) on
    the same evenly spaced sample, vectors added one cache shard at a time, so peak memory is the
    index itself plus one shard and the sample (not the index plus a full copy of the embeddings).
    Flat and IVF indexes come out identical to ``write_index``'s; HNSW adds in batches, so its graph
    can differ from a one-shot build.  ``doc_ids`` (any iterable: a list, a ``LineFile``, a generator)
    is read once, straight into the ``docid`` file: no Python string is held per id; duplicates are
    found through 64-bit hashes (8 bytes an id), then checked on the written file."""
    import faiss

    with open(os.path.join(emb_dir, "meta.json"), encoding="utf-8") as f:
        emeta = json.load(f)
    n, dim, shards = int(emeta["count"]), int(emeta["dim"]), int(emeta["shards"])
    if isinstance(doc_ids, Sized) and len(doc_ids) != n:
        raise ValueError(f"{len(doc_ids)} doc ids for {n} embeddings")
    with atomic_dir(index_dir) as tmp:
        count, fingerprint, hashes = _write_docids(os.path.join(tmp, "docid"), doc_ids)
        if count != n:
            raise ValueError(f"{count} doc ids for {n} embeddings")
        _check_unique(hashes, os.path.join(tmp, "docid"))
        del hashes
        index = _streamed_index(emb_dir, n, dim, shards, index_type)
        meta = dict(meta, format=INDEX_FORMAT, index_type=index_type, count=n, dim=dim, docids=fingerprint)
        faiss.write_index(index, os.path.join(tmp, "index"))
        meta["index_sha256"] = file_sha256(os.path.join(tmp, "index"))  # as write_index records it
        atomic_write_json(os.path.join(tmp, "meta.json"), meta)
    return meta


def _streamed_index(emb_dir: str, n: int, dim: int, shards: int, index_type: str):  # type: ignore[no-untyped-def]
    """The FAISS index of ``write_index_streamed``: trained on the sample ``write_index`` trains on, filled
    one cache shard at a time."""
    import faiss

    paths = [os.path.join(emb_dir, f"shard-{i:05d}.npy") for i in range(shards)]
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # deterministic training and adding
    try:
        index = faiss.IndexFlatIP(dim)
        if index_type != DEFAULT_INDEX_TYPE:
            try:
                index = faiss.index_factory(dim, index_type, faiss.METRIC_INNER_PRODUCT)
            except RuntimeError as e:
                raise ValueError(
                    f"bad FAISS index type {index_type!r} ({e}); e.g. Flat, IVF4096,PQ96, HNSW32"
                ) from None
        if not index.is_trained:  # trained on the rows write_index trains on: embeddings[::step]
            step = max(1, n // 200_000)
            parts, first = [], 0
            for p in paths:
                arr = np.load(p, mmap_mode="r", allow_pickle=False)
                parts.append(np.asarray(arr[(-first) % step :: step], dtype=np.float32))
                first += len(arr)
            index = _faiss_index(np.concatenate(parts), index_type)
            del parts
        for p in paths:
            index.add(np.ascontiguousarray(load_vectors(p, dim), dtype=np.float32))
    finally:
        faiss.omp_set_num_threads(threads)
    return index
