"""The rehearsal corpus: official formats, planted answers, deterministic, ingestible embeddings."""

from __future__ import annotations

import os

import numpy as np
from conftest import file_tree

from xqg_bench.datasets import xor_tydi
from xqg_bench.datasets.docs import DocSequence
from xqg_bench.datasets.rehearsal import CORPUS, QUESTIONS, RehearsalDocs, write_rehearsal
from xqg_bench.evaluate.rkt import query_hit
from xqg_bench.run import main


def test_rehearsal_files_are_in_the_official_formats_with_planted_answers(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["rehearsal", "--passages", "2500", "--questions", "40", "--dim", "8", "--output", str(out)]) == 0
    assert CORPUS != xor_tydi.RESOURCES["corpus"].name and QUESTIONS != xor_tydi.RESOURCES["dev"].name
    docs = [d for d, _o in xor_tydi.iter_corpus(str(out / CORPUS))]  # the official corpus reader
    assert [d.doc_id for d in docs] == [str(i) for i in range(1, 2501)]
    assert all(90 <= len(d.text.split()) <= 110 for d in docs)
    questions = list(xor_tydi.read_queries(str(out / QUESTIONS), "dev"))  # the official question reader
    assert len(questions) == 40 and {q.lang for q in questions} == set(xor_tydi.LANGS)
    gold = dict(line.split("\t") for line in (out / "gold.tsv").read_text().splitlines())
    store = xor_tydi.OffsetDocstore(str(out / CORPUS))
    for q in questions:
        gold_text = store.get(gold[q.query_id[1:]]).text
        assert query_hit(q.answers, [gold_text], 2000)
        assert sum(q.answers[0] in d.text for d in docs) == 1  # planted once
    emb = np.concatenate(
        [np.load(out / "embeddings" / f) for f in sorted(os.listdir(out / "embeddings")) if "shard" in f]
    )
    assert emb.shape == (2500, 8) and np.isfinite(emb).all()
    assert (out / "embeddings" / "docids.txt").read_text().split() == [d.doc_id for d in docs]
    assert main(["rehearsal", "--passages", "10", "--output", str(out)]) == 2
    assert "exists" in capsys.readouterr().err


def test_rehearsal_is_deterministic_and_ingests(tmp_path):
    from xqg_bench.encoders.base import Encoder
    from xqg_bench.retrieval.index import load_embeddings
    from xqg_bench.retrieval.ingest import ingest_passage_embeddings

    a = write_rehearsal(str(tmp_path / "a"), 1200, questions=30, dim=8, shard_size=500)
    b = write_rehearsal(str(tmp_path / "b"), 1200, questions=30, dim=8, shard_size=500)
    assert a == b and file_tree(tmp_path / "a") == file_tree(tmp_path / "b")

    class Queries(Encoder):
        spec = "rehearsal-queries"
        dim = 8

        def encode_queries(self, texts):  # type: ignore[no-untyped-def]
            raise NotImplementedError

        def encode_passages(self, docs):  # type: ignore[no-untyped-def]
            raise NotImplementedError

    docs = DocSequence(RehearsalDocs(str(tmp_path / "a")))
    enc = ingest_passage_embeddings(
        str(tmp_path / "a" / "embeddings"), "npy", docs, Queries(), str(tmp_path / "c"), 256
    )
    emb = load_embeddings(enc.cache_dir)
    want = np.concatenate([np.load(tmp_path / "a" / "embeddings" / f"shard-{i:05d}.npy") for i in range(3)])
    assert np.array_equal(emb, want)


def test_rehearsal_embeddings_have_topic_structure_an_ivf_index_exploits(tmp_path):
    """Passages cluster by topic and questions sit in their gold passage's topic: an IVF index probing one
    list finds most of the exact top-10 (it finds few on unstructured random vectors), and exact search
    ranks the gold passage high, though not always first."""
    import faiss

    from xqg_bench.datasets.rehearsal import topics

    write_rehearsal(str(tmp_path / "r"), 2000, questions=100, dim=256, shard_size=500)
    emb = np.concatenate([np.load(tmp_path / "r" / "embeddings" / f"shard-{i:05d}.npy") for i in range(4)])
    queries = np.load(tmp_path / "r" / "queries.npy")
    gold = dict(line.split("\t") for line in (tmp_path / "r" / "gold.tsv").read_text().splitlines())
    rows = np.array([int(gold[str(i)]) - 1 for i in range(100)])
    assert topics(2000) == 89 and topics(1_000_000) == 2000
    assert np.allclose(np.linalg.norm(emb, axis=1), 1, atol=1e-5)
    scores = queries @ emb.T
    rank = (scores > scores[np.arange(100), rows][:, None]).sum(1)
    assert 0.2 < (rank == 0).mean() < 0.9 and (rank < 20).mean() > 0.9

    def ivf_recall(vecs: np.ndarray) -> float:
        exact = np.argsort(-(queries @ vecs.T), axis=1)[:, :10]
        faiss.omp_set_num_threads(1)
        ivf = faiss.index_factory(vecs.shape[1], "IVF32,Flat", faiss.METRIC_INNER_PRODUCT)
        ivf.train(vecs)
        ivf.add(vecs)
        _s, found = ivf.search(queries, 10)
        return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact.tolist(), found.tolist(), strict=True)]))

    random = np.random.default_rng(0).standard_normal(emb.shape).astype(np.float32)
    random /= np.linalg.norm(random, axis=1, keepdims=True)
    assert ivf_recall(emb) > 0.6 and ivf_recall(random) < 0.3
