"""Prediction files: scored from questions and answers alone; .json.gz; DPR-style ctxs; duplicate ids."""

from __future__ import annotations

import gzip
import json
import os

import pytest

DEV = "xqg-bench:xor-tydi/dev"
RUN = "-1001 Q0 1 1 0.9 sys\n-1001 Q0 2 2 0.5 sys\n-3 Q0 1 1 0.9 sys\n-3 Q0 2 2 0.8 sys\n7200 Q0 10 1 0.9 sys\n"
EURO, YEN = "The euro is the currency of Finland since 2002.", "The yen is the currency of Japan."


def _score(capsys, path, *extra):
    from xqg_bench.run import main

    capsys.readouterr()
    code = main(["predictions", "--score", str(path), "--dataset", DEV, "--budgets", "5,2000", *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_scoring_needs_no_corpus(mirror, tmp_path, capsys):
    (mirror / "enwiki_20190201_w100.tsv").unlink()  # served from a mirror without the corpus
    preds = tmp_path / "preds.json"
    preds.write_text(
        json.dumps(
            [{"id": "-1001", "lang": "ja", "ctxs": [EURO, YEN]}, {"id": "-3", "lang": "ru", "ctxs": [EURO, YEN]}]
        )
    )
    code, out, err = _score(capsys, preds)
    assert code == 0, err
    assert "R@5t: macro 50.00 | ja 100.00 (1), ru 0.00 (1)" in out
    assert "R@2kt: macro 100.00 | ja 100.00 (1), ru 100.00 (1)" in out


def test_dpr_style_ctxs_score_as_their_texts(mirror, tmp_path, capsys):
    strings = [{"id": "-1001", "lang": "ja", "ctxs": [YEN]}, {"id": "-3", "lang": "ru", "ctxs": [EURO, YEN]}]
    titles = {YEN: "Euro and yen", EURO: "Euro"}  # a stringified object would find the ja answer in a title
    dpr = [
        {"id": p["id"], "lang": p["lang"], "ctxs": [{"title": titles[t], "text": t, "score": "1"} for t in p["ctxs"]]}
        for p in strings
    ]
    a, b = tmp_path / "strings.json", tmp_path / "dpr.json"
    a.write_text(json.dumps(strings))
    b.write_text(json.dumps(dpr))
    got_a, got_b = _score(capsys, a), _score(capsys, b)
    assert got_a[0] == got_b[0] == 0 and got_a[1] == got_b[1]
    assert "R@2kt: macro 50.00 | ja 0.00 (1), ru 100.00 (1)" in got_b[1]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ('[{"id": "-3", "lang": "ru", "ctxs": ["a"]},\n {"id": "-1001", "lang": "ja", "ctxs": []},\n'
         ' {"id": "-3", "lang": "ru", "ctxs": ["b"]}]', "line 3: prediction id '-3' appears twice (first on line 1)"),
        ('[{"id": "-3", "lang": "ru",\n  "ctxs": [{"title": "t"}]}]', "line 1: item 0 is not {id, lang, ctxs}"),
        ('[{"id": "-3", "lang": "ru", "ctxs": "text"}]', "ctxs must be a list"),
        ('{"id": "-3"}', "expected a JSON list"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('[{"id": "-3", "lang": "ru", "ctxs": []}]\n[]', "line 2: not valid JSON"),
    ],
)  # fmt: skip
def test_bad_prediction_files_are_refused(mirror, tmp_path, capsys, body, needle):
    preds = tmp_path / "preds.json"
    preds.write_text(body)
    code, _out, err = _score(capsys, preds)
    assert code == 2 and needle in err and str(preds) in err


def test_gzip_predictions_round_trip(mirror, tmp_path, capsys):
    from xqg_bench.run import main

    run = tmp_path / "run.trec"
    run.write_text(RUN)
    plain, packed = tmp_path / "p.json", tmp_path / "p.json.gz"
    for out in (plain, packed):
        assert main(["predictions", "--from-run", str(run), "--dataset", DEV, "--output", str(out)]) == 0
    assert gzip.decompress(packed.read_bytes()) == plain.read_bytes()  # gunzip gives the official file
    assert packed.read_bytes()[4:8] == b"\0\0\0\0"  # no time stamp: byte-identical across runs
    assert _score(capsys, plain)[:2] == _score(capsys, packed)[:2]
    packed.write_bytes(packed.read_bytes()[:-10])
    code, _out, err = _score(capsys, packed)
    assert code == 2 and "not a complete gzip file" in err


def test_pipeline_prediction_format_is_checked_before_any_work(tmp_path):
    from xqg_bench.experiment.pipeline import RunConfig, run_pipeline

    out = tmp_path / "out"
    with pytest.raises(ValueError, match="predictions='zip': use one of json, json.gz, none"):
        run_pipeline(RunConfig(output_dir=str(out), predictions="zip"))
    assert not out.exists()


def test_pipeline_writes_compressed_or_no_prediction_files(tiny_models, tmp_path):
    from xqg_bench.experiment.pipeline import RunConfig, run_pipeline
    from xqg_bench.run import main

    enc = f"hf(model={tiny_models['bert']})"
    common = dict(dataset="xqg-bench:mini/dev/ja", encoder=enc, progress=False, xqg=None, variants=())
    packed = run_pipeline(RunConfig(**common, output_dir=str(tmp_path / "gz"), predictions="json.gz"))
    base = packed.systems["baseline"]
    assert base.files["predictions"].endswith(".predictions.json.gz")
    plain = tmp_path / "p.json"
    argv = ["predictions", "--from-run", base.run_path, "--dataset", "xqg-bench:mini/dev/ja", "--output", str(plain)]
    assert main(argv) == 0
    with gzip.open(base.files["predictions"], "rb") as f:
        assert f.read() == plain.read_bytes()
    none = run_pipeline(RunConfig(**common, output_dir=str(tmp_path / "none"), predictions="none"))
    assert "predictions" not in none.systems["baseline"].files
    assert not [f for f in os.listdir(tmp_path / "none") if "predictions" in f]
