"""The paper's regression file: it parses, its command is the harness's and valid, and its values are consistent."""

from __future__ import annotations

import fnmatch
import json
import os

import pytest

from xqg_bench.experiment import regression
from xqg_bench.run import main_parser

PAPER = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "regressions", "xor-tydi-mbert-xqg.yaml"
)
LANGS = ["ar", "bn", "fi", "ja", "ko", "ru", "te"]


def test_published_values_are_complete_and_consistent():
    spec = regression.load(PAPER)
    assert set(spec["expected"]) == {"baseline", "xqg"}
    assert spec["tolerance"] == {"ok": 0.01, "okish": 1.5}
    for system, measures in spec["expected"].items():
        assert set(measures) == {"R@2kt", "R@5kt"}
        for measure, per_lang in measures.items():
            assert sorted(per_lang) == sorted([*LANGS, "avg"])
            # the published average is the plain mean over languages: catches a mistyped value
            assert per_lang["avg"] == pytest.approx(sum(per_lang[lang] for lang in LANGS) / 7, abs=0.006), (
                system,
                measure,
            )
    # the paper's headline: +xQG raises the average, and Japanese R@2kt falls
    assert spec["expected"]["xqg"]["R@2kt"]["avg"] - spec["expected"]["baseline"]["R@2kt"]["avg"] == pytest.approx(2.03)
    assert spec["expected"]["xqg"]["R@2kt"]["ja"] < spec["expected"]["baseline"]["R@2kt"]["ja"]


def test_command_is_valid_without_running(capsys):
    from xqg_bench.run import main

    spec = regression.load(PAPER)
    argv = regression.check_command(spec, PAPER, main_parser())
    assert "hf(model=ielabgroup/bert-base-multilingual-cased-xor-tydi,pooling=cls,qlen=32,plen=128)" in argv
    assert (
        "released(path=<XQG_RELEASED_QUERIES>)" in argv
        and argv[argv.index("--dataset") + 1] == "xqg-bench:xor-tydi/dev"
    )
    assert main(["regress", PAPER, os.path.join(os.path.dirname(PAPER), "mini-default.yaml"), "--dry-run"]) == 0
    assert capsys.readouterr().out.count(": valid: python -m xqg_bench.run ") == 2
    # the score patterns match the files the main command writes for an hf encoder, each system its own
    stem = "xqg-bench-xor-tydi-dev.hf"
    base, xqg = f"{stem}-0123abcd.scores.json", f"{stem}+xqg-89abcdef.scores.json"
    assert fnmatch.fnmatch(base, spec["scores"]["baseline"]) and not fnmatch.fnmatch(xqg, spec["scores"]["baseline"])
    assert fnmatch.fnmatch(xqg, spec["scores"]["xqg"]) and not fnmatch.fnmatch(base, spec["scores"]["xqg"])


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (("--alpha 0.01", "--alpha zero"), "argument --alpha: invalid float value"),
        (("--agg sum", "--agg avg"), "invalid choice: 'avg'"),
        (("--no-variants", "--no-variant-sets"), "unrecognized arguments"),
        (("pooling=cls", "pooling=cls,layers=12"), "unknown hf option 'layers'"),
        (("released(path", "releasd(path"), "unknown generator 'releasd'"),
        (("xqg-bench:xor-tydi/dev", "xqg-bench:xor-tydi/val"), "is not registered"),
        (("--output-dir {output_dir}", "--output-dir /tmp/x"), "--output-dir {output_dir}"),
        (("python -m xqg_bench.run", "python -m xqg_bench.run compare"), "must be the main command"),
        (("{XQG_RELEASED_QUERIES}", "{RELEASED}"), "neither output_dir nor in 'requires'"),
    ],
)
def test_a_broken_command_is_refused(change, needle):
    spec = regression.load(PAPER)
    assert change[0] in spec["command"]
    spec["command"] = spec["command"].replace(*change)
    with pytest.raises(ValueError, match=None) as e:
        regression.check_command(spec, PAPER, main_parser())
    assert needle in str(e.value)


def test_running_it_needs_the_released_queries():
    spec = regression.load(PAPER)
    with pytest.raises(ValueError, match="set XQG_RELEASED_QUERIES"):
        regression.command_argv(spec, "out", env={})
    argv = regression.command_argv(spec, "out", env={"XQG_RELEASED_QUERIES": "/data/xqg"})
    assert "released(path=/data/xqg)" in argv and argv[-2:] == ["--output-dir", "out"]


def _graded_file(tmp_path, got: float, expected: float = 50.0):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    (out / "sys.scores.json").write_text(json.dumps({"table": {"ja": {"R@2kt": got, "n": 3}}}), encoding="utf-8")
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "command: python -m xqg_bench.run --output-dir {output_dir}\n"
        "scores: {sys: sys.scores.json}\n"
        "tolerance: {ok: 0.01, okish: 0.5}\n"
        f"expected: {{sys: {{R@2kt: {{ja: {expected}}}}}}}\n",
        encoding="utf-8",
    )
    return str(path), str(out)


@pytest.mark.parametrize(
    ("got", "grade", "failed"), [(50.0, "OK", False), (50.3, "OKish", False), (52.0, "FAIL", True)]
)
def test_regress_grades_existing_outputs(tmp_path, got, grade, failed):
    path, out = _graded_file(tmp_path, got)
    [outcome] = regression.regress([path], out, skip_run=True)
    assert [g.grade for g in outcome.grades] == [grade] and outcome.failed is failed
    counts = {"OK": 0, "OKish": 0, "FAIL": 0} | {grade: 1}
    assert outcome.lines() == [
        f"{grade:5s} {path} sys R@2kt ja: expected 50.0000, got {got:.4f}",
        f"{path}: {counts['OK']} OK, {counts['OKish']} OKish, {counts['FAIL']} FAIL",
    ]


def test_regress_pins_the_expected_scores_and_needs_an_output_dir_to_skip_the_run(tmp_path):
    path, out = _graded_file(tmp_path, 61.25)
    [outcome] = regression.regress([path], out, skip_run=True, pin_expected=True)
    assert outcome.grades is None and not outcome.failed
    assert outcome.lines() == [f"{path}: expected scores pinned from {out}"]
    assert regression.load(path)["expected"] == {"sys": {"R@2kt": {"ja": 61.25}}}
    with pytest.raises(ValueError, match="--skip-run needs --output-dir"):
        next(regression.regress([path], None, skip_run=True))


def test_check_files_gives_one_valid_line_per_file():
    [line] = regression.check_files([PAPER], main_parser)
    assert line.startswith(f"{PAPER}: valid: python -m xqg_bench.run ")
