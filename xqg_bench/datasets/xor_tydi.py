"""XOR-TyDi QA, XOR-Retrieve (Asai et al., 2021), as ir_datasets entries.

IDs: ``xqg-bench:xor-tydi`` (the corpus ``enwiki_20190201_w100.tsv``: id, text, title; ~18.2M
100-word passages of the 2019-02-01 English Wikipedia — not DPR's 2018 ``psgs_w100``),
``xqg-bench:xor-tydi/{train,dev,test}`` (train: ``xor_train_retrieve_eng_span``; dev: v1.1;
test: v1.1, questions only) and per language ``xqg-bench:xor-tydi/<split>/<lang>``.  Query records
are ``XorQuery(query_id, text, lang, answers)``.  There are no passage-level qrels: relevance is
answer containment (R@kt needs none; answer-derived pooled qrels are an open issue).

Files come from the official site, or from a local mirror: set ``XQG_BENCH_MIRROR`` to a
directory holding them under their official names (for offline clusters).  Downloads stream to a
temporary file and are renamed into ``$IR_DATASETS_HOME/xqg-bench/xor-tydi/`` only once complete
and verified: by size and md5 where they are pinned in ``PINNED`` (the official dev v1.1 and train
files), otherwise the md5 seen at first use is recorded in ``checksums.json`` next to the files,
announced loudly and enforced afterwards (``python -m xqg_bench.run datasets --checksums`` prints
them).  The corpus is only
ever streamed; a doc-id -> byte-offset index (``.npy``) serves ``docs_store`` lookups.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import urllib.request
from array import array
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from ir_datasets.datasets.dpr_w100 import DprW100Doc
from ir_datasets.formats import BaseDocs, BaseQueries
from ir_datasets.indices import Docstore

from xqg_bench.core import signature
from xqg_bench.core.atomic import atomic_save_npy, atomic_write_json
from xqg_bench.core.textfile import utf8_lines
from xqg_bench.datasets.records import XorQuery

NAME = "xqg-bench:xor-tydi"
BASE_URL = "https://nlp.cs.washington.edu/xorqa/XORQA_site/data/"
LANGS = ("ar", "bn", "fi", "ja", "ko", "ru", "te")
MIRROR_ENV = "XQG_BENCH_MIRROR"


class Resource(NamedTuple):
    name: str  # official file name
    url: str
    approx_size: str  # as documented; exact sizes are checked through the md5


RESOURCES: dict[str, Resource] = {
    "train": Resource("xor_train_retrieve_eng_span.jsonl", BASE_URL + "xor_train_retrieve_eng_span.jsonl", "15,250 q"),
    "dev": Resource(
        "xor_dev_retrieve_eng_span_v1_1.jsonl", BASE_URL + "xor_dev_retrieve_eng_span_v1_1.jsonl", "2,110 q"
    ),
    "test": Resource(
        "xor_test_retrieve_eng_span_q_only_v1_1.jsonl",
        BASE_URL + "xor_test_retrieve_eng_span_q_only_v1_1.jsonl",
        "2,499 q",
    ),
    "corpus": Resource("enwiki_20190201_w100.tsv", BASE_URL + "models/enwiki_20190201_w100.tsv", "~13 GB"),
}
# The official files' sizes and md5s, pinned in ``xor_tydi_checksums.json`` beside this module
# (dev v1.1 and train, verified on public copies of the official files).  A file under a pinned name
# must match both, or it is refused naming both md5s.  Unpinned files (test, corpus) are accepted
# with a loud notice naming the md5 recorded at first use, and that md5 is enforced afterwards.
PINNED_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "xor_tydi_checksums.json")


class Pin(NamedTuple):
    md5: str
    size: int | None = None


def _load_pinned() -> dict[str, Pin]:
    if not os.path.exists(PINNED_FILE):
        return {}
    with open(PINNED_FILE, encoding="utf-8") as f:
        raw = json.load(f)
    unknown = set(raw) - {r.name for r in RESOURCES.values()}
    if unknown:
        raise ValueError(f"{PINNED_FILE}: unknown file names {sorted(unknown)}")
    return {name: Pin(v["md5"], v.get("size")) if isinstance(v, dict) else Pin(str(v)) for name, v in raw.items()}


PINNED: dict[str, Pin] = _load_pinned()


def pin_checksums() -> dict[str, Pin]:
    """Pin every recorded md5 (first-use values) into ``PINNED_FILE`` beside the pinned ones."""
    pinned = {**{name: Pin(md5) for name, md5 in _recorded().items()}, **PINNED}
    atomic_write_json(
        PINNED_FILE,
        {name: {"md5": p.md5, **({"size": p.size} if p.size is not None else {})} for name, p in pinned.items()},
    )
    PINNED.update(pinned)
    return pinned


def checksum_lines() -> list[str]:
    """One line per XOR-TyDi file: name, md5 (pinned, else recorded at first use, else ``-``), its state
    (pinned | recorded | unknown) and URL, tab-separated (``datasets --checksums``)."""
    recorded = {**_recorded(), **{n: p.md5 for n, p in PINNED.items()}}
    lines = []
    for res in RESOURCES.values():
        state = "pinned" if res.name in PINNED else "recorded" if res.name in recorded else "unknown"
        lines.append(f"{res.name}\t{recorded.get(res.name, '-')}\t{state}\t{res.url}")
    return lines


def data_dir() -> str:
    home = os.environ.get("IR_DATASETS_HOME", os.path.expanduser("~/.ir_datasets"))
    return os.path.join(home, "xqg-bench", "xor-tydi")


def _recorded() -> dict[str, str]:
    path = os.path.join(data_dir(), "checksums.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    return {}


def _copy_verified(src: Iterable[bytes], res: Resource, origin: str) -> str:
    """Stream ``src`` to a temp file, verify its md5, rename into place; nothing is left on error."""
    os.makedirs(data_dir(), exist_ok=True)
    target = os.path.join(data_dir(), res.name)
    md5 = hashlib.md5()
    fd, tmp = tempfile.mkstemp(dir=data_dir(), prefix=f".{res.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            for block in src:
                md5.update(block)
                out.write(block)
            size = out.tell()
        digest = md5.hexdigest()
        pin = PINNED.get(res.name)
        expected = pin.md5 if pin else _recorded().get(res.name)
        if expected and digest != expected:
            kind = "pinned official" if pin else "recorded at first use"
            sizes = f" ({size:,} bytes; the official file has {pin.size:,})" if pin and pin.size else ""
            raise ValueError(
                f"{origin}: md5 {digest}{sizes} does not match the {kind} md5 {expected} of {res.name}: the file is "
                f"corrupt, truncated or a different version; fetch it again from {res.url}"
            )
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if res.name not in PINNED and res.name not in _recorded():
        print(
            f"NOTICE: {res.name} has no pinned official checksum; accepted {origin} with md5 {digest} "
            f"({size:,} bytes), recorded in {os.path.join(data_dir(), 'checksums.json')} and enforced from now on. "
            f"Check it against the publisher's before reporting numbers on it.",
            file=sys.stderr,
        )
        atomic_write_json(os.path.join(data_dir(), "checksums.json"), {**_recorded(), res.name: digest})
    return target


def _blocks(f) -> Iterator[bytes]:  # type: ignore[no-untyped-def]
    yield from iter(lambda: f.read(1 << 20), b"")


def fetch(key: str) -> str:
    """Local path of a resource: cached, else copied from ``$XQG_BENCH_MIRROR``, else downloaded."""
    res = RESOURCES[key]
    target = os.path.join(data_dir(), res.name)
    if os.path.exists(target):
        pin = PINNED.get(res.name)
        if pin and pin.size is not None and os.path.getsize(target) != pin.size:
            raise ValueError(
                f"{target}: {os.path.getsize(target):,} bytes, but the official {res.name} has {pin.size:,} "
                f"(md5 {pin.md5}); delete it and fetch it again"
            )
        return target
    mirror = os.environ.get(MIRROR_ENV)
    if mirror:
        src = os.path.join(mirror, res.name)
        if not os.path.isfile(src):
            raise FileNotFoundError(
                f"{MIRROR_ENV}={mirror} has no {res.name}: put the official file there under that name "
                f"(from {res.url}), or unset {MIRROR_ENV} to download"
            )
        with open(src, "rb") as f:
            return _copy_verified(_blocks(f), res, src)
    try:
        with urllib.request.urlopen(res.url, timeout=60) as resp:
            return _copy_verified(_blocks(resp), res, res.url)
    except OSError as e:
        raise FileNotFoundError(
            f"cannot download {res.url} ({e}); offline, set {MIRROR_ENV} to a directory holding {res.name}"
        ) from None


_NORMALISED_NOTED: set[str] = set()


def read_queries(path: str, split: str) -> Iterator[XorQuery]:
    """Question records of an official JSONL file.  The official train file writes every Arabic
    question's language as ``" ar"``: languages are stripped of surrounding whitespace, and the
    count of records so normalised is reported once per file and process (on stderr)."""
    normalised = 0
    for lineno, line in utf8_lines(path):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            raw_lang = rec["lang"]
            lang = str(raw_lang).strip()
            normalised += lang != raw_lang
            answers = tuple(str(a) for a in rec.get("answers") or ())
            q = XorQuery(str(rec["id"]), str(rec["question"]), lang, answers)
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise ValueError(f"{path}, line {lineno}: not an XOR-Retrieve question record ({e})") from None
        if lang not in LANGS:
            raise ValueError(f"{path}, line {lineno}: unknown language {lang!r} (expected one of {LANGS})")
        if split != "test" and "answers" not in rec:
            raise ValueError(f"{path}, line {lineno}: no answers in a {split} record")
        if not q.text.strip():
            raise ValueError(f"{path}, line {lineno}: question {q.query_id!r} is empty or whitespace only")
        yield q
    if normalised and path not in _NORMALISED_NOTED:
        _NORMALISED_NOTED.add(path)
        print(
            f"note: {path}: {normalised:,} records had a language code with surrounding whitespace "
            "(the official train file writes ' ar'); normalised",
            file=sys.stderr,
        )


def iter_corpus(path: str) -> Iterator[tuple[DprW100Doc, int]]:
    """(doc, byte offset of its line); a header line ``id text title`` is skipped."""
    with open(path, "rb") as f:
        offset, lineno = 0, 0
        for raw in f:
            lineno += 1
            start, offset = offset, offset + len(raw)
            try:
                line = raw.decode("utf-8").rstrip("\n").rstrip("\r")
            except UnicodeDecodeError as e:
                raise ValueError(
                    f"{path}, line {lineno}: not valid UTF-8 (byte 0x{raw[e.start]:02x}); the corpus file is "
                    "damaged: delete it and fetch it again"
                ) from None
            if lineno == 1 and line.split("\t")[:1] == ["id"]:
                continue
            cols = line.split("\t")
            if len(cols) != 3:
                raise ValueError(f"{path}, line {lineno}: expected 3 tab-separated columns id, text, title")
            yield DprW100Doc(cols[0], cols[1], cols[2]), start


class OffsetDocstore(Docstore):
    """docs_store over the TSV: sorted int64 doc ids + their byte offsets, and the offsets in file
    order (for reading shard i without scanning), as ``.npy`` files next to the TSV (no pickle)."""

    def __init__(self, path: str) -> None:
        super().__init__(DprW100Doc, "doc_id")
        self.path = path
        ids_path, off_path, order_path = path + ".ids.npy", path + ".offsets.npy", path + ".fileorder.npy"
        if not all(os.path.exists(p) for p in (ids_path, off_path, order_path)):
            ids, offs = array("q"), array("q")  # 8 bytes an entry, not a Python int each
            for doc, off in iter_corpus(path):
                try:
                    ids.append(int(doc.doc_id))
                except ValueError:
                    raise ValueError(
                        f"{path}: doc id {doc.doc_id!r} is not an integer; cannot build the offset index"
                    ) from None
                offs.append(off)
            ids_a, offs_a = np.frombuffer(ids, dtype=np.int64), np.frombuffer(offs, dtype=np.int64)
            order = np.argsort(ids_a, kind="stable")
            dup = np.flatnonzero(np.diff(ids_a[order]) == 0)
            if len(dup):
                first = int(order[dup[0] + 1])  # the later of the two lines holding the id
                raise ValueError(
                    f"{path}: doc id {ids[first]} appears twice ({len(dup)} duplicates); a corpus needs unique ids"
                )
            atomic_save_npy(order_path, offs_a)
            atomic_save_npy(off_path, offs_a[order])
            atomic_save_npy(ids_path, ids_a[order])
        self.ids = np.load(ids_path, allow_pickle=False)
        self.offsets = np.load(off_path, allow_pickle=False)
        self.file_offsets = np.load(order_path, allow_pickle=False)

    def read_range(self, start: int, stop: int) -> list[DprW100Doc]:
        """Passages ``start..stop`` in file order (one seek, sequential reads)."""
        out: list[DprW100Doc] = []
        if start >= stop:
            return out
        with open(self.path, "rb") as f:
            f.seek(int(self.file_offsets[start]))
            for _ in range(stop - start):
                cols = f.readline().decode("utf-8").rstrip("\r\n").split("\t")
                out.append(DprW100Doc(cols[0], cols[1], cols[2]))
        return out

    def get_many_iter(self, doc_ids: Iterable[str]) -> Iterator[DprW100Doc]:
        """The passages of ``doc_ids`` found in the corpus, in file order: every id looked up at once
        (one vectorised binary search), then read by ascending byte offset (forward seeks only)."""
        keys = []
        for doc_id in dict.fromkeys(doc_ids):
            try:
                keys.append(int(doc_id))
            except ValueError:
                continue
        if not keys or not len(self.ids):
            return
        wanted = np.asarray(keys, dtype=np.int64)
        i = np.minimum(np.searchsorted(self.ids, wanted), len(self.ids) - 1)
        offsets = np.sort(self.offsets[i[self.ids[i] == wanted]])
        with open(self.path, "rb") as f:
            for off in offsets.tolist():
                f.seek(off)
                cols = f.readline().decode("utf-8").rstrip("\r\n").split("\t")
                yield DprW100Doc(cols[0], cols[1], cols[2])


@lru_cache(maxsize=8)
def open_docstore(path: str) -> OffsetDocstore:
    """One OffsetDocstore per TSV path per process: its offset arrays are loaded once, not per shard.
    (Cached files are never replaced in place: fetches and sub-corpus builds write new paths once.)"""
    return OffsetDocstore(path)


def file_md5(path: str, name: str) -> str:
    """The md5 pinned or recorded for ``name`` (computed and recorded if neither)."""
    known = PINNED[name].md5 if name in PINNED else _recorded().get(name)
    if known:
        return known
    digest = signature.file_md5(path)
    atomic_write_json(os.path.join(data_dir(), "checksums.json"), {**_recorded(), name: digest})
    return digest


class XorDocs(BaseDocs):
    """The corpus, never held in memory: streamed, sliced through byte offsets, fingerprinted by md5."""

    def docs_iter(self) -> Iterator[DprW100Doc]:
        return (doc for doc, _off in iter_corpus(fetch("corpus")))

    def docs_slice(self, start: int, stop: int) -> list[DprW100Doc]:
        return self.docs_store().read_range(start, stop)

    def docs_fingerprint(self) -> str:
        return "md5:" + file_md5(fetch("corpus"), RESOURCES["corpus"].name)

    def docs_count(self) -> int:
        return len(self.docs_store().ids)

    def docs_cls(self) -> type:
        return DprW100Doc

    def docs_store(self, field: str = "doc_id") -> OffsetDocstore:
        return open_docstore(fetch("corpus"))

    def docs_namespace(self) -> str:
        return NAME

    def docs_lang(self) -> str:
        return "en"


class XorQueries(BaseQueries):
    def __init__(self, split: str, lang: str | None = None) -> None:
        self.split, self.lang = split, lang

    def queries_iter(self) -> Iterator[XorQuery]:
        return (q for q in read_queries(fetch(self.split), self.split) if self.lang is None or q.lang == self.lang)

    def queries_cls(self) -> type:
        return XorQuery

    def queries_namespace(self) -> str:
        return NAME

    def queries_lang(self) -> str | None:
        return self.lang


def dataset_ids() -> list[str]:
    return [NAME] + [f"{NAME}/{s}{'/' + lg if lg else ''}" for s in ("train", "dev", "test") for lg in ("", *LANGS)]


def register(registry) -> None:  # type: ignore[no-untyped-def]
    from ir_datasets.datasets.base import Dataset

    docs = XorDocs()
    registry.register(NAME, Dataset(docs))
    for split in ("train", "dev", "test"):
        registry.register(f"{NAME}/{split}", Dataset(docs, XorQueries(split)))
        for lang in LANGS:
            registry.register(f"{NAME}/{split}/{lang}", Dataset(docs, XorQueries(split, lang)))
