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
    from xqg_bench.index import load_embeddings
    from xqg_bench.ingest import ingest_passage_embeddings

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
