"""The answer first: verdict tables on stdout and atop the HTML report; the report's content, size and rendering in
headless Chromium; the severity plot; the command that re-creates a run."""

import contextlib
import html
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
import pytest

from xqg_bench.report import render_html, summary_text, verdict_frame
from xqg_bench.statistics.compare import ALL, compare
from xqg_bench.statistics.labels import condition_label, family_label
from xqg_bench.statistics.leaderboard import leaderboard_frame
from xqg_bench.statistics.robustness import robustness_table, severity_figure, severity_means, severity_plot

LANGS = ("ar", "bn", "fi", "ja", "ko", "ru", "te")
TYPOS = tuple(f"typo(kind=keyboard,n={n})" for n in (1, 2, 3))
LAYOUT, CODEMIX, ROMAN = (
    "layout(rate=1.0,seed=13)",
    "codemix(lexicon=both,rate=1.0,seed=13)",
    "romanize(rate=1.0,seed=13)",
)
CONDS = ("clean", ROMAN, *TYPOS, CODEMIX, LAYOUT)  # not in reading order: the report orders them
MEASURES = ("R@200t", "R@500t", "R@2kt", "R@5kt", "R@100", "RR@10", "nDCG@10", "Success@5")
SAMPLES = 300
MC = 20_000  # Monte Carlo draws: enough for corrected p-values below 0.05 in families of this size


def synthetic(systems=("baseline", "xqg"), n=40, measures=MEASURES, seed=0):
    """Per-query values shaped like the default run: 7 languages x n questions, clean and six perturbed
    conditions; +xQG gains, the gain shrinks with the typo count and vanishes under code-mixing."""
    rng = np.random.default_rng(seed)
    rows = []
    for cond in CONDS:
        drop = {"clean": 0.0, TYPOS[0]: 0.05, TYPOS[1]: 0.1, TYPOS[2]: 0.15}.get(cond, 0.3)
        for lang in LANGS:
            for i in range(n):
                ability = rng.random()
                for measure in measures:
                    for k, system in enumerate(systems):
                        gain = 0.0 if k == 0 else (0.0 if cond == CODEMIX else 0.25 - drop / 2) / k
                        p = min(1.0, max(0.0, ability + gain - drop + rng.normal(0, 0.1)))
                        value = 100.0 * p if measure.startswith("R@") and measure.endswith("t") else p
                        rows.append((system, cond, f"{lang}{i:03d}", lang, measure, value))
    return pd.DataFrame(rows, columns=["system", "condition", "query_id", "lang", "measure", "value"])


def changed(per_query):
    """Layout changes no Japanese question, romanisation no Finnish one, code-mixing every other question."""
    qids = sorted(set(per_query["query_id"]))
    return {
        LAYOUT: {q for q in qids if not q.startswith("ja")},
        ROMAN: {q for q in qids if not q.startswith("fi")},
        CODEMIX: set(qids[::2]),
    }


@pytest.mark.filterwarnings("ignore:.*smallest attainable corrected p")
def frames(per_query, systems=("xqg",)):
    board = leaderboard_frame(
        compare(per_query, "baseline", list(systems), samples=SAMPLES, max_samples=MC),
        {s: f"data:x|system:{s}" for s in ("baseline", *systems)},
    )
    robust = []
    for s in systems:
        r = robustness_table(per_query, "baseline", s, samples=SAMPLES, max_samples=MC, changed=changed(per_query))
        robust.append(r.assign(baseline="baseline", system=s) if len(systems) > 1 else r)
    return board, pd.concat(robust, ignore_index=True) if len(robust) > 1 else robust[0]


@pytest.fixture(scope="module")
def default_shaped():
    pq = synthetic()
    board, robust = frames(pq)
    return pq, board, robust


def test_condition_labels_are_readable_and_ordered():
    assert condition_label(TYPOS[0], seeds=3) == "1 keyboard typo (3 seeds)"
    assert condition_label("typo(kind=keyboard,n=2,seed=13)") == "2 keyboard typos"
    assert condition_label(LAYOUT) == "wrong keyboard layout"
    assert condition_label(CODEMIX) == "code-mixing (CLDR + parallel lexicon)"
    assert condition_label(ROMAN) == "romanised"
    assert condition_label("romanize(scheme=hepburn,rate=0.5,seed=1)") == "romanised (hepburn), rate 0.5"
    assert condition_label("word(kind=drop,n=1,seed=2)") == "1 dropped word"
    assert condition_label("not a spec((") == "not a spec(("
    assert family_label(TYPOS[2]) == "keyboard typos" and family_label(LAYOUT) == "wrong keyboard layout"


def test_verdict_frame_holds_the_frames_numbers_in_reading_order(default_shaped):
    pq, board, robust = default_shaped
    vf = verdict_frame(board, robust)
    assert list(dict.fromkeys(vf["measure"])) == ["R@2kt", "R@5kt", "nDCG@10"]
    assert list(dict.fromkeys(vf["condition"])) == ["clean", *TYPOS, LAYOUT, CODEMIX, ROMAN]
    assert list(dict.fromkeys(vf["lang"])) == [*LANGS, ALL]  # languages as columns, the macro average last
    clean = vf[vf["condition"] == "clean"].merge(board, on=["measure", "condition", "lang"])
    assert np.allclose(clean["gain"], clean["delta"]) and np.allclose(clean["gain_low"], clean["ci_low"])
    assert (clean["gain_significant"] == clean["significant"]).all()
    pert = vf[(vf["condition"] != "clean") & (vf["n"] > 0)].merge(robust, on=["measure", "condition", "lang"])
    assert np.allclose(pert["gain"], pert["gain_perturbed"]) and np.allclose(pert["did_high"], pert["did_ci_high"])
    assert (pert["verdict_x"] == pert["verdict_y"]).all()
    # each system's score is the mean over the questions the variant changed, and the gain is their difference
    assert np.allclose(pert["mean_system"] - pert["mean_baseline"], pert["gain"])
    keep = changed(pq)[CODEMIX]
    sub = pq[(pq.condition == CODEMIX) & (pq.measure == "R@2kt") & pq.query_id.isin(keep)]
    macro = sub.groupby(["system", "lang"])["value"].mean().groupby("system").mean()
    row = vf[(vf.condition == CODEMIX) & (vf.measure == "R@2kt") & (vf.lang == ALL)].iloc[0]
    assert row.mean_baseline == pytest.approx(macro["baseline"]) and row.mean_system == pytest.approx(macro["xqg"])
    assert row.n == len(keep) and row.of == len(set(pq.query_id))
    ja = vf[(vf.condition == LAYOUT) & (vf.lang == "ja")]
    assert (ja["n"] == 0).all() and ja["status"].str.contains("changed no ja question").all()


def test_summary_starts_with_the_question_and_the_verdict_table(default_shaped):
    _pq, board, robust = default_shaped
    vf = verdict_frame(board, robust)
    text = summary_text(vf, "out/x.report.html")
    lines = text.splitlines()
    assert lines[0].startswith("Question: Does cross-lingual query generation (xQG)") and lines[1] == ""
    assert lines[2] == "R@2kt (percent): +xQG vs baseline"
    assert lines[3].split() == ["condition", *LANGS, "all", "verdict"]
    clean = board[(board.measure == "R@2kt") & (board.condition == "clean") & (board.lang == ALL)].iloc[0]
    gain_line = next(line for line in lines if line.split()[:1] == ["gain"])
    ci = f"[{clean.ci_low:.2f}, {clean.ci_high:.2f}]".replace("-0.00", "0.00")
    assert f"{clean.delta:+.2f} {ci}" in gain_line
    robust_all = robust[(robust.measure == "R@2kt") & (robust.lang == ALL)].set_index("condition")
    verdicts = [line.split("  ")[-1].strip() for line in lines[4:40] if line.split()[:2] == ["Δ", "gain"]]
    assert verdicts[:6] == [
        robust_all.loc[c, "verdict"] + (" *" if robust_all.loc[c, "status"] != "ok" else "")
        for c in (*TYPOS, LAYOUT, CODEMIX, ROMAN)
    ]
    assert "gain lost" in verdicts  # the synthetic code-mixing condition loses the gain
    assert [line.split()[0].rstrip(":") for line in lines if line.endswith("+xQG vs baseline")] == [
        "R@2kt",
        "R@5kt",
        "nDCG@10",
    ]
    assert (
        "R@100" not in text
        and lines[-1] == "report: out/x.report.html  (the tables above, severity plots, every measure, signatures)"
    )
    assert len(lines) < 110  # the answer, not the leaderboard (~1,100 lines before)


def test_html_report_is_self_contained_ordered_and_under_the_size_bound(default_shaped, tmp_path):
    pq, board, robust = default_shaped
    assert severity_plot(pq, str(tmp_path / "s.png"), ["R@2kt", "R@5kt", "nDCG@10"], [("baseline", "xqg")], 200)
    png = (tmp_path / "s.png").read_bytes()
    cmd = ["python", "-m", "xqg_bench.run", "--encoder", "hf(model=/m y)"]
    page = render_html(board, robust, {"severity": png}, cmd, ["data:x|encoder:y"], {"leaderboard.csv": "b.csv"})
    assert len(page.encode("utf-8")) < 2_000_000  # the default run's shape: 8 measures, 7 conditions, 7 languages
    ids = ["verdict-0", "severity", "measures", "robustness", "signatures", "recreate"]
    assert [page.index(f'id="{i}"') for i in ids] == sorted(page.index(f'id="{i}"') for i in ids)
    assert page.index("Does cross-lingual query generation") < page.index('id="verdict-0"')
    assert re.findall(r'(?:src|href|action)\s*=\s*"(?!data:|#)', page) == []  # no network, no external file
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert page.count("data:image/png;base64,") == 1 and page.count("<details>") >= 2 * len(MEASURES)
    assert html.escape(shlex.join(cmd)) in page and "data:x|encoder:y" in page
    assert all(f'id="m-{m.lower().replace("@", "-")}"' in page for m in MEASURES)
    verdict = pd.read_html(io.StringIO(page))[0]
    assert list(verdict.columns) == ["condition", "Unnamed: 1", *LANGS, "all", "verdict (all)"]
    # deltas coloured by their verdict, significance marked
    lost = robust[(robust.measure == "R@2kt") & (robust.lang == ALL) & (robust.verdict == "gain lost")]
    assert len(lost) and 'class="vd lost"' in page and "†" in page
    assert render_html(board, robust, {"severity": png}, cmd) == render_html(board, robust, {"severity": png}, cmd)


def test_several_pairs_get_their_own_tables():
    pq = synthetic(systems=("baseline", "xqg", "mbert"), n=51, measures=("R@2kt",))  # n > 50: no exact Wilcoxon
    board, robust = frames(pq, systems=("xqg", "mbert"))
    vf = verdict_frame(board, robust)
    assert list(dict.fromkeys(zip(vf.baseline, vf.system, strict=True))) == [("baseline", "xqg"), ("baseline", "mbert")]
    text = summary_text(vf)
    assert "R@2kt (percent): +xQG vs baseline" in text and "R@2kt (percent): mbert vs baseline" in text
    page = render_html(board, robust)
    assert ">+xQG vs baseline: R@2kt</label>" in page and ">mbert vs baseline: R@2kt</label>" in page
    with pytest.raises(ValueError, match="add 'baseline' and 'system' columns"):
        verdict_frame(board, robust.drop(columns=["baseline", "system"]))
    # clean queries only (a run without variants): the clean rows, no robustness section
    clean_only = verdict_frame(board[board.condition == "clean"], None)
    assert set(clean_only.condition) == {"clean"} and clean_only["did"].isna().all()
    page = render_html(board[board.condition == "clean"])
    assert "No perturbed condition in this run." in page and "Δ gain" not in page


def test_severity_plot_integer_ticks_bands_one_legend_and_same_bytes(default_shaped, tmp_path):
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    pq, board, _robust = default_shaped
    fig = severity_figure(pq, ["R@2kt", "nDCG@10"], [("baseline", "xqg")], samples=SAMPLES)
    try:
        assert len(fig.legends) == 1 and all(ax.get_legend() is None for ax in fig.axes)
        assert [t.get_text() for t in fig.legends[0].get_texts()][:2] == ["baseline", "+xQG"]
        assert len(fig.axes) == 4  # scores, then the gain, for each measure
        for ax in fig.axes:
            assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2", "3"]
            assert ax.get_xlabel() == "keyboard typos per question (0 = clean)"
            bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
            assert len(bands) == len([line for line in ax.get_lines() if line.get_marker() == "o"]) > 0
    finally:
        plt.close(fig)
    # the gain's band at 0 typos is the leaderboard's CI of the clean gain (same resamples)
    means = severity_means(pq, {"clean"}, ["R@2kt"], [("baseline", "xqg")], samples=SAMPLES)
    gain = means[means.series == "xqg - baseline"].iloc[0]
    clean = board[(board.measure == "R@2kt") & (board.condition == "clean") & (board.lang == ALL)].iloc[0]
    assert (gain["mean"], gain.ci_low, gain.ci_high) == pytest.approx((clean.delta, clean.ci_low, clean.ci_high))
    paths = [tmp_path / "a.png", tmp_path / "b.png"]
    for p in paths:
        assert severity_plot(pq.sample(frac=1.0, random_state=len(str(p))), str(p), ["R@2kt"], [("baseline", "xqg")])
    a, b = (p.read_bytes() for p in paths)
    assert a == b and b"Software" not in a and b"matplotlib" not in a


def test_run_argv_recreates_the_configuration():
    from xqg_bench.experiment.pipeline import RunConfig
    from xqg_bench.run import main_parser, run_argv, run_config
    from xqg_bench.xqg.augment import AugmentConfig
    from xqg_bench.xqg.system import XqgConfig

    assert run_argv(RunConfig()) == ["python", "-m", "xqg_bench.run"]
    aug = AugmentConfig(alpha=0.02, agg="mean", langs=("ja",), n=1, renorm="l2")
    cfgs = [
        RunConfig(
            dataset="xqg-bench:mini/dev/ja", encoder='hf(model="/m y",pooling=cls)', output_dir="out", depth=50,
            measures=("nDCG@10",), budgets=(2000, 5000), variants=("typo(kind=keyboard,n=1,seed=13)",), seeds=2,
            margin=0.25, xqg=XqgConfig("cldr", ("ja", "ko"), 2, 5, aug, "queries", "float16", True), test="t",
            correction="bh", samples=500, stats_seed=3, max_samples=1000, shard_size=32, index_type="HNSW32",
            predictions="json.gz", variant_predictions=True,
        ),
        RunConfig(xqg=None, variants=()),
    ]  # fmt: skip
    for cfg in cfgs:
        argv = run_argv(cfg)
        assert argv[:3] == ["python", "-m", "xqg_bench.run"]
        assert run_config(main_parser().parse_args(argv[3:])) == cfg


# ---------------------------------------------------------------------------------------------
# a small real run: the command's stdout and its report in headless Chromium


@pytest.fixture(scope="module")
def small_run(tiny_models, tmp_path_factory):
    from xqg_bench.run import main

    out = tmp_path_factory.mktemp("report") / "out"
    argv = [
        "--dataset", "xqg-bench:mini/dev/ja", "--encoder", f"hf(model={tiny_models['bert']})", "--xqg-n", "1",
        "--xqg-langs", "ja", "--variant", "typo(kind=keyboard,n=1,seed=13)", "--variant",
        "typo(kind=keyboard,n=2,seed=13)", "--seeds", "1", "--samples", "200", "--budgets", "2000,5000",
        "--measures", "nDCG@10", "--no-progress", "--output-dir", str(out),
    ]  # fmt: skip
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(argv) == 0
    index = json.loads((out / "index.json").read_text())
    return out, argv, buf.getvalue(), index["experiments"][index["latest"]] | {"key": index["latest"]}


def test_the_run_prints_the_verdict_table_first_and_registers_the_report(small_run):
    out, argv, stdout, entry = small_run
    lines = stdout.splitlines()
    assert lines[0].startswith("Question: ") and lines[2] == "R@2kt (percent): +xQG vs baseline"
    assert lines[3].split() == ["condition", "ja", "all", "verdict"]
    assert lines[5].split()[:2] == ["clean", "baseline"] and lines[8].split()[:3] == ["1", "keyboard", "typo"]
    report = entry["files"]["report.html"]  # registered in the index, named by the run's key
    assert report == f"xqg-bench-mini-dev-ja.hf-{entry['key']}.report.html" and os.path.isfile(out / report)
    assert f"report: {out / report}" in stdout and f"  report.html: {out / report}" in stdout
    assert "# Leaderboard" not in stdout and len(lines) < 80  # the full tables are in the files
    page = (out / report).read_text(encoding="utf-8")
    cmd = shlex.split(html.unescape(re.search(r"<pre>(.*?)</pre>", page, flags=re.S).group(1)))
    assert cmd[:3] == ["python", "-m", "xqg_bench.run"]
    from xqg_bench.run import NOT_OUTPUT, main_parser, run_config

    want = run_config(main_parser().parse_args(argv)).__dict__ | {"output_dir": "out"}  # the folder's name
    got = run_config(main_parser().parse_args(cmd[3:])).__dict__
    assert {k: v for k, v in got.items() if k not in NOT_OUTPUT} == {
        k: v for k, v in want.items() if k not in NOT_OUTPUT
    }


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


# records errors before the page's own script runs; after load, writes what the test checks into the DOM
_CATCH = (
    "<script>window.__errors=[];window.addEventListener('error',function(e){window.__errors.push(String(e.message))});"
    "(function(){var f=console.error;console.error=function(){window.__errors.push([].join.call(arguments,' '));"
    "f.apply(console,arguments)}})();</script>"
)
_PROBE = """<script>window.addEventListener('load',function(){
var r=document.getElementById('verdict-0').getBoundingClientRect();
var out={top:r.top+scrollY,bottom:r.bottom+scrollY,right:r.right,width:innerWidth,
  scroll:document.documentElement.scrollWidth};
var img=document.querySelector('#severity img');out.img=img?img.naturalWidth:0;
var tab=document.querySelector('label[for="vt-1"]');if(tab){tab.click();
out.tab=[document.getElementById('verdict-0').offsetParent===null,document.getElementById('verdict-1').offsetParent!==null];}
var t=document.querySelector('#measures table.sortable'),ths=[].slice.call(t.tHead.rows[0].cells);
var i=ths.findIndex(function(h){return h.textContent==='mean (system)'});
var col=function(){return [].map.call(t.tBodies[0].rows,function(row){return parseFloat(row.cells[i].textContent)})};
ths[i].click();out.asc=col();ths[i].click();out.desc=col();out.errors=window.__errors;
document.body.setAttribute('data-probe',JSON.stringify(out));});</script>"""


def probe(page_path, width=1400, height=900):
    """Layout facts of the page in headless Chromium at width x height (see _PROBE)."""
    text = open(page_path, encoding="utf-8").read()
    text = text.replace("<head>", "<head>" + _CATCH, 1).replace("</body>", _PROBE + "</body>")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "probe.html")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        proc = subprocess.run(
            [
                _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                "--disable-background-networking", "--disable-component-update", f"--user-data-dir={tmp}/profile",
                f"--window-size={width},{height}", "--dump-dom", "file://" + path,
            ],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    found = re.search(r'data-probe="([^"]*)"', proc.stdout)
    assert found, f"chromium wrote no probe ({proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (apt-get install chromium)")
def test_html_report_in_headless_chromium(small_run, default_shaped, tmp_path):
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parents[1] / "scripts"))
    from screenshot_html import screenshot

    out, _argv, _stdout, entry = small_run
    report = str(out / entry["files"]["report.html"])
    shot = str(tmp_path / "report.png")
    assert screenshot(report, shot, width=1400, height=900) == []  # no console error
    with open(shot, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and (int.from_bytes(head[16:20]), int.from_bytes(head[20:24])) == (
        1400,
        900,
    )
    facts = probe(report)
    assert facts["errors"] == [] and facts["width"] == 1400
    assert 0 < facts["top"] < facts["bottom"] <= 900 and facts["right"] <= 1400  # the verdict table: first screen
    assert facts["scroll"] <= 1400 and facts["img"] > 0  # no sideways scrolling; the plot decodes under the CSP
    assert facts["tab"] == [True, True]  # the R@5kt tab replaces the R@2kt table
    assert facts["asc"] == sorted(facts["asc"]) and facts["desc"] == sorted(facts["asc"], reverse=True)
    # the default run's shape (7 languages, 7 conditions, 3-digit scores): its verdict table fits the first screen too
    pq, board, robust = default_shaped
    big = tmp_path / "default.html"
    board = board.assign(mean_system=board.mean_system.where(~board.measure.str.startswith("R@"), 100.0))
    assert severity_plot(pq, str(tmp_path / "s.png"), ["R@2kt", "R@5kt", "nDCG@10"], [("baseline", "xqg")], 200)
    big.write_text(render_html(board, robust, {"severity": (tmp_path / "s.png").read_bytes()}), encoding="utf-8")
    facts = probe(str(big))
    assert facts["errors"] == [] and 0 < facts["top"] < facts["bottom"] <= 900 and facts["right"] <= 1400
    assert facts["scroll"] <= 1400 and facts["img"] > 0
