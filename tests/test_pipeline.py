"""End to end: mini dataset -> tiny HF encoder -> Pyserini index -> TREC run -> scores; and the CLI."""

import json
import os
import subprocess
import sys

import ir_measures
import pandas as pd
import pytest
from conftest import assert_same_ranking_up_to_ties

from xqg_bench.experiment.pipeline import RunConfig, run_pipeline
from xqg_bench.run import main


@pytest.fixture(scope="module")
def full(tiny_models, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    cfg = RunConfig(
        dataset="xqg-bench:mini/dev", encoder=f"hf(model={tiny_models['bert']})", output_dir=str(out), progress=False
    )
    return run_pipeline(cfg), cfg


@pytest.fixture(scope="module")
def result(full):
    res, cfg = full
    return res.systems["baseline"], cfg


def test_outputs_exist_and_run_is_standard(result):
    res, cfg = result
    for path in res.files.values():
        assert os.path.isfile(path) and os.path.dirname(path) == cfg.output_dir
    lines = open(res.run_path).read().splitlines()
    assert len(lines) == 420 * 100 and all(len(line.split()) == 6 for line in lines)
    assert {sd.query_id for sd in ir_measures.read_trec_run(res.run_path)} == set(res.per_query.query_id)


def test_table_has_every_language_and_measure(result):
    res, _ = result
    assert list(res.table.index) == ["ar", "bn", "fi", "ja", "ko", "ru", "te", "avg"]
    assert list(res.table.columns) == [
        "n",
        "R@200t",
        "R@500t",
        "R@2kt",
        "R@5kt",
        "R@100",
        "RR@10",
        "nDCG@10",
        "Success@5",
    ]
    assert (res.table.loc[["ar", "te"], "n"] == 60).all() and res.table.loc["avg", "n"] == 420
    # avg is the plain mean over languages
    assert res.table.loc["avg", "R@2kt"] == pytest.approx(res.table.drop("avg")["R@2kt"].mean())
    assert res.pairing.missing_from_run == 0 and res.pairing.extra_in_run == 0


def test_per_query_scores_match_ir_measures_directly(result):
    import ir_datasets

    res, _ = result
    qrels = list(ir_datasets.load("xqg-bench:mini/dev").qrels_iter())
    # score = -rank from the file's rank column: the tiny random model produces score ties, which
    # trec_eval would break by docid descending; the harness follows the rank column.
    run = [
        ir_measures.ScoredDoc(q, d, -float(r)) for q, _q0, d, r, _s, _t in (line.split() for line in open(res.run_path))
    ]
    want = {
        (m.query_id, str(m.measure)): m.value
        for m in ir_measures.iter_calc([ir_measures.parse_measure("nDCG@10")], qrels, run)
    }
    got = res.per_query[res.per_query.measure == "nDCG@10"]
    assert len(got) == 420
    for row in got.itertuples():
        assert row.value == pytest.approx(want[(row.query_id, "nDCG@10")], abs=1e-9)


def test_predictions_file_is_official_format_and_rescores_identically(result):
    from xqg_bench.evaluate.predictions import gold_answers, read_predictions
    from xqg_bench.evaluate.rkt import evaluate_top_k_hit
    from xqg_bench.experiment.pipeline import load_query_set

    res, _ = result
    raw = json.load(open(res.files["predictions"]))
    assert set(raw[0]) == {"id", "lang", "ctxs"} and isinstance(raw[0]["ctxs"][0], str)
    qs = load_query_set("xqg-bench:mini/dev")
    per_lang = evaluate_top_k_hit(read_predictions(res.files["predictions"]), gold_answers(qs.queries), 2000)
    for lang, score in per_lang.items():
        assert score.score == pytest.approx(res.table.loc[lang, "R@2kt"])


def test_signature_names_data_encoder_and_run(result):
    res, _ = result
    assert "data:xqg-bench:mini/dev" in res.signature and "system:hf(model=" in res.signature
    scores = json.load(open(res.files["scores"]))
    assert scores["signature"] == res.signature and scores["run_md5"] in res.signature
    assert (pd.read_csv(res.files["per_query"]).signature == res.signature).all()


def test_rerun_is_cached_and_byte_identical(full):
    res, cfg = full
    files = {f"{name}.{k}": p for name, sr in res.systems.items() for k, p in sr.files.items()} | res.files
    before = {k: open(p, "rb").read() for k, p in files.items()}
    again = run_pipeline(cfg)
    files2 = {f"{name}.{k}": p for name, sr in again.systems.items() for k, p in sr.files.items()} | again.files
    assert files2 == files
    assert {k: open(p, "rb").read() for k, p in files2.items()} == before


def test_default_run_compares_baseline_with_xqg(full):
    res, cfg = full
    assert set(res.systems) == {"baseline", "xqg"}
    xqg = res.systems["xqg"]
    assert "+xqg(alpha=0.01,agg=sum,renorm=none)+gen:cldr(version=1):n5:seed13" in xqg.signature
    assert xqg.run_path != res.systems["baseline"].run_path
    comp = res.comparison
    for m in ("R@200t", "R@2kt", "nDCG@10"):
        delta = comp[(m, "+xQG")] - comp[(m, "baseline")]
        assert (comp[(m, "delta")] - delta).abs().max() < 1e-12
    text = open(res.files["comparison"]).read()
    assert "## R@2kt" in text and "cldr(version=1)" in text


def test_augmented_index_records_what_was_used(full):
    from xqg_bench.retrieval.index import read_index_meta

    res, cfg = full
    scores = json.load(open(res.systems["xqg"].files["scores"]))
    meta = read_index_meta(os.path.join(cfg.output_dir, scores["index"]))
    assert meta["xqg"]["augment"] == "xqg(alpha=0.01,agg=sum,renorm=none)"
    assert "used:" in meta["xqg"]["augment_signature"] and meta["count"] == 909


def test_cli_help_lists_options(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--dataset", "--encoder", "--output-dir", "--depth", "--measures", "--budgets", "--threads"):
        assert flag in out


@pytest.mark.parametrize(
    "argv, msg",
    [
        (["--encoder", "bm25"], "unknown encoder"),
        (["--dataset", "xqg-bench:nope"], "unknown dataset"),
        (["--dataset", "xqg-bench:mini"], "needs docs and queries"),
        (["--measures", "nDCG@ten", "--encoder", "hf(model=MODEL)"], "unknown measure"),
    ],
)
def test_cli_errors_exit_2_with_fix_and_no_output(tmp_path, capsys, tiny_models, argv, msg):
    argv = [a.replace("MODEL", tiny_models["bert"]) for a in argv]
    assert main(argv + ["--output-dir", str(tmp_path / "o"), "--no-progress"]) == 2
    assert msg in capsys.readouterr().err
    out = tmp_path / "o"
    assert not out.exists() or not any(f.endswith((".trec", ".md", ".csv", ".json")) for f in os.listdir(out))


def test_cli_datasets_and_score_subcommands(result, capsys):
    res, _ = result
    assert main(["datasets"]) == 0
    ids = capsys.readouterr().out.split()
    assert "xqg-bench:mini/dev/ja" in ids and "xqg-bench:mini" in ids
    assert main(["score", res.run_path, "--dataset", "xqg-bench:mini/dev"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("| lang"))
    avg = next(line for line in out.splitlines() if line.startswith("| avg"))
    cols = [c.strip() for c in header.strip("|").split("|")]
    vals = [c.strip() for c in avg.strip("|").split("|")]
    assert float(vals[cols.index("R@2kt")]) == pytest.approx(res.table.loc["avg", "R@2kt"], abs=0.01)


def test_python_m_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "xqg_bench.run", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "--encoder" in proc.stdout


def test_cli_score_rejects_bad_runs_with_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.trec"
    bad.write_text("mini-dev-ar-0000 Q0 FI-money 1 0.5\n")
    assert main(["score", str(bad)]) == 2
    assert f"{bad}, line 1: expected 6 columns" in capsys.readouterr().err
    unknown_doc = tmp_path / "unknown.trec"
    unknown_doc.write_text("mini-dev-ar-0000 Q0 NOPE-money 1 0.5 t\n")
    assert main(["score", str(unknown_doc)]) == 2
    assert "NOPE-money" in capsys.readouterr().err
    assert main(["score", str(tmp_path / "missing.trec")]) == 2


def test_cli_compare_on_runs_made_elsewhere(full, tmp_path, capsys):
    res, _ = full
    base, xqg = res.systems["baseline"].run_path, res.systems["xqg"].run_path
    out = tmp_path / "cmp"
    assert main(["compare", xqg, "--baseline", base, "--samples", "500", "--output-dir", str(out)]) == 0
    board = pd.read_csv(out / "compare" / "compare.csv")  # the set: <output-dir>/<stem>/<stem>.{md,csv,...}
    assert len(board) == 8 * 9  # 8 measures x (7 languages + all + all (micro)), one system against one baseline
    pipeline_board = pd.read_csv(res.files["leaderboard.csv"])
    pipeline_board = pipeline_board[pipeline_board.condition == "clean"]
    merged = board.merge(pipeline_board, on=["measure", "lang"], suffixes=("", "_pipe"))
    assert (merged.delta - merged.delta_pipe).abs().max() < 1e-12  # same per-query data, same deltas
    # a query missing from a run is counted as missing for every measure (and scored 0 by the pairing)
    lines = open(xqg).read().splitlines(keepends=True)
    gone = lines[0].split()[0]
    short = tmp_path / "short.trec"
    short.write_text("".join(x for x in lines if x.split()[0] != gone))
    assert main(["compare", str(short), "--baseline", base, "--samples", "500", "--output-dir", str(out)]) == 0
    board = pd.read_csv(out / "compare" / "compare.csv")
    lang = gone.split("-")[2]
    other = "ko" if lang != "ko" else "ar"
    assert set(board[board.lang == lang].missing) == {1} and set(board[board.lang == other].missing) == {0}
    # a custom qrels file overrides the dataset's; malformed qrels name the file and line
    qrels = tmp_path / "q.qrels"
    qrels.write_text("mini-dev-ar-0000 0 AR-money 1\nbad line\n")
    assert main(["compare", xqg, "--baseline", base, "--qrels", str(qrels), "--output-dir", str(out)]) == 2
    assert f"{qrels}, line 2" in capsys.readouterr().err
    assert main(["compare", xqg, "--baseline", xqg]) == 2  # same file twice
    assert "at least one system run" in capsys.readouterr().err


def test_score_run_is_the_pipelines_scoring(result):
    """The `score` command's library function gives the pipeline's own table and pairing for its run."""
    from xqg_bench.experiment.scoring import score_run

    res, cfg = result
    scored = score_run(res.run_path, cfg.dataset, cfg.measures, cfg.budgets)
    pd.testing.assert_frame_equal(scored.table, res.table)
    assert scored.pairing == res.pairing and len(scored.rankings) == 420


def test_one_command_table_gives_help_and_dispatch(monkeypatch, capsys):
    from xqg_bench import run

    epilog = run.main_parser().epilog
    assert [line.split()[0] for line in epilog.splitlines()[1:]] == list(run.COMMANDS)
    calls = []
    monkeypatch.setitem(run.COMMANDS, "score", (lambda argv: calls.append(list(argv)) or 7, "test"))
    assert main(["score", "x.trec"]) == 7 and calls == [["x.trec"]]


def test_regress_pins_then_grades_ok_okish_fail(full, tmp_path, capsys):
    import yaml

    res, cfg = full
    spec = {
        "command": "python -m xqg_bench.run --output-dir {output_dir}",
        "scores": {"baseline": "xqg-bench-mini-dev.hf-*.scores.json", "xqg": "xqg-bench-mini-dev.hf+xqg-*.scores.json"},
        "tolerance": {"ok": 0.0001, "okish": 0.5},
    }
    path = tmp_path / "cond.yaml"
    path.write_text(yaml.safe_dump(spec))
    args = ["regress", str(path), "--output-dir", cfg.output_dir, "--skip-run"]
    assert main([*args, "--pin"]) == 0
    pinned = yaml.safe_load(path.read_text())
    assert set(pinned["expected"]) == {"baseline", "xqg"} and "avg" in pinned["expected"]["xqg"]["R@2kt"]
    assert main(args) == 0 and "0 OKish, 0 FAIL" in capsys.readouterr().out
    pinned["expected"]["xqg"]["R@2kt"]["ja"] += 0.3  # within okish
    pinned["expected"]["baseline"]["nDCG@10"]["ko"] += 0.9  # beyond okish
    path.write_text(yaml.safe_dump(pinned))
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "OKish" in out and "FAIL  " in out and "1 OKish, 1 FAIL" in out


def test_committed_regression_file_covers_the_default(tmp_path):
    import yaml

    spec = yaml.safe_load(open(os.path.join(os.path.dirname(__file__), "..", "regressions", "mini-default.yaml")))
    from xqg_bench.experiment.pipeline import DEFAULT_RUN_VARIANTS, slug

    # one draw of each perturbation family of the default run is pinned, under the folder the run writes
    folders = {p.split("/")[1] for s, p in spec["scores"].items() if "@" in s}
    assert len(folders) == 4 and folders <= {slug(v) for v in DEFAULT_RUN_VARIANTS}
    for system in spec["expected"]:
        table = spec["expected"][system]
        assert set(table) == {"R@200t", "R@500t", "R@2kt", "R@5kt", "R@100", "RR@10", "nDCG@10", "Success@5"}
        assert all(set(v) == {"ar", "bn", "fi", "ja", "ko", "ru", "te", "avg"} for v in table.values())
    assert spec["expected"]["xqg"]["nDCG@10"]["avg"] > spec["expected"]["baseline"]["nDCG@10"]["avg"]


def test_default_run_includes_variants_robustness_and_severity_plot(full):
    from xqg_bench.experiment.pipeline import DEFAULT_RUN_VARIANTS

    res, cfg = full
    typos = [f"typo(kind=keyboard,n={n},seed={s})" for n in (1, 2, 3) for s in (13, 14, 15)]  # 3 seeds each
    # rate 1.0: one draw is all
    deterministic = ["layout(rate=1.0,seed=13)", "codemix(lexicon=both,rate=1.0,seed=13)", "romanize(rate=1.0,seed=13)"]
    assert sorted(res.variants) == sorted(typos + deterministic) and cfg.seeds == 3
    assert all(set(v) == {"baseline", "xqg"} for v in res.variants.values())
    typo2 = res.variants["typo(kind=keyboard,n=2,seed=14)"]["xqg"]
    assert os.path.dirname(typo2.run_path).endswith(os.path.join("variants", "typo-kind-keyboard-n-2-seed-14"))
    board = pd.read_csv(res.files["leaderboard.csv"])
    conditions = {"clean", *(f"typo(kind=keyboard,n={n})" for n in (1, 2, 3)), *deterministic}
    assert set(board.condition) == conditions and len(DEFAULT_RUN_VARIANTS) == 6
    # a typo condition's per-query values are the mean over its three draws
    draws = pd.concat(
        [res.variants[f"typo(kind=keyboard,n=1,seed={s})"]["xqg"].per_query for s in (13, 14, 15)], ignore_index=True
    )
    ndcg = draws[draws.measure == "nDCG@10"].groupby("lang")["value"].mean().mean()
    row = board[(board.condition == "typo(kind=keyboard,n=1)") & (board.measure == "nDCG@10") & (board.lang == "all")]
    assert abs(row.mean_system.iloc[0] - ndcg) < 1e-12
    codemix = "codemix(lexicon=both,rate=1.0,seed=13)"
    sig = board[board.condition == codemix].signature.iloc[0]
    assert f"data:xqg-bench:mini/dev/{codemix}" in sig  # each row names its own query set
    assert res.variants[codemix]["xqg"].signature in sig
    rob = res.robustness
    assert set(rob.condition) == conditions - {"clean"} and {"effect_ratio", "p_did_adj", "verdict"} <= set(rob.columns)
    assert set(rob[rob.condition.str.startswith("typo")].seeds) == {3} and (rob.gain_perturbed_seed_sd >= 0).any()
    row = rob[(rob.condition == "typo(kind=keyboard,n=1)") & (rob.measure == "nDCG@10") & (rob.lang == "all")].iloc[0]
    clean = res.comparison[("nDCG@10", "delta")]["avg"]
    assert row.n == 420 and abs(row.gain_clean - clean) < 1e-12  # both the plain mean over languages
    # code-mixing is measured on the questions it changed only
    row = rob[(rob.condition == codemix) & (rob.measure == "nDCG@10") & (rob.lang == "all")].iloc[0]
    import ir_datasets

    changed = sum(q.text != q.original_text for q in ir_datasets.load(f"xqg-bench:mini/dev/{codemix}").queries_iter())
    assert row.n == changed and 0 < changed < 420 and row.of == 420
    with open(res.files["severity.png"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    md = open(res.files["robustness.md"]).read()
    assert "Worst case" in md and "verdict: 'gain lost'" in md and "seeds: gain perturbed SD" in md


def test_pyserini_cli_on_the_embedded_benchmark_index(full, tiny_models, tmp_path):
    import subprocess
    import sys

    from xqg_bench.evaluate.runs import read_trec_run

    res, cfg = full
    base = res.systems["baseline"]
    index_dir = os.path.join(cfg.output_dir, json.load(open(base.files["scores"]))["index"])
    topics = tmp_path / "fi.tsv"
    assert main(["topics", "xqg-bench:mini/dev/fi", "--output", str(topics)]) == 0
    out = tmp_path / "pyserini.run"
    cmd = [
        sys.executable, "-m", "xqg_bench.pyserini_cli", "--index", index_dir, "--topics", str(topics),
        "--encoder", tiny_models["bert"], "--encoder-class", "auto", "--pooling", "cls", "--max-length", "32",
        "--hits", "10", "--output", str(out),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    theirs, ours = read_trec_run(str(out)), read_trec_run(base.run_path)
    assert len(theirs) == 60
    # the same model, pooling and length: the same ranking up to ties (this tiny random model puts many
    # passages within 1e-5 of each other, so tied hits may come in another order or be cut at rank 10)
    for q in theirs:
        assert_same_ranking_up_to_ties(theirs[q], ours[q][:10])
