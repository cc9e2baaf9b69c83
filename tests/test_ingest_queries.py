"""Bring-your-own generated-query embeddings (xQG): one vector per generated query, or per-passage sums,
give the run of generating and encoding them ourselves; bad files are refused before anything is written."""

from __future__ import annotations

import glob
import json
import os

import numpy as np
import pytest

from xqg_bench.experiment.pipeline import RunConfig, load_query_set, run_pipeline
from xqg_bench.xqg.system import XqgConfig

DATASET = "xqg-bench:mini/dev/ja"
LANGS = ("ja", "ko")


def _columns(path: str) -> bytes:
    """A run file's bytes without the tag column (the tag names the system, which says where the vectors came from)."""
    with open(path, "rb") as f:
        return b"".join(b" ".join(line.split(b" ")[:5]) + b"\n" for line in f)


def _generated(out) -> list[tuple[str, str, int, str]]:  # type: ignore[no-untyped-def]
    """(doc id, lang, j, text) of every generated query of the built-in run, in (passage, language, j) order."""
    (gen_dir,) = glob.glob(os.path.join(out, "cache", "generated", "*"))
    rows = []
    for shard in sorted(glob.glob(os.path.join(gen_dir, "shard-*.jsonl"))):
        with open(shard, encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                for lang in LANGS:
                    rows += [(rec["docid"], lang, j, q) for j, q in enumerate(rec["generated_queries"].get(lang, []))]
    return rows


@pytest.fixture(scope="module")
def builtin(tiny_models, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Built-in xQG runs (every query embedding kept, and the per-language sums store) with a tiny model, and the
    embeddings of its generated queries encoded again by the same model, as the encoding stage encodes them
    (each distinct text once, in sorted order)."""
    from xqg_bench.encoders import load_encoder

    out = tmp_path_factory.mktemp("builtin")
    xqg = XqgConfig(langs=LANGS, n=2)
    cfg = RunConfig(
        dataset=DATASET, encoder=f"hf(model={tiny_models['bert']})", output_dir=str(out), progress=False,
        variants=(), xqg=xqg,
    )  # fmt: skip
    res = run_pipeline(cfg)
    res_sums = run_pipeline(RunConfig(**{**cfg.__dict__, "xqg": xqg._replace(query_store="sums")}))
    rows = _generated(out)
    texts = sorted({r[3] for r in rows})
    vecs = load_encoder(cfg.encoder).encode_queries(texts)
    at = {t: k for k, t in enumerate(texts)}
    emb = vecs[[at[r[3]] for r in rows]]
    return cfg, res, res_sums, rows, emb


def _ids(rows) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{d}\t{lang}\t{j}" for d, lang, j, _t in rows]


def write_npy(path, emb: np.ndarray, ids: list[str], order=None, safetensors: bool = False) -> None:  # type: ignore[no-untyped-def]
    """``npy`` layout: two shards (the second safetensors if asked) + docids.txt, rows in ``order``."""
    order = np.arange(len(ids)) if order is None else order
    os.makedirs(path, exist_ok=True)
    cut = len(order) // 3
    np.save(os.path.join(path, "qemb-0.npy"), emb[order[:cut]])
    if safetensors:
        from safetensors.numpy import save_file

        save_file({"embeddings": np.ascontiguousarray(emb[order[cut:]])}, os.path.join(path, "qemb-1.safetensors"))
    else:
        np.save(os.path.join(path, "qemb-1.npy"), emb[order[cut:]])
    with open(os.path.join(path, "docids.txt"), "w", encoding="utf-8") as f:
        f.writelines(f"{ids[i]}\n" for i in order)


def write_tevatron(path, emb: np.ndarray, ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Two shards as the conversion of Tevatron's pickles writes them (``<stem>.npy`` + ``<stem>.ids.txt``)."""
    os.makedirs(path, exist_ok=True)
    cut = len(ids) // 2
    for n, (a, b) in enumerate([(0, cut), (cut, len(ids))]):
        np.save(os.path.join(path, f"query_emb.{n}.npy"), emb[a:b])
        with open(os.path.join(path, f"query_emb.{n}.ids.txt"), "w", encoding="utf-8") as f:
            f.writelines(f"{d}\n" for d in ids[a:b])


def write_pyserini(path, emb: np.ndarray, ids: list[str], texts: list[str]) -> None:  # type: ignore[no-untyped-def]
    """``embeddings.jsonl`` as pyserini.encode writes it for a JSONL of generated queries."""
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "embeddings.jsonl"), "w", encoding="utf-8") as f:
        for i, t, v in zip(ids, texts, emb, strict=True):
            f.write(json.dumps({"id": i, "contents": t, "vector": v.tolist()}, ensure_ascii=False) + "\n")


def per_language_sums(rows, emb: np.ndarray, with_lang: bool = True):  # type: ignore[no-untyped-def]
    """Sums of the query embeddings per passage and language (float64, stored as float32), their ids and counts."""
    keys = list(dict.fromkeys((d, lang) if with_lang else (d,) for d, lang, _j, _t in rows))
    at = {k: i for i, k in enumerate(keys)}
    owner = np.asarray([at[(d, lang) if with_lang else (d,)] for d, lang, _j, _t in rows])
    sums = np.zeros((len(keys), emb.shape[1]), np.float64)
    np.add.at(sums, owner, emb.astype(np.float64))
    return sums.astype(np.float32), ["\t".join(k) for k in keys], np.bincount(owner, minlength=len(keys))


def _xqg_run(cfg, src, fmt: str, out=None):  # type: ignore[no-untyped-def]
    return run_pipeline(
        RunConfig(**{**cfg.__dict__, "query_embeddings": str(src), "query_embeddings_format": fmt,
                     **({"output_dir": str(out)} if out else {})})
    )  # fmt: skip


@pytest.mark.parametrize("layout", ["npy-shuffled-safetensors", "pyserini"])
def test_supplied_query_embeddings_give_the_run_of_encoding_them(builtin, tmp_path, layout):
    cfg, res, _res_sums, rows, emb = builtin
    src = tmp_path / "qemb"
    if layout == "pyserini":
        write_pyserini(src, emb, _ids(rows), [r[3] for r in rows])
    else:
        write_npy(src, emb, _ids(rows), np.random.default_rng(1).permutation(len(rows)), safetensors=True)
    res2 = _xqg_run(cfg, src, layout.split("-")[0])
    xqg, xqg2 = res.systems["xqg"], res2.systems["xqg"]
    assert xqg2.run_path != xqg.run_path  # another key: the run names the supplied files
    assert _columns(xqg2.run_path) == _columns(xqg.run_path)
    assert len(_columns(xqg.run_path).splitlines()) == 60 * 100
    assert "supplied(kind=queries,format=" in xqg2.signature
    assert _columns(res2.systems["baseline"].run_path) == _columns(res.systems["baseline"].run_path)
    # the augmented vectors differ from the baseline's: the supplied vectors were used
    assert _columns(xqg.run_path) != _columns(res.systems["baseline"].run_path)


def test_supplied_per_language_sums_give_the_run_of_the_sums_store(builtin, tmp_path):
    cfg, _res, res_sums, rows, emb = builtin
    sums, ids, counts = per_language_sums(rows, emb)
    src = tmp_path / "qsums"
    write_tevatron(src, sums, ids)
    (src / "counts.txt").write_text("".join(f"{c}\n" for c in counts), encoding="utf-8")
    res2 = _xqg_run(cfg, src, "tevatron")
    assert _columns(res2.systems["xqg"].run_path) == _columns(res_sums.systems["xqg"].run_path)
    assert "supplied(kind=sums,format=tevatron" in res2.systems["xqg"].signature


def test_per_passage_sums_make_a_one_language_sums_store(builtin, tmp_path):
    from xqg_bench.core.atomic import load_npy_checked
    from xqg_bench.retrieval.ingest import SuppliedQueries

    cfg, _res, _res_sums, rows, emb = builtin
    sums, ids, counts = per_language_sums(rows, emb, with_lang=False)
    src = tmp_path / "qsums"
    write_npy(src, sums, ids)
    (src / "counts.txt").write_text("".join(f"{c}\n" for c in counts), encoding="utf-8")
    docs = load_query_set(DATASET).docs
    supplied = SuppliedQueries(str(src), "npy", docs, emb.shape[1], str(tmp_path / "cache"), 256)
    out = supplied.write(progress=False)
    meta = json.loads((tmp_path / "cache" / "qembeddings" / os.path.basename(out) / "meta.json").read_text())
    assert meta["langs"] == ["all"] and meta["store"] == "sums" and meta["shards"] == 4
    assert meta["per_lang"]["all"]["queries"] == len(rows) == counts.sum()
    first = load_npy_checked(os.path.join(out, "qemb-00000.npy"))
    assert first.shape == (256, 1, emb.shape[1]) and np.array_equal(first[:, 0], sums[:256])
    assert load_npy_checked(os.path.join(out, "qcount-00000.npy"))[:, 0].tolist() == counts[:256].tolist()
    # a changed file is another store, never the cached one
    (src / "counts.txt").write_text("".join(f"{c + 1}\n" for c in counts), encoding="utf-8")
    again = SuppliedQueries(str(src), "npy", docs, emb.shape[1], str(tmp_path / "cache"), 256)
    assert again.dir != out and not again.cached()


def _bad(kind: str, src, rows, emb: np.ndarray) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    """Write damaged files; return (format, what the error must name, a phrase of the fix)."""
    ids = _ids(rows)
    docids = os.path.join(src, "docids.txt")
    if kind == "rows-vs-ids":
        write_tevatron(src, emb, ids)
        with open(os.path.join(src, "query_emb.1.ids.txt"), "a", encoding="utf-8") as f:
            f.write(f"{rows[0][0]}\tja\t9\n")
        return "tevatron", os.path.join(src, "query_emb.1.ids.txt"), "one doc id per vector row"
    if kind == "dimension":
        write_npy(src, np.zeros((len(ids), emb.shape[1] + 2), np.float32), ids)
        return "npy", os.path.join(src, "qemb-0.npy") + ": 34-dimensional", "with the model that embeds the passages"
    if kind == "docid":
        write_npy(src, emb, ids[:6] + ["NOT-A-PASSAGE\tja\t0"] + ids[7:])
        return "npy", docids + ", line 7", "another corpus"
    if kind == "missing":
        keep = [k for k, r in enumerate(rows) if r[0] != rows[-1][0]]
        write_npy(src, emb[keep], [ids[k] for k in keep])
        return "npy", f"passages have none (first: {rows[-1][0]!r})", "every passage"
    if kind == "duplicate":
        write_npy(src, emb, ids[:10] + [ids[3]] + ids[11:])
        return "npy", docids + ", line 11: the same id as " + docids + ", line 4", "one vector per generated query"
    if kind == "gap":
        d, lang, _j, _t = rows[0]
        write_npy(src, emb, [f"{d}\t{lang}\t5"] + ids[1:])
        return "npy", docids + f", line 2: passage {d!r} has a query 1 in {lang} but no query 0", "without gaps"
    if kind == "gap-in-order":  # rows in (passage, language, j) order are not sorted: checked as they are
        d, lang, _j, _t = rows[1]
        write_npy(src, emb, ids[:1] + [f"{d}\t{lang}\t2"] + ids[2:])
        return "npy", docids + f", line 2: passage {d!r} has a query 2 in {lang} but no query 1", "without gaps"
    if kind == "sums-duplicate":
        sums, sids, counts = per_language_sums(rows, emb)
        write_npy(src, sums, sids[:5] + sids[4:5] + sids[6:])
        (src / "counts.txt").write_text("".join(f"{c}\n" for c in counts), encoding="utf-8")
        return "npy", docids + ", line 6: the same id as " + docids + ", line 5", "one vector per passage and language"
    if kind == "id-form":
        write_npy(src, emb, ids[:2] + [ids[2].replace("\t", " ")] + ids[3:])
        return "npy", docids + ", line 3", "separated by one tab"
    if kind == "nan":
        bad = emb.copy()
        bad[len(ids) // 2 + 7, 1] = np.nan
        write_tevatron(src, bad, ids)
        return "tevatron", os.path.join(src, "query_emb.1.npy") + ", row 7", "re-encode"
    if kind == "inf-jsonl":
        bad = emb.copy()
        bad[4, 0] = np.inf
        write_pyserini(src, bad, ids, [r[3] for r in rows])
        return "pyserini", os.path.join(src, "embeddings.jsonl") + ", line 5", "re-encode"
    if kind == "sums-counts":
        sums, sids, counts = per_language_sums(rows, emb)
        write_npy(src, sums, sids)
        with open(os.path.join(src, "counts.txt"), "w", encoding="utf-8") as f:
            f.writelines(f"{c}\n" for c in counts[:-1])
        return "npy", os.path.join(src, "counts.txt") + f": {len(counts) - 1} counts for {len(counts)}", "one count"
    if kind == "sums-zero":
        sums, sids, counts = per_language_sums(rows, emb)
        write_npy(src, sums, sids)
        with open(os.path.join(src, "counts.txt"), "w", encoding="utf-8") as f:
            f.writelines(f"{c if k != 2 else 0}\n" for k, c in enumerate(counts))
        return "npy", os.path.join(src, "counts.txt") + ", line 3", "the number (>= 1)"
    raise AssertionError(kind)


BAD = ["rows-vs-ids", "dimension", "docid", "missing", "duplicate", "gap", "id-form", "nan", "inf-jsonl"]


@pytest.mark.parametrize("kind", [*BAD, "gap-in-order", "sums-counts", "sums-zero", "sums-duplicate"])
def test_bad_query_embedding_files_name_the_file_and_the_fix_and_write_nothing(builtin, tmp_path, capsys, kind):
    from xqg_bench.run import main

    cfg, _res, _res_sums, rows, emb = builtin
    src = tmp_path / "qemb"
    fmt, where, fix = _bad(kind, src, rows, emb)
    out = tmp_path / "out"
    argv = ["--dataset", DATASET, "--encoder", cfg.encoder, "--output-dir", str(out), "--no-progress", "--no-variants"]
    argv += ["--xqg-langs", ",".join(LANGS), "--xqg-n", "2"]
    argv += ["--query-embeddings", str(src), "--query-embeddings-format", fmt]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert where in err and fix in err, err
    written = [p for p in glob.glob(os.path.join(out, "**"), recursive=True) if os.path.isfile(p)]
    assert not [p for p in written if "/cache/variants/" not in p], written


def test_query_embeddings_need_an_xqg_system(builtin, tmp_path, capsys):
    from xqg_bench.run import main

    cfg, _res, _res_sums, rows, emb = builtin
    write_npy(tmp_path / "qemb", emb, _ids(rows))
    argv = ["--dataset", DATASET, "--encoder", cfg.encoder, "--output-dir", str(tmp_path / "out"), "--no-progress"]
    argv += ["--no-variants", "--no-xqg", "--query-embeddings", str(tmp_path / "qemb")]
    assert main(argv) == 2
    assert "drop --no-xqg" in capsys.readouterr().err


def test_the_command_line_recreates_supplied_query_embeddings():
    from xqg_bench.run import main_parser, run_argv, run_config

    cfg = RunConfig(query_embeddings="q dir", query_embeddings_format="pyserini", passage_embeddings="p")
    argv = run_argv(cfg)
    assert argv[argv.index("--query-embeddings") + 1] == "q dir"
    assert run_config(main_parser().parse_args(argv[3:])) == cfg


def test_supplied_passage_and_query_embeddings_together(builtin, tmp_path):
    """Both sides made elsewhere: the encoder only encodes the questions."""
    from xqg_bench.retrieval.index import load_embeddings

    cfg, res, _res_sums, rows, emb = builtin
    (key,) = os.listdir(os.path.join(cfg.output_dir, "cache", "embeddings"))
    passages = load_embeddings(os.path.join(cfg.output_dir, "cache", "embeddings", key))
    doc_ids = [d.doc_id for d in load_query_set(DATASET).docs]
    os.makedirs(tmp_path / "p")
    np.save(tmp_path / "p" / "corpus_emb.0.npy", passages)
    (tmp_path / "p" / "corpus_emb.0.ids.txt").write_text("".join(f"{d}\n" for d in doc_ids), encoding="utf-8")
    write_npy(tmp_path / "q", emb, _ids(rows))
    res2 = run_pipeline(
        RunConfig(**{**cfg.__dict__, "output_dir": str(tmp_path / "out"), "passage_embeddings": str(tmp_path / "p"),
                     "embeddings_format": "tevatron", "query_embeddings": str(tmp_path / "q")})
    )  # fmt: skip
    for name in ("baseline", "xqg"):
        assert _columns(res2.systems[name].run_path) == _columns(res.systems[name].run_path)
    assert not os.path.exists(tmp_path / "out" / "cache" / "generated")  # nothing generated, nothing encoded
    assert "ingested(format=tevatron" in res2.systems["xqg"].signature


def test_streamed_corpus_and_shard_cut(mirror, tmp_path):
    """On the streamed XOR-TyDi corpus (doc ids read from the TSV, never a list of docs) with 2-passage shards:
    rows in any order land in (passage, language, j) order, cut like the passage shards."""
    from xqg_bench.core.atomic import load_npy_checked
    from xqg_bench.retrieval.ingest import SuppliedQueries

    docs = load_query_set("xqg-bench:xor-tydi/dev").docs
    assert docs.streams and list(docs.ids()) == ["1", "2", "10"]
    ids = ["10\tko\t0", "1\tja\t1", "2\tja\t0", "1\tja\t0", "1\tko\t0"]
    emb = np.arange(5 * 4, dtype=np.float32).reshape(5, 4)
    write_npy(tmp_path / "q", emb, ids)
    supplied = SuppliedQueries(str(tmp_path / "q"), "npy", docs, 4, str(tmp_path / "cache"), 2, lang_order=("ja",))
    out = supplied.write(progress=False)
    assert load_npy_checked(os.path.join(out, "qcount-00000.npy")).tolist() == [[2, 1], [1, 0]]
    assert load_npy_checked(os.path.join(out, "qcount-00001.npy")).tolist() == [[0, 1]]
    assert np.array_equal(load_npy_checked(os.path.join(out, "qemb-00000.npy")), emb[[3, 1, 4, 2]])
    assert np.array_equal(load_npy_checked(os.path.join(out, "qemb-00001.npy")), emb[[0]])
    write_npy(tmp_path / "bad", emb, ids[:4] + ["3\tko\t0"])
    with pytest.raises(ValueError, match=r"docids\.txt, line 5: doc id '3' is not in xor-tydi"):
        SuppliedQueries(str(tmp_path / "bad"), "npy", docs, 4, str(tmp_path / "c2"), 2, "xor-tydi").check()
    assert not os.path.exists(tmp_path / "c2")
