"""Approximate indexes against Flat: the recall of an exact ranking, and benchmarks/approximate_mini.py on mini
with a tiny model (every documented index type gets a row; Flat is its own reference; R@kt as the harness scores)."""

from __future__ import annotations

import importlib.util
import os

import pytest

from xqg_bench.evaluate.runs import recall_of_reference
from xqg_bench.experiment.scoring import score_run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_recall_of_reference_counts_the_reference_top_k_found():
    ref = {"q1": [("a", 3.0), ("b", 2.0), ("c", 1.0)], "q2": [("x", 1.0), ("y", 0.5)]}
    other = {"q1": [("c", 9.0), ("a", 8.0), ("z", 7.0)]}  # q2 missing: counts 0
    assert recall_of_reference(ref, other, 3) == pytest.approx((2 / 3 + 0) / 2)
    assert recall_of_reference(ref, other, 1) == 0.0  # "a" is not in the other top-1
    assert recall_of_reference(ref, ref, 100) == 1.0
    with pytest.raises(ValueError, match="no queries"):
        recall_of_reference({}, other, 10)


def _benchmark():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "approximate_mini", os.path.join(ROOT, "benchmarks", "approximate_mini.py")
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_index_types_are_sized_by_the_corpus():
    bench = _benchmark()
    assert bench.index_types(909, 384) == ["Flat", "IVF30,Flat", "IVF30,PQ48", "HNSW32"]
    assert bench.index_types(909, 100) == ["Flat", "IVF30,Flat", "IVF30,PQ10", "HNSW32"]  # PQ m divides dim


def test_approximate_mini_rows_per_index_type(tiny_models, tmp_path, capsys):
    bench = _benchmark()
    work = str(tmp_path / "work")
    argv = ["--work", work, "--dataset", "xqg-bench:mini/dev/ja", "--encoder", f"hf(model={tiny_models['bert']})"]
    types = ["Flat", "IVF30,Flat", "HNSW32"]  # the default's IVF-PQ adds seconds of PQ training (index_types above)
    rows = bench.main([*argv, "--baseline-only", "--index-types", ";".join(types)])
    out = capsys.readouterr().out
    assert [r["index"] for r in rows] == types
    flat = rows[0]
    assert flat["recall@100_of_flat"] == 1.0 and flat["dR@2kt"] == 0.0 and flat["dR@5kt"] == 0.0
    assert flat["returned"] == 100.0 and rows[2]["returned"] == 100.0  # Flat and HNSW fill the depth
    for r in rows:
        assert 0.0 <= r["recall@100_of_flat"] <= 1.0
        assert r["dR@2kt"] == pytest.approx(r["R@2kt"] - flat["R@2kt"])
        cells = f"| {r['index']} | {r['returned']:.1f} | {r['recall@100_of_flat']:.4f} | {r['R@2kt']:.2f} |"
        assert f"| xqg-bench:mini/dev/ja | baseline {cells}" in out
    # IVF searched with nprobe 1 returns one list of ~30 passages: it cannot hold the exact top-100
    assert rows[1]["returned"] < 100 and rows[1]["recall@100_of_flat"] <= rows[1]["returned"] / 100 + 1e-9
    # R@kt is the harness's: the written Flat run scored by the score command's library function
    flat_run = os.path.join(work, "runs", "xqg-bench-mini-dev-ja.baseline.Flat.trec")
    table = score_run(flat_run, "xqg-bench:mini/dev/ja", (), (2000, 5000)).table
    assert table.loc["avg", "R@2kt"] == pytest.approx(flat["R@2kt"])
    assert table.loc["avg", "R@5kt"] == pytest.approx(flat["R@5kt"])
    # a second invocation encodes nothing (the passage-embedding cache is untouched) and gives the same rows
    emb = os.path.join(work, "cache", "embeddings")

    def stamps() -> dict[str, int]:
        return {os.path.join(r, f): os.stat(os.path.join(r, f)).st_mtime_ns for r, _d, fs in os.walk(emb) for f in fs}

    before = stamps()
    assert any(f.endswith(".npy") for f in before)
    assert bench.main([*argv, "--baseline-only", "--index-types", ";".join(types)]) == rows
    assert stamps() == before
