"""A synthetic rehearsal corpus in XOR-TyDi's file formats, to exercise full-scale stages offline.

``write_rehearsal(out_dir, passages)`` writes, deterministically from ``seed`` and streamed (memory
flat in the number of passages):

- ``rehearsal_w100.tsv``: ``id<TAB>text<TAB>title`` with a header line, like
  ``enwiki_20190201_w100.tsv`` (integer ids from 1; 90-110 words of synthetic lower-case words);
- ``rehearsal_dev_retrieve_eng_span.jsonl``: questions in the official
  ``xor_dev_retrieve_eng_span_v1_1.jsonl`` record format (``id``, ``question``, ``answers``,
  ``lang``), each answer a capitalised synthetic name planted once in its gold passage (``gold.tsv``
  names it);
- ``embeddings/``: unit passage embeddings in the ``npy`` ingest layout (``shard-*.npy`` +
  ``docids.txt``, see ``xqg_bench.retrieval.ingest``), clustered by topic (below); ``queries.npy`` (row i:
  question ``r<i>``, a vector in its gold passage's topic, leaning towards the gold passage);
  ``qsums/``: per-passage sums of 35 generated-query embeddings (float16, for augmentation);
- ``manifest.json`` (sizes, seed, sha256 of the TSV).

Embeddings have neighbourhood structure, as real ones do, so that approximate indexes (IVF, HNSW)
have something to exploit and their recall of the exact top-100 means something:

- ``topics(N)`` = round(2 sqrt(N)) topic centres (632 at 100k, 2,000 at 1M, 8,532 at 18.2M),
  random unit vectors drawn from ``seed`` alone;
- passage = normalise(centre of its topic + w), w a random unit vector (the topic drawn uniformly
  per passage): cosine ~0.71 to its centre, ~0.5 to a passage of its topic, ~0 to the others;
- question = centre of the gold passage's topic + ``QUERY_LEAN`` w_gold + u (u a fresh random unit
  vector): cosine ~0.55 to its gold passage, ~0.5 to the gold's topic-mates.  The exact top-100 is
  then mostly the gold's topic and the gold ranks first among ~(N / topics) near-ties only
  sometimes: exact search finds it within R@2kt for most questions, not all (fewer as topics grow
  with N).

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

from xqg_bench.core.atomic import atomic_dir, atomic_save_npy, atomic_write_json
from xqg_bench.core.spec import DEFAULT_SEED
from xqg_bench.datasets import xor_tydi

CORPUS = "rehearsal_w100.tsv"
QUESTIONS = "rehearsal_dev_retrieve_eng_span.jsonl"
LANGS = xor_tydi.LANGS
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]  # 70 syllables
BLOCK = 10_000  # passages generated at a time
QUERY_LEAN = 0.1  # weight of the gold passage's own direction in its question's vector (see the module doc)


def topics(passages: int) -> int:
    """Number of topic centres the passage embeddings cluster around."""
    return max(1, round(2 * passages**0.5))


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
    n_topics = topics(passages)
    centres = np.random.default_rng([seed, 4]).standard_normal((n_topics, dim), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
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
                topic = rng.integers(0, n_topics, size=stop - start)  # drawn after the text: the TSV is unchanged
                own = rng.standard_normal((stop - start, dim), dtype=np.float32)
                own /= np.linalg.norm(own, axis=1, keepdims=True)
                vecs = centres[topic] + own
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
                        qvec[qn] = centres[topic[j]] + QUERY_LEAN * own[j] + noise / np.linalg.norm(noise)
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
            "embeddings": f"{n_topics} topics; passage = normalise(centre + unit noise); question = gold's centre "
            f"+ {QUERY_LEAN} x gold's noise + unit noise",
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
