"""Sharded flat index: per-part search merged exactly gives the unsharded index's runs, byte for byte."""

from __future__ import annotations

import os

import numpy as np
import pytest

from xqg_bench.core.atomic import atomic_write_json, save_npy_checked
from xqg_bench.core.signature import cache_key
from xqg_bench.encoders.base import Encoder
from xqg_bench.evaluate.runs import write_trec_run
from xqg_bench.retrieval.index import build_index, embedding_signature, write_index
from xqg_bench.retrieval.search import search
from xqg_bench.retrieval.shards import merge_topk, search_sharded, write_sharded_index


def _run_bytes(path, rankings) -> bytes:  # type: ignore[no-untyped-def]
    write_trec_run(str(path), rankings, tag="t")
    return path.read_bytes()


@pytest.fixture
def small_blocks():  # type: ignore[no-untyped-def]
    """FAISS searching in blocks of 128 database rows (1024 by default), so a small corpus has parts."""
    import faiss

    before = faiss.cvar.distance_compute_blas_database_bs
    faiss.cvar.distance_compute_blas_database_bs = 128
    yield
    faiss.cvar.distance_compute_blas_database_bs = before


def test_sharded_runs_are_byte_identical_on_mini(tiny_models, tmp_path, small_blocks):
    from xqg_bench.encoders import load_encoder
    from xqg_bench.experiment.pipeline import load_query_set

    qs = load_query_set("xqg-bench:mini/dev")
    enc = load_encoder(f"hf(model={tiny_models['bert']})")
    cache = str(tmp_path / "cache")
    info = build_index(enc, qs.docs, cache, progress=False)
    qids = [q.query_id for q in qs.queries]
    texts = [qs.texts[q] for q in qids]
    single = _run_bytes(tmp_path / "single.trec", search(info.path, enc, qids, texts, progress=False))
    assert single.count(b"\n") == 420 * 100
    emb_dir = os.path.join(cache, "embeddings", cache_key(embedding_signature(enc, qs.docs, 256)))
    ids = [d.doc_id for d in qs.docs]
    for parts in (1, 3, 7):
        out = tmp_path / f"sharded-{parts}"
        meta = write_sharded_index(str(out), emb_dir, ids, parts, {"signature": "s"})
        assert meta["parts"] == parts and meta["count"] == 909 and meta["block"] == 128
        ranked = search_sharded(str(out), enc, qids, texts, batch_size=100)
        assert _run_bytes(tmp_path / f"sharded-{parts}.trec", ranked) == single, parts


class FixedEncoder(Encoder):
    """Queries looked up in a table (for planted ties)."""

    spec = "fixed"

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        self.table = table

    @property
    def dim(self) -> int:
        return len(next(iter(self.table.values())))

    def encode_queries(self, texts):  # type: ignore[no-untyped-def]
        return np.stack([self.table[t] for t in texts]).astype(np.float32)

    def encode_passages(self, docs):  # type: ignore[no-untyped-def]
        raise NotImplementedError


def test_ties_at_the_cut_are_resolved_as_the_single_index_does(tmp_path, small_blocks):
    """Many passages share a vector (exactly tied scores straddle rank k): same hits, same order."""
    rng = np.random.default_rng(3)
    base = rng.integers(-4, 5, size=(40, 8)).astype(np.float32)  # small integers: exact float scores
    emb = base[rng.integers(0, 40, size=600)]
    ids = [f"d{n:04d}" for n in rng.permutation(600)]
    emb_dir = tmp_path / "emb"
    os.makedirs(emb_dir)
    for s in range(0, 600, 256):
        save_npy_checked(str(emb_dir / f"shard-{s // 256:05d}.npy"), emb[s : s + 256])
    atomic_write_json(str(emb_dir / "meta.json"), {"signature": "x", "count": 600, "dim": 8, "shards": 3})
    queries = {f"q{i}": rng.integers(-4, 5, size=8).astype(np.float32) for i in range(30)}
    enc = FixedEncoder(queries)
    write_index(str(tmp_path / "single"), emb, ids, {"signature": "x"})
    qids = list(queries)
    ranked = search(str(tmp_path / "single"), enc, qids, qids, depth=25)
    straddling = 0
    for qid in qids:  # the single index itself cuts ties by docid: the top 25 by (-score, docid)
        scores = emb @ queries[qid]
        want = sorted(range(600), key=lambda r: (-scores[r], ids[r]))[:25]
        assert [d for d, _s in ranked[qid]] == [ids[r] for r in want]
        straddling += int((scores >= scores[want[-1]]).sum() > 25)
    assert straddling > 20  # exact ties across rank 25 for most queries
    single = _run_bytes(tmp_path / "single.trec", ranked)
    for parts in (2, 5):
        write_sharded_index(str(tmp_path / f"p{parts}"), str(emb_dir), ids, parts, {"signature": "x"})
        ranked = search_sharded(str(tmp_path / f"p{parts}"), enc, qids, qids, depth=25)
        assert _run_bytes(tmp_path / f"p{parts}.trec", ranked) == single


def test_merge_orders_by_score_cuts_ties_by_docid_and_keeps_missing_last():
    a = (np.array([[3.0, 1.0]], np.float32), np.array([[0, 1]]))
    b = (np.array([[3.0, 2.0, -3.4e38]], np.float32), np.array([[0, 1, -1]]))
    docids = np.array([f"d{i:02d}" for i in range(12)], dtype=object)
    scores, rows = merge_topk([a, b], [0, 10], 4, docids)
    assert rows.tolist() == [[0, 10, 11, 1]] and scores.tolist() == [[3.0, 3.0, 2.0, 1.0]]
    scores, rows = merge_topk([a, b], [0, 10], 5, docids)
    assert rows.tolist()[0][-1] == -1
    docids[10] = "a"  # the tie at rank 1 is cut by docid: "a" (row 10) before "d00" (row 0)
    scores, rows = merge_topk([a, b], [0, 10], 1, docids)
    assert rows.tolist() == [[10]]


def test_parts_are_whole_blocks(tmp_path, small_blocks):
    emb_dir = tmp_path / "emb"
    os.makedirs(emb_dir)
    save_npy_checked(str(emb_dir / "shard-00000.npy"), np.ones((300, 4), np.float32))
    atomic_write_json(str(emb_dir / "meta.json"), {"signature": "x", "count": 300, "dim": 4, "shards": 1})
    ids = [f"d{i}" for i in range(300)]
    meta = write_sharded_index(str(tmp_path / "ix"), str(emb_dir), ids, 3, {"signature": "x"})
    assert meta["first_rows"] == [0, 128, 256]
    with pytest.raises(ValueError, match=r"parts must be in \[1, 3\]"):
        write_sharded_index(str(tmp_path / "ix2"), str(emb_dir), ids, 4, {"signature": "x"})
    assert not (tmp_path / "ix2").exists()


def test_not_a_sharded_index_is_named(tmp_path):
    atomic_write_json(str(tmp_path / "meta.json"), {"format": "other"})
    with pytest.raises(ValueError, match="not a sharded index"):
        search_sharded(str(tmp_path), FixedEncoder({"a": np.zeros(2)}), ["q"], ["a"])


@pytest.mark.parametrize("index_type", ["Flat", "IVF8,Flat", "IVF8,PQ4"])
def test_streamed_index_build_equals_the_in_memory_build(tmp_path, index_type):
    from xqg_bench.retrieval.index import write_index_streamed

    rng = np.random.default_rng(5)
    emb = rng.standard_normal((700, 16)).astype(np.float32)
    emb_dir = tmp_path / "emb"
    os.makedirs(emb_dir)
    for s in range(0, 700, 256):
        save_npy_checked(str(emb_dir / f"shard-{s // 256:05d}.npy"), emb[s : s + 256])
    atomic_write_json(str(emb_dir / "meta.json"), {"signature": "x", "count": 700, "dim": 16, "shards": 3})
    ids = [f"d{i}" for i in range(700)]
    write_index(str(tmp_path / "mem"), emb, ids, {"signature": "x"}, index_type)
    write_index_streamed(str(tmp_path / "str"), str(emb_dir), ids, {"signature": "x"}, index_type)
    for name in ("index", "docid", "meta.json"):
        assert (tmp_path / "mem" / name).read_bytes() == (tmp_path / "str" / name).read_bytes(), name
    with pytest.raises(ValueError, match="'d3' appears twice"):
        write_index_streamed(str(tmp_path / "dup"), str(emb_dir), ids[:699] + ["d3"], {"signature": "x"})


def test_missing_hits_are_not_ties():
    """An IVF probe with fewer than k hits pads with -1 rows: not a tie, no re-search of the whole index."""
    from xqg_bench.retrieval.search import exact_topk

    class Probe:
        ntotal = 1_000_000

        def __init__(self) -> None:
            self.asked: list[int] = []

        def search(self, q, kk):  # type: ignore[no-untyped-def]
            self.asked.append(kk)
            scores = np.full((1, kk), -3.4e38, np.float32)
            rows = np.full((1, kk), -1)
            scores[0, :3], rows[0, :3] = [3.0, 2.0, 1.0], [7, 8, 9]
            return scores, rows

    probe = Probe()
    scores, rows = exact_topk(probe, np.zeros((1, 4), np.float32), 10, np.array([str(i) for i in range(10)]))
    assert probe.asked == [26] and rows[0, :3].tolist() == [7, 8, 9] and (rows[0, 3:] == -1).all()


@pytest.mark.parametrize("chunk", [3, 1 << 20])
def test_linefile_reads_docids_as_pyserini_does(tmp_path, monkeypatch, chunk):
    """Line starts found chunk by chunk (a multi-byte character split across chunks), a last line without
    a newline, rows looked up one by one or as an array; not UTF-8: UnicodeDecodeError when opened."""
    from pyserini.search.faiss import FaissSearcher

    from xqg_bench.core.textfile import LineFile

    monkeypatch.setattr(LineFile, "CHUNK", chunk)
    path = tmp_path / "docid"
    path.write_bytes("a1\nélan\n東京-3\n\nz\n".encode() + b"last")
    want = FaissSearcher.load_docids(str(path))
    ids = LineFile(str(path))
    assert len(ids) == len(want) == 6 and list(ids) == want and ids[-1] == "last" and ids[1:3] == want[1:3]
    assert ids[np.array([[2, 0], [5, 1]])].tolist() == [[want[2], want[0]], [want[5], want[1]]]
    with pytest.raises(IndexError):
        ids[6]
    path.write_bytes(b"a\nb\n")
    assert list(LineFile(str(path))) == ["a", "b"] and len(LineFile(str(path))) == 2
    path.write_bytes(b"")
    assert len(LineFile(str(path))) == 0
    path.write_bytes(b"ok\nbad\xe5\n")
    with pytest.raises(UnicodeDecodeError):
        LineFile(str(path))


def test_streamed_build_takes_ids_from_a_file_or_a_generator(tmp_path):
    """The same index directory from a list of ids, a generator and a LineFile (no list of every id);
    a wrong count, a duplicate or a bad id is named and nothing is written."""
    from xqg_bench.core.textfile import LineFile
    from xqg_bench.retrieval.index import write_index_streamed

    rng = np.random.default_rng(6)
    emb = rng.standard_normal((300, 8)).astype(np.float32)
    emb_dir = tmp_path / "emb"
    os.makedirs(emb_dir)
    save_npy_checked(str(emb_dir / "shard-00000.npy"), emb)
    atomic_write_json(str(emb_dir / "meta.json"), {"signature": "x", "count": 300, "dim": 8, "shards": 1})
    ids = [f"d{i}" for i in range(300)]
    (tmp_path / "ids.txt").write_text("".join(f"{d}\n" for d in ids))
    write_index(str(tmp_path / "mem"), emb, ids, {"signature": "x"})
    sources = {"gen": (d for d in ids), "file": LineFile(str(tmp_path / "ids.txt"))}
    for name, source in sources.items():
        write_index_streamed(str(tmp_path / name), str(emb_dir), source, {"signature": "x"})
        for f in ("index", "docid", "meta.json"):
            assert (tmp_path / "mem" / f).read_bytes() == (tmp_path / name / f).read_bytes(), (name, f)
    bad = {
        "299 doc ids for 300 embeddings": (d for d in ids[:299]),
        "doc id 'd7' appears twice": (d for d in ids[:299] + ["d7"]),
        "doc id 'd 1' is empty or contains whitespace": (d for d in ["d 1", *ids[1:]]),
    }
    for message, source in bad.items():
        with pytest.raises(ValueError, match=message):
            write_index_streamed(str(tmp_path / "bad"), str(emb_dir), source, {"signature": "x"})
        assert not (tmp_path / "bad").exists()


def _search_argv(tiny_models, tmp_path, run: str, *extra: str) -> list[str]:
    out = str(tmp_path / "out")
    model = f"hf(model={tiny_models['bert']})"
    argv = ["search", "--dataset", "xqg-bench:mini/dev", "--encoder", model, "--output-dir", out, "--no-progress"]
    return [*argv, "--run", str(tmp_path / run), *extra]


def test_cli_sharded_search_writes_the_unsharded_run(tiny_models, tmp_path, small_blocks):
    from xqg_bench.run import main

    assert main(_search_argv(tiny_models, tmp_path, "whole.trec")) == 0
    whole = (tmp_path / "whole.trec").read_bytes()
    assert whole.count(b"\n") == 420 * 100
    assert main(_search_argv(tiny_models, tmp_path, "parts.trec", "--parts", "3")) == 0
    assert (tmp_path / "parts.trec").read_bytes() == whole
    [sharded] = os.listdir(tmp_path / "out" / "cache" / "sharded")
    meta = (tmp_path / "out" / "cache" / "sharded" / sharded / "part-00002" / "meta.json").read_text()
    assert '"first_row": 640' in meta  # 909 rows in blocks of 128: parts at rows 0, 256, 640
    assert main(_search_argv(tiny_models, tmp_path, "again.trec", "--parts", "3")) == 0  # the parts reused
    assert (tmp_path / "again.trec").read_bytes() == whole


def test_ray_sharded_search_writes_the_unsharded_run(tiny_models, tmp_path, small_blocks):
    """The parts searched as Ray tasks (a local Ray instance, one CPU; FAISS's block size set in each task)."""
    ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install -e '.[ray]'")
    from xqg_bench.run import main

    assert main(_search_argv(tiny_models, tmp_path, "whole.trec")) == 0
    ray.init(num_cpus=1, ignore_reinit_error=True, log_to_driver=False, include_dashboard=False)
    try:
        assert main(_search_argv(tiny_models, tmp_path, "ray.trec", "--parts", "5", "--backend", "ray")) == 0
    finally:
        ray.shutdown()
    assert (tmp_path / "ray.trec").read_bytes() == (tmp_path / "whole.trec").read_bytes()
