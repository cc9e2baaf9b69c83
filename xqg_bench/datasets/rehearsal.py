"""A synthetic rehearsal corpus in XOR-TyDi's file formats, to exercise full-scale stages offline.

``write_rehearsal(out_dir, passages)`` writes, deterministically from ``seed`` and streamed (memory
flat in the number of passages):

- ``rehearsal_w100.tsv``: ``id<TAB>text<TAB>title`` with a header line, like
  ``enwiki_20190201_w100.tsv`` (integer ids from 1; 90-110 words of synthetic lower-case words);
- ``rehearsal_dev_retrieve_eng_span.jsonl``: questions in the official
  ``xor_dev_retrieve_eng_span_v1_1.jsonl`` record format (``id``, ``question``, ``answers``,
  ``lang``), each answer a capitalised synthetic name planted once in its gold passage (``gold.tsv``
  names it);
- ``embeddings/``: random unit passage embeddings in the ``npy`` ingest layout (``shard-*.npy`` +
  ``docids.txt``, see ``xqg_bench.ingest``); ``queries.npy`` (row i: question ``r<i>``, a vector near
  its gold passage's, so recall is neither 0 nor 1); ``qsums/``: per-passage sums of 35
  generated-query embeddings (float16, for augmentation);
- ``manifest.json`` (sizes, seed, sha256 of the TSV).

The names differ from every official file name on purpose: a rehearsal corpus can never be taken
for (or served as) XOR-TyDi.  Numbers on it measure speed and memory, never retrieval quality.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator

import numpy as np
from ir_datasets.datasets.dpr_w100 import DprW100Doc
from ir_datasets.formats import BaseDocs

from xqg_bench.atomic import atomic_dir, atomic_save_npy, atomic_write_json
from xqg_bench.datasets import xor_tydi
from xqg_bench.spec import DEFAULT_SEED

CORPUS = "rehearsal_w100.tsv"
QUESTIONS = "rehearsal_dev_retrieve_eng_span.jsonl"
LANGS = xor_tydi.LANGS
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]  # 70 syllables
BLOCK = 10_000  # passages generated at a time


def _words(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` synthetic words of 1-3 syllables (a Zipf-like vocabulary of ~340k forms)."""
    lengths = rng.choice([1, 2, 3], size=n, p=[0.3, 0.45, 0.25])
    syl = rng.zipf(1.3, size=(n, 3)) % len(SYLLABLES)
    table = np.array(SYLLABLES)
    parts = table[syl]
    out = np.where(lengths >= 2, np.char.add(parts[:, 0], parts[:, 1]), parts[:, 0])
    return np.where(lengths == 3, np.char.add(out, parts[:, 2]), out)


def _answer(i: int) -> str:
    h = hashlib.sha256(f"answer|{i}".encode()).digest()
    return "Q" + "".join(SYLLABLES[b % len(SYLLABLES)] for b in h[:3]) + f"-{i}"


def write_rehearsal(
    out_dir: str,
    passages: int,
    questions: int = 2000,
    dim: int = 768,
    seed: int = DEFAULT_SEED,
    shard_size: int = BLOCK,
) -> dict:
    """Write the rehearsal corpus, questions and embeddings into ``out_dir``, a new directory (built under a
    temp name); the manifest (counts, dimension, seed, ...)."""
    if os.path.exists(out_dir):
        raise ValueError(f"--output {out_dir} exists; give a new directory")
    if passages < 1 or questions < 1 or questions > passages:
        raise ValueError(f"need 1 <= questions <= passages, got {questions} questions for {passages} passages")
    rng_q = np.random.default_rng([seed, 1])
    gold = np.sort(rng_q.choice(passages, size=questions, replace=False)) + 1  # passage ids hold answers
    gold_q = rng_q.permutation(questions)  # question number of each gold passage (in id order)
    langs = [LANGS[i % len(LANGS)] for i in range(questions)]
    qvec = np.zeros((questions, dim), np.float32)
    digest = hashlib.sha256()
    with atomic_dir(out_dir) as tmp:
        emb_dir = os.path.join(tmp, "embeddings")
        sums_dir = os.path.join(tmp, "qsums")
        os.makedirs(emb_dir)
        os.makedirs(sums_dir)
        g = 0  # next gold passage
        with (
            open(os.path.join(tmp, CORPUS), "w", encoding="utf-8") as tsv,
            open(os.path.join(emb_dir, "docids.txt"), "w", encoding="utf-8") as ids,
            open(os.path.join(tmp, "gold.tsv"), "w", encoding="utf-8") as gold_f,
        ):
            tsv.write("id\ttext\ttitle\n")
            digest.update(b"id\ttext\ttitle\n")
            carry_v = np.zeros((0, dim), np.float32)  # rows of a shard not yet complete
            carry_s = np.zeros((0, dim), np.float16)
            shard = 0
            for start in range(0, passages, BLOCK):
                stop = min(passages, start + BLOCK)
                rng = np.random.default_rng([seed, 2, start])
                n_words = rng.integers(90, 111, size=stop - start)
                words = _words(rng, int(n_words.sum()))
                vecs = rng.standard_normal((stop - start, dim), dtype=np.float32)
                vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
                sums = (35 * vecs + rng.standard_normal((stop - start, dim), dtype=np.float32)).astype(np.float16)
                cut = np.concatenate([[0], np.cumsum(n_words)])
                lines = []
                for j in range(stop - start):
                    pid = start + j + 1
                    w = words[cut[j] : cut[j + 1]].tolist()
                    title = " ".join(x.capitalize() for x in w[:2])
                    if g < questions and gold[g] == pid:
                        qn = int(gold_q[g])
                        w[len(w) // 2] = _answer(qn)
                        noise = rng.standard_normal(dim, dtype=np.float32)
                        qvec[qn] = vecs[j] + 6.0 * noise / np.linalg.norm(noise)  # cos ~0.16: a hard search
                        gold_f.write(f"{qn}\t{pid}\n")
                        g += 1
                    lines.append(f"{pid}\t{' '.join(w)}\t{title}\n")
                text = "".join(lines)
                tsv.write(text)
                digest.update(text.encode("utf-8"))
                ids.writelines(f"{start + j + 1}\n" for j in range(stop - start))
                v = np.concatenate([carry_v, vecs]) if len(carry_v) else vecs
                m = np.concatenate([carry_s, sums]) if len(carry_s) else sums
                full = len(v) // shard_size if stop < passages else -(-len(v) // shard_size)
                for k in range(full):
                    part = slice(k * shard_size, (k + 1) * shard_size)
                    atomic_save_npy(os.path.join(emb_dir, f"shard-{shard:05d}.npy"), v[part])
                    atomic_save_npy(os.path.join(sums_dir, f"shard-{shard:05d}.npy"), m[part])
                    shard += 1
                carry_v, carry_s = v[full * shard_size :].copy(), m[full * shard_size :].copy()
        atomic_save_npy(os.path.join(tmp, "queries.npy"), qvec)
        with open(os.path.join(tmp, QUESTIONS), "w", encoding="utf-8") as f:
            for qn in range(questions):
                words = " ".join(_words(np.random.default_rng([seed, 3, qn]), 6).tolist())
                rec = {"id": f"r{qn}", "question": f"{words}?", "answers": [_answer(qn)], "lang": langs[qn]}
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        manifest = {
            "kind": "xqg-bench rehearsal corpus (synthetic; not XOR-TyDi)",
            "passages": passages,
            "questions": questions,
            "dim": dim,
            "seed": seed,
            "shard_size": shard_size,
            "sha256": digest.hexdigest(),
        }
        atomic_write_json(os.path.join(tmp, "manifest.json"), manifest)
    return manifest


class RehearsalDocs(BaseDocs):
    """The rehearsal TSV through the same streaming/offset code as the XOR-TyDi corpus."""

    def __init__(self, root: str) -> None:
        self.root = root
        with open(os.path.join(root, "manifest.json"), encoding="utf-8") as f:
            self.manifest = json.load(f)
        self.path = os.path.join(root, CORPUS)

    def docs_iter(self) -> Iterator[DprW100Doc]:
        return (d for d, _o in xor_tydi.iter_corpus(self.path))

    def docs_slice(self, start: int, stop: int) -> list[DprW100Doc]:
        return self.docs_store().read_range(start, stop)

    def docs_fingerprint(self) -> str:
        return "sha256:" + str(self.manifest["sha256"])

    def docs_count(self) -> int:
        return int(self.manifest["passages"])

    def docs_cls(self) -> type:
        return DprW100Doc

    def docs_store(self, field: str = "doc_id") -> xor_tydi.OffsetDocstore:
        return xor_tydi.open_docstore(self.path)

    def docs_namespace(self) -> str:
        return "xqg-bench:rehearsal"

    def docs_lang(self) -> str:
        return "en"
