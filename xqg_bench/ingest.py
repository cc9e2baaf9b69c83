"""Bring your own passage embeddings: Tevatron, Pyserini or plain ``.npy``/safetensors shards.

Embeddings computed elsewhere are verified against the corpus (count, dimension, doc ids, finite
values; every error names the file, the row or line and the fix) and written into the same
passage-embedding cache the encoder path fills (``cache/embeddings/<key>/shard-*.npy`` +
``meta.json``, in corpus order, ``shard_size`` rows a shard), so augmentation, indexing, search
and scoring run on them unchanged.  The cache key is the usual embedding signature, whose encoder
part names the ingested files by content hash (sha256 of every file, in order) and the query
encoder that searches them.

Layouts (``--embeddings-format``):

- ``tevatron``: Tevatron's encode driver writes ``pickle.dump((reps, lookup_indices), f)`` (e.g.
  ``corpus_emb.0.pkl``).  Pickle can run code on load, so it is never read here: whoever trusts the
  file converts each shard once into ``<stem>.npy`` (the reps) + ``<stem>.ids.txt`` (one doc id a
  line) — the command is ``TEVATRON_CONVERT`` below, printed by the error and in the README.
  A ``.pkl`` without its converted pair is refused with that command.
- ``pyserini``: the output directory of ``python -m pyserini.encode ... output --embeddings DIR``:
  ``embeddings.jsonl`` (one ``{"id", "contents", "vector"}`` a line; every ``*.jsonl`` of DIR, in
  name order), or with ``--to-faiss`` a flat FAISS ``index`` + ``docid`` (one id a line).
- ``npy``: ``*.npy`` and/or ``*.safetensors`` shards (one 2-D float tensor each, in name order,
  numbers compared as numbers) + ``docids.txt`` (one id a line, all shards in order) — what
  ``rehearsal`` writes.

Files in corpus order are streamed shard by shard (memory flat in the corpus size); files in any
other order are placed through a doc-id map (memory O(corpus ids)) into a disk-backed array.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np
from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.atomic import atomic_dir, atomic_write_json, save_npy_checked
from xqg_bench.encoders.base import Encoder
from xqg_bench.index import embedding_signature
from xqg_bench.signature import cache_key
from xqg_bench.spec import DEFAULT_SHARD_SIZE
from xqg_bench.textfile import utf8_lines

FORMATS = ("tevatron", "pyserini", "npy")
BLOCK = 8_192  # rows read at a time (25 MiB at dimension 768)
TEVATRON_CONVERT = (
    "python -c \"import pickle,sys,numpy as n;r,l=pickle.load(open(sys.argv[1],'rb'));s=sys.argv[1][:-4];"
    "n.save(s+'.npy',n.asarray(r,dtype='float32'));open(s+'.ids.txt','w').write(''.join(f'{i}\\n' for i in l))\" "
)


def natural_key(path: str) -> list[object]:
    """File names compared with their numbers as numbers (``emb.2`` before ``emb.10``)."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", os.path.basename(path))]


class Part(NamedTuple):
    """One file of vectors and where its doc ids come from."""

    path: str  # vectors
    ids_path: str  # doc ids (the same file for JSONL)
    kind: str  # npy | safetensors | faiss | jsonl


def _read_ids(path: str) -> Iterator[str]:
    for lineno, line in utf8_lines(path):
        doc_id = line.rstrip("\r\n")
        if not doc_id or doc_id != doc_id.strip():
            raise ValueError(
                f"{path}, line {lineno}: doc id {doc_id!r} is empty or has surrounding whitespace; "
                "write one doc id per line, exactly as in the corpus"
            )
        yield doc_id


def _jsonl_records(path: str) -> Iterator[tuple[int, dict]]:
    for lineno, line in utf8_lines(path):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            rec["id"], rec["vector"]  # noqa: B018
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise ValueError(
                f"{path}, line {lineno}: not a Pyserini embeddings record ({e}); expected "
                '{"id": ..., "contents": ..., "vector": [...]} as python -m pyserini.encode writes'
            ) from None
        yield lineno, rec


def find_parts(path: str, fmt: str) -> list[Part]:
    """The vector files of an embeddings directory in the given layout (checked to exist)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown embeddings format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not os.path.isdir(path):
        raise ValueError(f"--passage-embeddings {path}: not a directory; give the directory holding the {fmt} files")

    def listed(pattern: str) -> list[str]:
        return sorted(glob.glob(os.path.join(glob.escape(path), pattern)), key=natural_key)

    if fmt == "tevatron":
        for pkl in listed("*.pkl"):
            if not os.path.exists(pkl[:-4] + ".npy"):
                raise ValueError(
                    f"{pkl}: a pickle, which is never loaded here (it can run code); if you trust it, convert it "
                    f"once with: {TEVATRON_CONVERT}{pkl}"
                )
        parts = []
        for npy in listed("*.npy"):
            ids = npy[:-4] + ".ids.txt"
            if not os.path.exists(ids):
                raise ValueError(f"{npy}: no {os.path.basename(ids)} beside it; write its doc ids there, one a line")
            parts.append(Part(npy, ids, "npy"))
        if not parts:
            raise ValueError(f"{path}: no Tevatron shards (<stem>.npy + <stem>.ids.txt, or .pkl to convert)")
        return parts
    if fmt == "pyserini":
        if os.path.exists(os.path.join(path, "index")):
            ids = os.path.join(path, "docid")
            if not os.path.exists(ids):
                raise ValueError(
                    f"{path}: a FAISS index without its docid file (pyserini.encode --to-faiss writes both)"
                )
            return [Part(os.path.join(path, "index"), ids, "faiss")]
        parts = [Part(p, p, "jsonl") for p in listed("*.jsonl")]
        if not parts:
            raise ValueError(f"{path}: neither embeddings.jsonl nor index + docid (the outputs of pyserini.encode)")
        return parts
    ids = os.path.join(path, "docids.txt")
    parts = [Part(p, ids, "safetensors" if p.endswith(".safetensors") else "npy") for p in listed("*.*")]
    parts = [p for p in parts if p.path.endswith((".npy", ".safetensors"))]
    if not parts:
        raise ValueError(f"{path}: no *.npy or *.safetensors embedding shards")
    if not os.path.exists(ids):
        raise ValueError(f"{path}: docids.txt missing; write the doc ids of all shards there, in order, one a line")
    return parts


class _Matrix:
    """Row access to one vector file without reading it whole (npy memmap, safetensors slices, FAISS)."""

    def __init__(self, part: Part) -> None:
        self.part = part
        if part.kind == "npy":  # header parsed, rows read with plain file reads (no mapping held in memory)
            with open(part.path, "rb") as f:
                try:
                    version = np.lib.format.read_magic(f)
                    fmt = np.lib.format
                    read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
                    shape, fortran, dtype = read(f)  # the header only: no pickle involved
                except ValueError as e:
                    raise ValueError(
                        f"{part.path}: not a .npy file ({e}); save a float array with numpy.save"
                    ) from None
                self._offset = f.tell()
            if fortran or dtype.hasobject:
                raise ValueError(f"{part.path}: a Fortran-ordered or object array; save a C-ordered float array")
            self._dtype = dtype
            self._check(shape, dtype)
        elif part.kind == "safetensors":
            from safetensors import safe_open

            self._f = safe_open(part.path, framework="np")
            keys = list(self._f.keys())
            name = "embeddings" if "embeddings" in keys else keys[0] if len(keys) == 1 else None
            if name is None:
                raise ValueError(f"{part.path}: {len(keys)} tensors {keys}; keep one, or name it 'embeddings'")
            self.arr = self._f.get_slice(name)
            self._check(tuple(self.arr.get_shape()), np.dtype(_ST_DTYPES.get(self.arr.get_dtype(), "O")))
        else:
            import faiss

            self._owner = faiss.read_index(part.path, faiss.IO_FLAG_MMAP)  # keeps the index alive
            index = faiss.downcast_index(self._owner)
            if not isinstance(index, faiss.IndexFlat):
                raise ValueError(
                    f"{part.path}: a {type(index).__name__}, not a flat index; its vectors cannot be recovered "
                    "exactly: encode with pyserini.encode --to-faiss (flat) or write embeddings.jsonl"
                )
            self.index = index
            self.shape = (index.ntotal, index.d)

    def _check(self, shape: tuple, dtype: np.dtype) -> None:
        if len(shape) != 2 or dtype.kind != "f":
            raise ValueError(f"{self.part.path}: {dtype} array of shape {shape}; expected a 2-D float array (n, dim)")
        self.shape = shape

    def rows(self, start: int, stop: int) -> np.ndarray:
        if self.part.kind == "faiss":
            return self.index.reconstruct_n(start, stop - start)
        if self.part.kind == "npy":
            row = self.shape[1] * self._dtype.itemsize
            with open(self.part.path, "rb") as f:
                f.seek(self._offset + start * row)
                arr = np.fromfile(f, dtype=self._dtype, count=(stop - start) * self.shape[1])
            return arr.reshape(stop - start, self.shape[1]).astype(np.float32, copy=False)
        return np.asarray(self.arr[start:stop], dtype=np.float32)


_ST_DTYPES = {"F16": "float16", "BF16": "float32", "F32": "float32", "F64": "float64"}


def _jsonl_blocks(part: Part) -> Iterator[tuple[list[int], np.ndarray]]:
    rows: list = []
    lines: list[int] = []
    dim = None
    for lineno, rec in _jsonl_records(part.path):
        vec = rec["vector"]
        if not isinstance(vec, list) or not vec or (dim is not None and len(vec) != dim):
            want = f"{dim} numbers" if dim is not None else "a list of numbers"
            n = len(vec) if isinstance(vec, list) else "not a list"
            raise ValueError(f"{part.path}, line {lineno}: vector of {n} values, expected {want} (wrong dimension)")
        dim = len(vec)
        rows.append(vec)
        lines.append(lineno)
        if len(rows) == BLOCK:
            yield lines, _float_rows(rows, part.path, lines)
            rows, lines = [], []
    if rows:
        yield lines, _float_rows(rows, part.path, lines)


def _float_rows(rows: list, path: str, lines: list[int]) -> np.ndarray:
    try:
        return np.asarray(rows, dtype=np.float32)
    except (TypeError, ValueError):
        bad = next(n for n, r in zip(lines, rows, strict=True) if not all(isinstance(x, int | float) for x in r))
        raise ValueError(f"{path}, line {bad}: the vector holds a non-number; write numbers only") from None


class EmbeddingFiles:
    """An embeddings directory in one layout: ids, dimension, content hash and row blocks."""

    def __init__(self, path: str, fmt: str) -> None:
        self.path, self.format = path, fmt
        self.parts = find_parts(path, fmt)

    def ids(self) -> Iterator[tuple[str, str, int]]:
        """(doc id, ids file, line) in row order."""
        if self.format == "pyserini" and self.parts[0].kind == "jsonl":
            for part in self.parts:
                for lineno, rec in _jsonl_records(part.path):
                    yield str(rec["id"]), part.path, lineno
            return
        seen: set[str] = set()
        for part in self.parts:
            if part.ids_path in seen:
                continue  # one docids.txt for every npy shard
            seen.add(part.ids_path)
            for lineno, doc_id in enumerate(_read_ids(part.ids_path), start=1):
                yield doc_id, part.ids_path, lineno

    def sha256(self) -> str:
        """sha256 over every file (vectors and ids), in order, with their names."""
        h = hashlib.sha256()
        files = list(dict.fromkeys(p for part in self.parts for p in (part.path, part.ids_path)))
        for path in files:
            h.update(os.path.basename(path).encode("utf-8") + b"\0")
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 22), b""):
                    h.update(block)
        return h.hexdigest()

    def dim(self) -> int:
        part = self.parts[0]
        if part.kind == "jsonl":
            for _lineno, rec in _jsonl_records(part.path):
                return len(rec["vector"]) if isinstance(rec["vector"], list) else 0
            raise ValueError(f"{part.path}: empty; no embeddings in it")
        return int(_Matrix(part).shape[1])

    def check_shapes(self, dim: int) -> list[_Matrix]:
        """Every vector file's dimension, and one doc id per vector row (files with separate ids)."""
        if self.parts[0].kind == "jsonl":
            return []
        counts: dict[str, int] = {}
        for _doc_id, ids_path, _line in self.ids():
            counts[ids_path] = counts.get(ids_path, 0) + 1
        matrices = [_Matrix(part) for part in self.parts]
        for m in matrices:
            if m.shape[1] != dim:
                raise ValueError(
                    f"{m.part.path}: {m.shape[1]}-dimensional vectors, expected {dim} (the first file's and the query "
                    "encoder's); all shards must come from the same model"
                )
        rows_per_ids: dict[str, int] = {}
        for m in matrices:
            rows_per_ids[m.part.ids_path] = rows_per_ids.get(m.part.ids_path, 0) + int(m.shape[0])
        for ids_path, n_rows in rows_per_ids.items():
            if counts.get(ids_path, 0) != n_rows:
                files = ", ".join(m.part.path for m in matrices if m.part.ids_path == ids_path)
                raise ValueError(
                    f"{ids_path}: {counts.get(ids_path, 0)} doc ids for {n_rows} vectors in {files}; "
                    "write exactly one doc id per vector row, in row order"
                )
        return matrices

    def blocks(self, dim: int) -> Iterator[tuple[str, int, np.ndarray]]:
        """(file, first row of the block, float32 rows) in row order, each checked for dimension and
        finiteness (errors name the file and the row or line)."""
        if self.parts[0].kind == "jsonl":
            for part in self.parts:
                start = 0
                for lines, rows in _jsonl_blocks(part):
                    self._check(part.path, rows, dim, start, lines)
                    yield part.path, start, rows
                    start += len(rows)
            return
        matrices = self.check_shapes(dim)
        for m in matrices:
            for start in range(0, m.shape[0], BLOCK):
                rows = m.rows(start, min(start + BLOCK, m.shape[0]))
                self._check(m.part.path, rows, dim, start, None)
                yield m.part.path, start, rows

    @staticmethod
    def _check(path: str, rows: np.ndarray, dim: int, start: int, lines: list[int] | None) -> None:
        if rows.shape[1] != dim:
            raise ValueError(
                f"{path}: {rows.shape[1]}-dimensional vectors, expected {dim} (the query encoder's); "
                "embed passages and queries with the same model"
            )
        bad = ~np.isfinite(rows).all(axis=1)
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            where = f"row {start + r}" if lines is None else f"line {lines[r]}"
            raise ValueError(
                f"{path}, {where}: NaN or inf in the vector ({int(bad.sum())} such vectors in this block); "
                "re-encode those passages (fp16 overflow is a common cause)"
            )


class IngestedEncoder(Encoder):
    """The query side of a named encoder, the passage side from ingested files (by content hash)."""

    def __init__(self, query_encoder: Encoder, fmt: str, digest: str, dim: int, cache_dir: str | None = None) -> None:
        self.inner = query_encoder
        self.format, self.digest, self._dim = fmt, digest, dim
        self.spec = f"ingested(format={fmt},sha256={digest[:16]})+query:{query_encoder.spec}"
        self.cache_dir = cache_dir

    @property
    def dim(self) -> int:
        return self._dim

    def fingerprint(self) -> str:
        return f"{self.digest}/{self.inner.fingerprint()}"

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)

    def encode_passages(self, docs: Sequence[DprW100Doc]) -> np.ndarray:
        raise RuntimeError(
            f"passages of {self.spec} come from ingested files, and the ingested cache {self.cache_dir} lacks a "
            "shard: delete that directory and run again (it is rebuilt from the files)"
        )


class IngestPlan(NamedTuple):
    files: EmbeddingFiles
    dim: int
    order: np.ndarray | None  # None: rows are in corpus order; else corpus position of every row


def plan_ingest(path: str, fmt: str, docs: Sequence[DprW100Doc], dim: int, corpus: str = "the corpus") -> IngestPlan:
    """Check doc ids and dimension before anything is written; decide streaming or placed ingest."""
    files = EmbeddingFiles(path, fmt)
    got = files.dim()
    if got != dim:
        raise ValueError(
            f"{files.parts[0].path}: {got}-dimensional vectors, but the query encoder gives {dim}; name the encoder "
            "that made the passage embeddings with --encoder"
        )
    files.check_shapes(dim)
    corpus_ids = (d.doc_id for d in docs) if not hasattr(docs, "ids") else docs.ids()  # type: ignore[attr-defined]
    in_order = True
    for (doc_id, _f, _l), want in zip(files.ids(), corpus_ids, strict=False):
        if doc_id != want:
            in_order = False
            break
    if in_order:
        n_files = sum(1 for _ in files.ids())
        if n_files == len(docs):
            return IngestPlan(files, dim, None)
    position = {d: i for i, d in enumerate(docs.ids() if hasattr(docs, "ids") else (d.doc_id for d in docs))}  # type: ignore[attr-defined]
    order = np.full(sum(1 for _ in files.ids()), -1, dtype=np.int64)
    filled = np.zeros(len(position), dtype=bool)
    for row, (doc_id, ids_path, lineno) in enumerate(files.ids()):
        pos = position.get(doc_id)
        if pos is None:
            raise ValueError(
                f"{ids_path}, line {lineno}: doc id {doc_id!r} is not in {corpus}; the embeddings were made for "
                "another corpus (or ids were rewritten): encode exactly the corpus the dataset names"
            )
        if filled[pos]:
            raise ValueError(f"{ids_path}, line {lineno}: doc id {doc_id!r} appears twice; keep one vector per passage")
        filled[pos] = True
        order[row] = pos
    if not filled.all():
        ids = docs.ids() if hasattr(docs, "ids") else (d.doc_id for d in docs)  # type: ignore[attr-defined]
        first = next(d for d, f in zip(ids, filled, strict=False) if not f)
        raise ValueError(
            f"{path}: {len(order)} embeddings for {len(position)} passages of {corpus}; {int((~filled).sum())} "
            f"passages have none (first: {first!r}): encode the whole corpus (every shard)"
        )
    return IngestPlan(files, dim, order)


def ingest_passage_embeddings(
    path: str,
    fmt: str,
    docs: Sequence[DprW100Doc],
    query_encoder: Encoder,
    cache_root: str,
    shard_size: int = DEFAULT_SHARD_SIZE,
    corpus: str = "the corpus",
    progress: bool = True,
) -> IngestedEncoder:
    """Verify the files and fill the passage-embedding cache; return the encoder to run the pipeline with.

    Nothing is written under a final name unless every check passes (the cache directory is built
    under a temporary name).  A second call with the same files finds the cache and only hashes them."""
    from tqdm.auto import tqdm

    files = EmbeddingFiles(path, fmt)
    enc = IngestedEncoder(query_encoder, fmt, files.sha256(), query_encoder.dim)
    out = os.path.join(cache_root, "embeddings", cache_key(embedding_signature(enc, docs, shard_size)))
    enc.cache_dir = out
    if os.path.exists(os.path.join(out, "meta.json")):
        return enc
    plan = plan_ingest(path, fmt, docs, query_encoder.dim, corpus)
    n, dim = len(docs), plan.dim
    n_shards = (n + shard_size - 1) // shard_size
    with atomic_dir(out) as tmp, tqdm(total=n, desc="ingest passages", unit="psg", disable=not progress) as bar:
        if plan.order is None:  # streamed: rows arrive in corpus order
            carry = np.zeros((0, dim), np.float32)  # rows of a shard not yet complete
            shard = 0
            for _path, _start, rows in plan.files.blocks(dim):
                rows = np.concatenate([carry, rows]) if len(carry) else rows
                full = len(rows) // shard_size
                for k in range(full):
                    save_npy_checked(
                        os.path.join(tmp, f"shard-{shard:05d}.npy"), rows[k * shard_size : (k + 1) * shard_size]
                    )
                    shard += 1
                carry = rows[full * shard_size :].copy()
                bar.update(full * shard_size)
            if len(carry):
                save_npy_checked(os.path.join(tmp, f"shard-{shard:05d}.npy"), carry)
                bar.update(len(carry))
        else:  # placed through the doc-id map into a disk-backed array, then cut into shards
            placed_path = os.path.join(tmp, "placed.npy")
            placed = np.lib.format.open_memmap(placed_path, mode="w+", dtype=np.float32, shape=(n, dim))
            row = 0
            for _path, _start, rows in plan.files.blocks(dim):
                placed[plan.order[row : row + len(rows)]] = rows
                row += len(rows)
            placed.flush()
            for shard in range(n_shards):
                part = np.ascontiguousarray(placed[shard * shard_size : (shard + 1) * shard_size])
                save_npy_checked(os.path.join(tmp, f"shard-{shard:05d}.npy"), part)
                bar.update(len(part))
            del placed
            os.unlink(placed_path)
        sig = embedding_signature(enc, docs, shard_size)
        atomic_write_json(
            os.path.join(tmp, "meta.json"), {"signature": sig, "count": n, "dim": dim, "shards": n_shards}
        )
        ingested = {"format": fmt, "path": os.path.abspath(path), "sha256": enc.digest}
        atomic_write_json(os.path.join(tmp, "ingested.json"), ingested)  # where the vectors came from
    return enc
