"""Bring your own embeddings: Tevatron, Pyserini or plain ``.npy``/safetensors shards.

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

Generated-query embeddings for xQG (:class:`SuppliedQueries`, ``--query-embeddings``) come in the
same three layouts, the id of each row in place of the doc id: ``<doc id>\t<lang>\t<j>`` for one
vector per generated query (j = 0, 1, ... numbers a passage's queries in a language), or
``<doc id>`` / ``<doc id>\t<lang>`` for sums of a passage's query vectors (over all languages or per
language) with ``counts.txt`` (how many queries each row sums, one a line, in row order).  They
are written as the query-embedding store ``encode_generated`` writes (``cache/qembeddings``), so
augmentation reads them as its own.
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

from xqg_bench.core.atomic import atomic_dir, atomic_write_json, save_npy_checked
from xqg_bench.core.signature import cache_key
from xqg_bench.core.spec import DEFAULT_SHARD_SIZE
from xqg_bench.core.textfile import utf8_lines
from xqg_bench.encoders.base import Encoder
from xqg_bench.retrieval.index import embedding_signature

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


def find_parts(path: str, fmt: str, flag: str = "--passage-embeddings") -> list[Part]:
    """The vector files of an embeddings directory in the given layout (checked to exist)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown embeddings format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not os.path.isdir(path):
        raise ValueError(f"{flag} {path}: not a directory; give the directory holding the {fmt} files")

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

    def __init__(self, path: str, fmt: str, flag: str = "--passage-embeddings") -> None:
        self.path, self.format = path, fmt
        self.parts = find_parts(path, fmt, flag)

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

    def sha256(self, *extra: str) -> str:
        """sha256 over every file (vectors and ids, then ``extra`` files), in order, with their names."""
        h = hashlib.sha256()
        files = list(dict.fromkeys([*(p for part in self.parts for p in (part.path, part.ids_path)), *extra]))
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


# Generated-query embeddings (xQG) made elsewhere ------------------------------------------------------------------

QUERY_KINDS = ("queries", "sums")
COUNTS_FILE = "counts.txt"  # its presence marks per-passage sums (one count a vector row)
_LANG = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_QUERY_ID_FORMS = {
    "queries": "'<doc id>\\t<lang>\\t<j>' (j = 0, 1, ... numbers the passage's queries in that language)",
    "sums": "'<doc id>' (a sum over all languages) or '<doc id>\\t<lang>' (a sum per language)",
}


def _parse_query_id(raw: str, kind: str, ids_path: str, lineno: int) -> tuple[str, str, int]:
    """(doc id, language, j) of one row's id; sums: j = -1, language ``all`` when the id has none."""
    parts = raw.split("\t")
    ok = False
    if kind == "queries" and len(parts) == 3:
        ok = bool(parts[0]) and bool(_LANG.fullmatch(parts[1])) and re.fullmatch(r"[0-9]{1,9}", parts[2]) is not None
        if ok:
            return parts[0], parts[1], int(parts[2])
    if kind == "sums" and len(parts) in (1, 2):
        ok = bool(parts[0]) and (len(parts) == 1 or bool(_LANG.fullmatch(parts[1])))
        if ok:
            return parts[0], parts[1] if len(parts) == 2 else "all", -1
    raise ValueError(
        f"{ids_path}, line {lineno}: id {raw!r} is not {_QUERY_ID_FORMS[kind]}; write every id in that form "
        "(fields separated by one tab)"
    )


def _corpus_ids(docs: Sequence[DprW100Doc]) -> Iterator[str]:
    return docs.ids() if hasattr(docs, "ids") else (d.doc_id for d in docs)  # type: ignore[attr-defined]


def _read_counts(path: str) -> np.ndarray:
    counts = []
    for lineno, line in utf8_lines(path):
        text = line.rstrip("\r\n")
        if re.fullmatch(r"[0-9]+", text) is None or int(text) < 1:
            raise ValueError(
                f"{path}, line {lineno}: {text!r} is not a count; write on each line the number (>= 1) of generated "
                "queries summed into the vector of the same row"
            )
        counts.append(int(text))
    return np.asarray(counts, dtype=np.int64)


class QueryIngestPlan(NamedTuple):
    langs: tuple[str, ...]  # the store's languages, in order
    dest: np.ndarray | None  # per file row: its store row ((doc, lang, j) order; sums: doc * langs + lang); None: same
    counts: np.ndarray  # (docs, langs): generated queries per passage and language
    rows: int  # vectors in the files


class SuppliedQueries:
    """Generated-query embeddings made elsewhere, written as the xQG system's query-embedding store.

    ``kind`` ``queries``: one vector per generated query, its id ``<doc id>\\t<lang>\\t<j>``, rows in
    any order — the store keeps every vector in (passage, language, j) order, as encoding our own
    generated queries does.  ``sums``: one vector per passage (id ``<doc id>``) or per passage and
    language (``<doc id>\\t<lang>``) with ``counts.txt`` (queries summed, one a row) — the ``sums``
    store.  The layouts of the vectors and ids are the passage layouts (:func:`find_parts`).

    ``check`` verifies everything it can without reading the vectors (count, dimension, ids against
    the corpus, duplicates, numbering); ``write`` checks every value finite while building the store
    under a temporary name.  The store's signature names the files by content hash (sha256 of every
    file), so a changed file is a new store, never a cached one."""

    def __init__(
        self,
        path: str,
        fmt: str,
        docs: Sequence[DprW100Doc],
        dim: int,
        cache_root: str,
        shard_size: int = DEFAULT_SHARD_SIZE,
        corpus: str = "the corpus",
        lang_order: Sequence[str] = (),
    ) -> None:
        from xqg_bench.core.signature import make_signature
        from xqg_bench.datasets.docs import docs_fingerprint

        self.path, self.format, self.docs, self.dim = path, fmt, docs, dim
        self.shard_size, self.corpus, self.lang_order = shard_size, corpus, tuple(lang_order)
        self.files = EmbeddingFiles(path, fmt, "--query-embeddings")
        counts_path = os.path.join(path, COUNTS_FILE)
        self.kind = "sums" if os.path.exists(counts_path) else "queries"
        self.counts_path = counts_path if self.kind == "sums" else None
        self.digest = self.files.sha256(*([counts_path] if self.counts_path else []))
        self.spec = f"supplied(kind={self.kind},format={fmt},sha256={self.digest[:16]})"
        fields = {"supplied": self.digest, "kind": self.kind, "format": fmt, "docs": docs_fingerprint(docs)[:16]}
        fields.update(n=len(docs), shard=shard_size, langs=",".join(self.lang_order))
        self.signature = make_signature(fields)
        self.dir = os.path.join(cache_root, "qembeddings", cache_key(self.signature))
        self._plan: QueryIngestPlan | None = None

    def cached(self) -> bool:
        return os.path.exists(os.path.join(self.dir, "meta.json"))

    def check(self) -> None:
        """Every check but finiteness, before anything is written (nothing to do when the store exists)."""
        if not self.cached() and self._plan is None:
            self._plan = self._make_plan()

    def _make_plan(self) -> QueryIngestPlan:
        from array import array

        files, dim = self.files, self.dim
        got = files.dim()
        if got != dim:
            raise ValueError(
                f"{files.parts[0].path}: {got}-dimensional vectors, but the passage embeddings and the query encoder "
                f"have {dim}; embed the generated queries with the model that embeds the passages (--encoder)"
            )
        files.check_shapes(dim)
        position = {d: i for i, d in enumerate(_corpus_ids(self.docs))}
        lang_index: dict[str, int] = {}
        # per row: passage position, language, j (16 bytes a row; no Python object per row)
        pos_b, lang_b, num_b = array("q"), array("i"), array("i")
        for raw, ids_path, lineno in files.ids():
            doc_id, lg, j = _parse_query_id(raw, self.kind, ids_path, lineno)
            p = position.get(doc_id)
            if p is None:
                raise ValueError(
                    f"{ids_path}, line {lineno}: doc id {doc_id!r} is not in {self.corpus}; the generated queries were "
                    "made for another corpus (or the ids were rewritten): embed the queries generated for exactly "
                    "the corpus the dataset names"
                )
            pos_b.append(p)
            lang_b.append(lang_index.setdefault(lg, len(lang_index)))
            num_b.append(j)
        if not pos_b:
            raise ValueError(f"{self.path}: no generated-query embeddings in it")
        order_of = {lg: k for k, lg in enumerate(self.lang_order)}
        langs = tuple(sorted(lang_index, key=lambda lg: (order_of.get(lg, len(order_of)), lg)))
        if len({lg == "all" for lg in langs}) > 1:
            raise ValueError(f"{self.path}: ids with and without a language; write {_QUERY_ID_FORMS['sums']}, one form")
        remap = np.asarray([langs.index(lg) for lg in lang_index], dtype=np.int64)
        n_docs, n_langs = len(position), len(langs)
        key = np.frombuffer(pos_b, dtype=np.int64) * n_langs + remap[np.frombuffer(lang_b, dtype=np.int32)]
        del pos_b, lang_b
        num = np.frombuffer(num_b, dtype=np.int32)
        flat = np.bincount(key, minlength=n_docs * n_langs)  # rows per (passage, language)
        what = "generated query" if self.kind == "queries" else "passage and language"
        if self.kind == "queries":
            # rows in (passage, language, j) order are kept as they are; others are sorted (8 bytes a row more)
            dk, dj = np.diff(key), np.diff(num)
            order = None if bool(((dk > 0) | ((dk == 0) & (dj > 0))).all()) else np.lexsort((num, key))
            del dk, dj
            k_sorted = key if order is None else key[order]
            j_sorted = num if order is None else num[order]
            expected = np.arange(len(key), dtype=np.int64) - (np.cumsum(flat) - flat)[k_sorted]
            bad = np.flatnonzero(j_sorted != expected)
            if len(bad):
                m = int(bad[0])
                row = m if order is None else int(order[m])
                d, lg = divmod(int(k_sorted[m]), n_langs)
                if m > 0 and k_sorted[m - 1] == k_sorted[m] and j_sorted[m - 1] == j_sorted[m]:
                    prev = m - 1 if order is None else int(order[m - 1])
                    first, second = sorted((prev, row))
                    at = self._locate({first, second})
                    raise ValueError(f"{at[second]}: the same id as {at[first]}; keep one vector per {what}")
                raise ValueError(
                    f"{self._locate({row})[row]}: passage {self._doc_id(d)!r} has a query {int(j_sorted[m])} in "
                    f"{langs[lg]} but no query {int(expected[m])}; number each passage's queries in a language "
                    "0, 1, 2, ... without gaps"
                )
            del k_sorted, j_sorted, expected
            if order is None:
                dest = None
            else:
                dest = np.empty(len(order), dtype=np.int64)
                dest[order] = np.arange(len(order))
            counts = flat.reshape(n_docs, n_langs)
        else:
            assert self.counts_path is not None
            twice = np.flatnonzero(flat > 1)
            if len(twice):
                first, second = (int(r) for r in np.flatnonzero(key == twice[0])[:2])
                at = self._locate({first, second})
                raise ValueError(f"{at[second]}: the same id as {at[first]}; keep one vector per {what}")
            per_row = _read_counts(self.counts_path)
            if len(per_row) != len(key):
                raise ValueError(
                    f"{self.counts_path}: {len(per_row)} counts for {len(key)} vectors; write one count (the number "
                    "of generated queries summed) per vector row, in row order"
                )
            counts = np.zeros(n_docs * n_langs, dtype=np.int64)
            counts[key] = per_row
            counts = counts.reshape(n_docs, n_langs)
            dest = key
        missing = np.flatnonzero(counts.sum(axis=1) == 0)
        if len(missing):
            raise ValueError(
                f"{self.path}: generated-query embeddings for {n_docs - len(missing)} of the {n_docs} passages of "
                f"{self.corpus}; {len(missing)} passages have none (first: {self._doc_id(int(missing[0]))!r}): embed "
                "the generated queries of every passage (every shard)"
            )
        return QueryIngestPlan(langs, dest, counts, len(key))

    def _locate(self, rows: set[int]) -> dict[int, str]:
        """'<ids file>, line <n>' of the given rows (read again: only errors need it)."""
        out = {}
        for row, (_id, ids_path, lineno) in enumerate(self.files.ids()):
            if row in rows:
                out[row] = f"{ids_path}, line {lineno}"
                if len(out) == len(rows):
                    break
        return out

    def _doc_id(self, pos: int) -> str:
        return next(d for k, d in enumerate(_corpus_ids(self.docs)) if k == pos)

    def write(self, progress: bool = True) -> str:
        """The query-embedding store (``qcount-*.npy``, ``qemb-*.npy``, ``meta.json`` as ``encode_generated``
        writes them, in the passage shards' cut), built under a temporary name; its directory."""
        from tqdm.auto import tqdm

        if self.cached():
            return self.dir
        self.check()
        plan = self._plan
        assert plan is not None
        dim, size = self.dim, self.shard_size
        n_docs, n_langs = plan.counts.shape
        n_shards = (n_docs + size - 1) // size
        rows = plan.rows if self.kind == "queries" else n_docs * n_langs
        with atomic_dir(self.dir) as tmp:
            placed_path = os.path.join(tmp, "placed.npy")
            placed = np.lib.format.open_memmap(placed_path, mode="w+", dtype=np.float32, shape=(rows, dim))
            row = 0
            with tqdm(total=plan.rows, desc="ingest generated queries", unit="vec", disable=not progress) as bar:
                for _path, _start, block in self.files.blocks(dim):
                    if plan.dest is None:
                        placed[row : row + len(block)] = block
                    else:
                        placed[plan.dest[row : row + len(block)]] = block
                    row += len(block)
                    bar.update(len(block))
            placed.flush()
            starts = np.concatenate([[0], np.cumsum(plan.counts.sum(axis=1))])
            for i in range(n_shards):
                a, b = i * size, min((i + 1) * size, n_docs)
                save_npy_checked(os.path.join(tmp, f"qcount-{i:05d}.npy"), plan.counts[a:b].astype(np.int32))
                if self.kind == "queries":
                    emb = np.ascontiguousarray(placed[starts[a] : starts[b]])
                else:
                    emb = np.ascontiguousarray(placed[a * n_langs : b * n_langs]).reshape(b - a, n_langs, dim)
                save_npy_checked(os.path.join(tmp, f"qemb-{i:05d}.npy"), emb)
            del placed
            os.unlink(placed_path)
            per_lang = {
                lg: {
                    "queries": int(plan.counts[:, k].sum()),
                    "min": int(plan.counts[:, k].min()),
                    "max": int(plan.counts[:, k].max()),
                }
                for k, lg in enumerate(plan.langs)
            }
            meta = {"signature": self.signature, "langs": list(plan.langs), "shards": n_shards, "store": self.kind}
            meta.update(dtype="float32", per_lang=per_lang)
            meta["supplied"] = {"format": self.format, "path": os.path.abspath(self.path), "sha256": self.digest}
            atomic_write_json(os.path.join(tmp, "meta.json"), meta)
        return self.dir
