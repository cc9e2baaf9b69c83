"""Bring-your-own passage embeddings: Tevatron and Pyserini layouts give the run of our own encoding."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from xqg_bench.experiment.pipeline import RunConfig, load_query_set, run_pipeline
from xqg_bench.retrieval.index import load_embeddings

DATASET = "xqg-bench:mini/dev/ja"


def _ranked(path: str) -> list[tuple[str, ...]]:
    """A run's lines without the tag column (the tag names the system, which differs by design)."""
    with open(path, encoding="utf-8") as f:
        return [tuple(line.split()[:5]) for line in f]


@pytest.fixture(scope="module")
def encoded(tiny_models, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A baseline run + xQG run with the tiny model encoding passages itself, and its passage embeddings."""
    out = tmp_path_factory.mktemp("encoded")
    cfg = RunConfig(
        dataset=DATASET, encoder=f"hf(model={tiny_models['bert']})", output_dir=str(out), progress=False, variants=()
    )
    res = run_pipeline(cfg)
    emb_root = os.path.join(out, "cache", "embeddings")
    (key,) = os.listdir(emb_root)
    ids = [d.doc_id for d in load_query_set(DATASET).docs]
    return cfg, res, load_embeddings(os.path.join(emb_root, key)), ids


def write_tevatron(path, emb: np.ndarray, ids: list[str], cut: int = 400) -> None:  # type: ignore[no-untyped-def]
    """Two shards as the conversion of Tevatron's ``corpus_emb.N.pkl`` writes them."""
    os.makedirs(path, exist_ok=True)
    for n, (a, b) in enumerate([(0, cut), (cut, len(ids))]):
        np.save(os.path.join(path, f"corpus_emb.{n}.npy"), emb[a:b])
        with open(os.path.join(path, f"corpus_emb.{n}.ids.txt"), "w", encoding="utf-8") as f:
            f.writelines(f"{d}\n" for d in ids[a:b])


def write_pyserini_jsonl(path, emb: np.ndarray, ids: list[str], order=None) -> None:  # type: ignore[no-untyped-def]
    """``embeddings.jsonl`` exactly as pyserini.encode's JsonlRepresentationWriter writes it."""
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "embeddings.jsonl"), "w", encoding="utf-8") as f:
        for i in order if order is not None else range(len(ids)):
            f.write(json.dumps({"id": ids[i], "contents": "x", "vector": emb[i].tolist()}) + "\n")


def write_pyserini_faiss(path, emb: np.ndarray, ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    """``index`` + ``docid`` as pyserini.encode --to-faiss writes them."""
    import faiss

    os.makedirs(path, exist_ok=True)
    index = faiss.IndexFlatIP(emb.shape[1])
    index.add(np.ascontiguousarray(emb))
    faiss.write_index(index, os.path.join(path, "index"))
    with open(os.path.join(path, "docid"), "w", encoding="utf-8") as f:
        f.writelines(f"{d}\n" for d in ids)


@pytest.mark.parametrize("layout", ["tevatron", "pyserini-jsonl", "pyserini-jsonl-shuffled", "pyserini-faiss"])
def test_ingested_embeddings_give_the_same_runs_as_encoding(encoded, tmp_path, layout):
    cfg, res, emb, ids = encoded
    src = tmp_path / "emb"
    if layout == "tevatron":
        write_tevatron(src, emb, ids)
    elif layout == "pyserini-faiss":
        write_pyserini_faiss(src, emb, ids)
    else:
        order = np.random.default_rng(0).permutation(len(ids)) if layout.endswith("shuffled") else None
        write_pyserini_jsonl(src, emb, ids, order)
    fmt = layout.split("-")[0]
    out = tmp_path / "out"
    xqg = {} if layout == "tevatron" else {"xqg": None}  # xQG (augmenting the ingested vectors) once: it is slow
    cfg2 = RunConfig(
        **{**cfg.__dict__, "output_dir": str(out), "passage_embeddings": str(src), "embeddings_format": fmt, **xqg}
    )
    res2 = run_pipeline(cfg2)
    for name in res2.systems:
        assert _ranked(res2.systems[name].run_path) == _ranked(res.systems[name].run_path)
        assert len(_ranked(res.systems[name].run_path)) == 60 * 100
    assert len(res2.systems) == (2 if layout == "tevatron" else 1)
    meta_dirs = os.listdir(out / "cache" / "embeddings")
    meta = json.loads((out / "cache" / "embeddings" / meta_dirs[0] / "ingested.json").read_text())
    assert meta["format"] == fmt and len(meta["sha256"]) == 64
    assert "ingested(format=" + fmt in res2.systems["baseline"].signature


def _bad(kind: str, src, emb: np.ndarray, ids: list[str]) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Write a damaged Tevatron/Pyserini directory; return (the file the error must name, a phrase of the fix)."""
    if kind == "count":
        write_tevatron(src, emb[:-3], ids[:-3])
        return str(src), "encode the whole corpus"
    if kind == "dimension":
        write_tevatron(src, emb, ids)
        np.save(os.path.join(src, "corpus_emb.1.npy"), np.zeros((len(ids) - 400, emb.shape[1] + 1), np.float32))
        return os.path.join(src, "corpus_emb.1.npy"), "same model"
    if kind == "docid":
        write_pyserini_jsonl(src, emb, ids[:5] + ["NOT-A-PASSAGE"] + ids[6:])
        return os.path.join(src, "embeddings.jsonl") + ", line 6", "another corpus"
    if kind == "nan":
        bad = emb.copy()
        bad[450, 3] = np.nan
        write_tevatron(src, bad, ids)
        return os.path.join(src, "corpus_emb.1.npy") + ", row 50", "re-encode"
    if kind == "nan-jsonl":
        with_nan = emb.copy()
        with_nan[7, 0] = np.inf
        write_pyserini_jsonl(src, with_nan, ids)
        return os.path.join(src, "embeddings.jsonl") + ", line 8", "re-encode"
    if kind == "rows-vs-ids":
        write_tevatron(src, emb, ids)
        with open(os.path.join(src, "corpus_emb.0.ids.txt"), "a", encoding="utf-8") as f:
            f.write("extra\n")
        return os.path.join(src, "corpus_emb.0.ids.txt"), "one doc id per vector row"
    if kind == "pickle":
        os.makedirs(src)
        (src / "corpus_emb.0.pkl").write_bytes(b"\x80\x04")
        return str(src / "corpus_emb.0.pkl"), "pickle.load"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["count", "dimension", "docid", "nan", "nan-jsonl", "rows-vs-ids", "pickle"])
def test_bad_embedding_files_name_the_file_and_the_fix_and_write_nothing(encoded, tmp_path, capsys, kind):
    from xqg_bench.run import main

    cfg, _res, emb, ids = encoded
    src = tmp_path / "emb"
    where, fix = _bad(kind, src, emb, ids)
    fmt = "pyserini" if "jsonl" in kind or kind == "docid" else "tevatron"
    out = tmp_path / "out"
    argv = ["--dataset", DATASET, "--encoder", cfg.encoder, "--output-dir", str(out), "--no-progress"]
    argv += ["--no-variants", "--no-xqg", "--passage-embeddings", str(src), "--embeddings-format", fmt]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert where in err and fix in err, err
    cache = out / "cache" / "embeddings"
    assert not cache.exists() or not [p for p in os.listdir(cache) if not p.startswith(".")]


def test_wrong_dimension_against_the_query_encoder_is_named_first(encoded, tmp_path):
    from xqg_bench.encoders import load_encoder
    from xqg_bench.retrieval.ingest import ingest_passage_embeddings

    cfg, _res, emb, ids = encoded
    write_tevatron(tmp_path / "emb", np.zeros((len(ids), 8), np.float32), ids)
    docs = load_query_set(DATASET).docs
    with pytest.raises(ValueError, match=r"corpus_emb\.0\.npy: 8-dimensional vectors, but the query encoder gives 32"):
        ingest_passage_embeddings(str(tmp_path / "emb"), "tevatron", docs, load_encoder(cfg.encoder), str(tmp_path))
