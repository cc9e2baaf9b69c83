"""Caches are verified when reused, and experiments into one directory never overwrite each other.

Every cached artefact carries a checksum written when it was completed; a damaged one is named on
stderr and rebuilt (never used), and the outputs are byte-identical to those of an undamaged run.
"""

import json
import os
import shutil

import numpy as np
import pytest
from conftest import file_tree

from xqg_bench.run import main


def argv_for(tiny_models, out, *extra):
    argv = ["--dataset", "xqg-bench:mini/dev/ja", "--encoder", f"hf(model={tiny_models['bert']})", "--xqg-n", "1"]
    argv += ["--xqg-langs", "ja,ko", "--no-variants", "--samples", "200", "--shard-size", "256", "--no-progress"]
    return [*argv, "--output-dir", str(out), *extra]


@pytest.fixture(scope="module")
def reference(tmp_path_factory, tiny_models):
    out = tmp_path_factory.mktemp("ref") / "out"
    assert main(argv_for(tiny_models, out)) == 0
    return out, file_tree(out)


def _flip(path, offset=-5):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def _swap_lines(path, a=0, b=1):
    lines = path.read_bytes().splitlines(keepends=True)
    lines[a], lines[b] = lines[b], lines[a]
    path.write_bytes(b"".join(lines))


def test_every_damaged_cache_kind_is_named_and_rebuilt_never_used(reference, tiny_models, tmp_path, capsys):
    ref_dir, ref = reference
    out = tmp_path / "out"
    shutil.copytree(ref_dir, out)
    cache = out / "cache"
    one = {kind: next(iter(sorted((cache / kind).iterdir()))) for kind in ("embeddings", "generated", "qembeddings")}
    one["augmented"] = next(iter(sorted((cache / "augmented").iterdir())))
    indexes = sorted((cache / "indexes").iterdir())
    damaged = {
        "embedding shard": one["embeddings"] / "shard-00001.npy",
        "embedding meta.json": one["embeddings"] / "meta.json",
        "generated shard": one["generated"] / "shard-00000.jsonl",
        "generation manifest": one["generated"] / "manifest.json",
        "query-embedding shard": one["qembeddings"] / "qemb-00002.npy",
        "query counts": one["qembeddings"] / "qcount-00001.npy",
        "query-embedding store": sorted((cache / "queries").glob("*.npy"))[0],
        "augmented shard": one["augmented"] / "shard-00003.npy",
        "FAISS index": indexes[0] / "index",
        "docid file": indexes[1] / "docid",
    }
    # every search result damaged: each search runs again, so the query encoders read their stores
    for i, d in enumerate(sorted((cache / "search").iterdir())):
        damaged[f"search scores {i}"] = d / "scores.npy"
        _flip(d / "scores.npy")
    damaged["search rows"] = d / "rows.npy"
    _flip(d / "rows.npy")
    _flip(damaged["embedding shard"])
    damaged["embedding meta.json"].write_text("{broken", encoding="utf-8")
    _swap_lines(damaged["generated shard"])  # queries attached to the wrong passages
    m = json.loads(damaged["generation manifest"].read_text(encoding="utf-8"))
    m["queries"] += 1
    damaged["generation manifest"].write_text(json.dumps(m), encoding="utf-8")
    _flip(damaged["query-embedding shard"])
    _flip(damaged["query counts"])
    store = damaged["query-embedding store"]
    store.write_bytes(b"\x00" * 64 + store.read_bytes()[64:])  # zeroed .npy header
    _flip(damaged["augmented shard"])
    _flip(damaged["FAISS index"], 200)
    _swap_lines(damaged["docid file"], 3, 4)
    assert main(argv_for(tiny_models, out)) == 0
    err = capsys.readouterr().err
    for kind, path in damaged.items():
        assert f"{path}:" in err, (kind, [x for x in err.splitlines() if "warning" in x])  # named ...
        assert path.exists(), kind  # ... and rebuilt
    now = file_tree(out)
    assert sorted(now) == sorted(ref)
    assert [k for k in now if now[k] != ref[k]] == []  # every damaged file rebuilt byte for byte


def test_generated_records_are_checked_against_their_passages(reference, tiny_models, tmp_path, capsys):
    """Lines reordered and the checksum recomputed to match: the docid check still finds it."""
    from xqg_bench.core.atomic import write_checked

    ref_dir, ref = reference
    out = tmp_path / "out"
    shutil.copytree(ref_dir, out)
    gen = next(iter((out / "cache" / "generated").iterdir()))
    shard = gen / "shard-00001.jsonl"
    lines = shard.read_bytes().splitlines(keepends=True)
    lines[0], lines[1] = lines[1], lines[0]
    write_checked(str(shard), b"".join(lines))
    first, second = (json.loads(line)["docid"] for line in lines[:2])
    assert main(argv_for(tiny_models, out)) == 0
    err = capsys.readouterr().err
    assert f"{shard}: record 1 is for docid {first!r}, its passage is {second!r}" in err
    assert file_tree(out) == ref


def test_a_second_configuration_into_the_same_directory_keeps_both(reference, tiny_models, tmp_path, capsys):
    ref_dir, ref = reference
    out = tmp_path / "out"
    shutil.copytree(ref_dir, out)
    first = json.loads((out / "index.json").read_text(encoding="utf-8"))
    assert main(argv_for(tiny_models, out, "--alpha", "0.02")) == 0
    assert "warning" not in capsys.readouterr().err  # the shared caches are reused as they are
    now = file_tree(out)
    changed = [k for k in ref if k not in ("index.json", "INDEX.md") and now.get(k) != ref[k]]
    assert changed == []  # nothing of the first experiment replaced
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    assert len(index["experiments"]) == 2 and first["latest"] in index["experiments"]
    second = index["latest"]
    assert second != first["latest"] and index["experiments"][second]["config"]["xqg_aug"].startswith("xqg(alpha=0.02")
    boards = [e["files"]["leaderboard.md"] for e in index["experiments"].values()]
    assert len(set(boards)) == 2 and all(os.path.isfile(out / b) for b in boards)
    assert second in (out / "INDEX.md").read_text(encoding="utf-8")


def test_damaged_index_files_are_named_without_traceback(reference, tiny_models, tmp_path):
    from xqg_bench.core.atomic import load_npy, read_json
    from xqg_bench.encoders import load_encoder
    from xqg_bench.retrieval.index import read_index_meta
    from xqg_bench.retrieval.search import search

    ref_dir, _ref = reference
    index = tmp_path / "index"
    shutil.copytree(next(iter((ref_dir / "cache" / "indexes").iterdir())), index)
    enc = load_encoder(f"hf(model={tiny_models['bert']})")
    data = (index / "index").read_bytes()
    for damage in (data[: len(data) // 2], b"not a faiss index at all"):  # truncated, not FAISS
        (index / "index").write_bytes(damage)
        with pytest.raises(ValueError, match=f"{index}/index is not a readable FAISS index") as e:
            search(str(index), enc, ["q1"], ["Helsinki"])
        assert "delete it and rebuild" in str(e.value)
    (index / "meta.json").write_text('{"signature": ', encoding="utf-8")
    with pytest.raises(ValueError, match=f"{index}/meta.json: index metadata is not valid JSON"):
        read_index_meta(str(index))
    (index / "deep.json").write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(ValueError, match="deep.json: cache metadata is not valid JSON"):
        read_json(str(index / "deep.json"))
    npy = tmp_path / "zero.npy"
    np.save(npy, np.ones((3, 4), np.float32))
    npy.write_bytes(b"\x00" * 16 + npy.read_bytes()[16:])
    with pytest.raises(ValueError) as e:
        load_npy(str(npy), str(npy))
    assert str(npy) in str(e.value) and "pickle" not in str(e.value)


def test_variant_texts_are_cached_checked_and_rebuilt(tiny_models, tmp_path, capsys):
    """A warm run reads each variant's texts back from cache/variants/ (checked); damage is named and rebuilt."""
    import ir_datasets

    out = tmp_path / "out"
    argv = [a for a in argv_for(tiny_models, out) if a != "--no-variants"]
    argv += ["--variant", "typo(kind=keyboard,n=1,seed=13)", "--seeds", "1"]
    assert main(argv) == 0
    ref = file_tree(out)
    (cached,) = sorted((out / "cache" / "variants").glob("*.json"))
    texts = json.loads(cached.read_text(encoding="utf-8"))["texts"]
    fresh = ir_datasets.load("xqg-bench:mini/dev/ja/typo(kind=keyboard,n=1,seed=13)").queries_iter()
    assert texts == {q.query_id: q.text for q in fresh}
    _flip(cached)
    capsys.readouterr()
    assert main(argv) == 0
    assert f"{cached}:" in capsys.readouterr().err
    now = file_tree(out)
    assert [k for k in now if now[k] != ref[k]] == [] and sorted(now) == sorted(ref)
