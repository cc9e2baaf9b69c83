"""A reproducible XOR-TyDi sub-corpus for CPU-scale experiments — an approximation, labelled so.

``xqg-bench:xor-tydi-sub(pool=P,seed=S)`` holds (a) every passage that contains an answer of a
train or dev question by the official matching rule (answers exactly yes/no dropped; substring of
the nltk-tokenised passage) and (b) a pool of P other passages: those with the P smallest
sha256(seed, doc id) — independent of corpus order, process and hash seed.  Candidates for (a) are
found through the answers' first tokens (an answer that starts inside a word is missed: one more
reason this is an approximation; matching is by word tokens), then checked with the official rule.  Query sets:
``…/train``, ``…/dev``, ``…/test`` and ``…/<split>/<lang>`` are the full corpus's questions.
Built once by streaming the corpus; stored as TSV plus ``manifest.json`` (counts, rule,
fingerprint) under ``$IR_DATASETS_HOME/xqg-bench/xor-tydi/``.  Numbers on it are *not*
comparable with full-corpus XOR-Retrieve numbers: the distractor set is far smaller.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import os
from collections.abc import Iterator

from ir_datasets.datasets.dpr_w100 import DprW100Doc
from ir_datasets.formats import BaseDocs

from xqg_bench.core.atomic import atomic_open, atomic_write_json
from xqg_bench.core.tokenizer import word_tokenize
from xqg_bench.datasets import xor_tydi
from xqg_bench.datasets.records import span_answers
from xqg_bench.datasets.unknown import unknown_language

PATTERN = r"^xqg-bench:xor-tydi-sub\(pool=(\d+),seed=(\d+)\)(?:/(train|dev|test)(?:/([a-z]{2}))?)?$"
RULE = "answer-containing passages of train+dev (official matching rule, first-token candidates) + hash pool"


def _answers() -> list[str]:
    out: set[str] = set()
    for split in ("train", "dev"):
        for q in xor_tydi.read_queries(xor_tydi.fetch(split), split):
            out.update(a for a in span_answers(q.answers) if a.strip())
    return sorted(out)


def build(pool: int, seed: int) -> str:
    """Build (once) and return the sub-corpus directory."""
    out_dir = os.path.join(xor_tydi.data_dir(), f"sub-pool{pool}-seed{seed}")
    if os.path.exists(os.path.join(out_dir, "manifest.json")):
        return out_dir
    answers = _answers()
    import re

    word = re.compile(r"\w+")
    by_first: dict[str, list[str]] = {}
    for a in answers:
        first = word.search(a)
        by_first.setdefault(first.group(0) if first else a, []).append(a)
    heap: list[tuple[int, str]] = []  # max-heap via negated keys: the pool smallest hashes
    keep_answer: set[str] = set()
    for doc, _off in xor_tydi.iter_corpus(xor_tydi.fetch("corpus")):
        cands = [a for tok in set(word.findall(doc.text)) for a in by_first.get(tok, ()) if a in doc.text]
        if cands:
            joined = " ".join(word_tokenize(doc.text))
            if any(a in joined for a in cands):
                keep_answer.add(doc.doc_id)
                continue
        h = int.from_bytes(hashlib.sha256(f"{seed}|{doc.doc_id}".encode()).digest()[:8], "big")
        if len(heap) < pool:
            heapq.heappush(heap, (-h, doc.doc_id))
        elif pool and -heap[0][0] > h:
            heapq.heapreplace(heap, (-h, doc.doc_id))
    keep = keep_answer | {d for _h, d in heap}
    os.makedirs(out_dir, exist_ok=True)
    digest = hashlib.sha256()
    n = 0
    with atomic_open(os.path.join(out_dir, "corpus.tsv"), "w") as f:
        for doc, _off in xor_tydi.iter_corpus(xor_tydi.fetch("corpus")):
            if doc.doc_id in keep:
                line = f"{doc.doc_id}\t{doc.text}\t{doc.title}\n"
                f.write(line)
                digest.update(line.encode("utf-8"))
                n += 1
    atomic_write_json(
        os.path.join(out_dir, "manifest.json"),
        {
            "id": f"xqg-bench:xor-tydi-sub(pool={pool},seed={seed})",
            "approximation": True,
            "rule": RULE,
            "answer_passages": len(keep_answer),
            "pool": len(heap),
            "passages": n,
            "sha256": digest.hexdigest(),
        },
    )
    return out_dir


class SubDocs(BaseDocs):
    def __init__(self, pool: int, seed: int) -> None:
        self.pool, self.seed = pool, seed

    def _path(self) -> str:
        return os.path.join(build(self.pool, self.seed), "corpus.tsv")

    def manifest(self) -> dict:
        with open(os.path.join(build(self.pool, self.seed), "manifest.json"), encoding="utf-8") as f:
            return json.load(f)

    def docs_iter(self) -> Iterator[DprW100Doc]:
        return (d for d, _o in xor_tydi.iter_corpus(self._path()))

    def docs_slice(self, start: int, stop: int) -> list[DprW100Doc]:
        return self.docs_store().read_range(start, stop)

    def docs_fingerprint(self) -> str:
        return "sha256:" + str(self.manifest()["sha256"])

    def docs_count(self) -> int:
        return int(self.manifest()["passages"])

    def docs_cls(self) -> type:
        return DprW100Doc

    def docs_store(self, field: str = "doc_id") -> xor_tydi.OffsetDocstore:
        return xor_tydi.open_docstore(self._path())

    def docs_namespace(self) -> str:
        return "xqg-bench:xor-tydi-sub"

    def docs_lang(self) -> str:
        return "en"


def _initializer(dataset_id: str, groups: tuple):  # type: ignore[no-untyped-def]
    from ir_datasets.datasets.base import Dataset

    pool, seed, split, lang = groups
    docs = SubDocs(int(pool), int(seed))
    if split is None:
        return Dataset(docs)
    if lang is not None and lang not in xor_tydi.LANGS:
        raise KeyError(unknown_language(dataset_id, dataset_id.rsplit("/", 1)[0], lang, xor_tydi.LANGS))
    return Dataset(docs, xor_tydi.XorQueries(split, lang))


def register(registry) -> None:  # type: ignore[no-untyped-def]
    registry.register_pattern(PATTERN, _initializer)
