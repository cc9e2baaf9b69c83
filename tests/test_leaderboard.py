"""Leaderboard files are produced and parse back; the HTML page is self-contained."""

import io
import json
import re

import numpy as np
import pandas as pd
import pytest

from xqg_bench.statistics.compare import compare
from xqg_bench.statistics.leaderboard import COLUMNS, leaderboard_frame, to_markdown, write_leaderboard


@pytest.fixture(scope="module")
def board():
    rng = np.random.default_rng(0)
    rows = []
    for lang in ("ja", "ko"):
        for i in range(40):
            base = rng.random()
            for measure, scale in (("R@2kt", 100.0), ("nDCG@10", 1.0)):
                rows.append(("baseline", f"{lang}{i}", lang, measure, scale * round(base)))
                rows.append(("xqg", f"{lang}{i}", lang, measure, scale * round(min(1.0, base + 0.3))))
    df = pd.DataFrame(rows, columns=["system", "query_id", "lang", "measure", "value"])
    result = compare(df, "baseline", samples=2000)
    return leaderboard_frame(result, {"baseline": "data:x|system:enc_a&b", "xqg": "data:x|system:enc+xqg(alpha=0.01)"})


def test_files_parse_back(board, tmp_path):
    paths = write_leaderboard(board, str(tmp_path))
    assert sorted(paths) == ["csv", "html", "json", "md", "tex"]
    csv = pd.read_csv(paths["csv"])
    assert list(csv.columns) == COLUMNS and len(csv) == len(board) == 8
    np.testing.assert_allclose(csv.p_adj, board.p_adj)
    assert (csv.signature == board.signature).all() and csv.signature.str.contains("test:randomization").all()
    rows = json.load(open(paths["json"]))["rows"]
    assert [r["lang"] for r in rows] == list(board.lang) and rows[0]["signature"] == board.signature.iloc[0]
    md = open(paths["md"]).read()
    tables = re.findall(r"^\| condition.*?(?=\n\n)", md, flags=re.S | re.M)
    assert len(tables) == 2 and all(len(t.splitlines()) == 2 + 4 for t in tables)  # header, rule, 2 langs, all, micro
    tex = open(paths["tex"]).read()
    assert tex.count(r"\toprule") == 2 and tex.count(r"\bottomrule") == 2 and r"enc\_a\&b" not in tex
    assert tex.count(r"\\") >= 8 and "$^\\dagger$" in tex
    tables = pd.read_html(io.StringIO(open(paths["html"]).read()))
    assert len(tables) == 2 and list(tables[0]["lang"]) == ["ja", "ko", "all", "all (micro)"]
    page = open(paths["html"]).read()
    assert "<script" not in page and "http" not in page.split("<body>")[0]  # self-contained, no external assets


def test_significance_marker_matches_corrected_p(board):
    from xqg_bench.statistics.leaderboard import MARK, _display

    for measure, table in _display(board).items():
        sub = board[board.measure == measure]
        marked = [v.endswith(MARK) for v in table["mean (system)"]]
        assert marked == list(sub.p_adj < 0.05)


def _per_query(seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for cond in ("clean", "typo(n=1)"):
        for lang, size in (("ja", 23), ("ko", 41), ("te", 9)):
            for i in range(size):
                base = rng.random()
                for measure, scale in (("R@2kt", 100.0), ("nDCG@10", 1.0)):
                    rows.append(("baseline", cond, f"{lang}{i:03d}", lang, measure, scale * round(base)))
                    rows.append(("xqg", cond, f"{lang}{i:03d}", lang, measure, scale * round(min(1.0, base + 0.25))))
    return pd.DataFrame(rows, columns=["system", "condition", "query_id", "lang", "measure", "value"])


def test_shuffled_input_gives_byte_identical_leaderboard_files(tmp_path):
    df = _per_query()
    sigs = {"baseline": "b", "xqg": "x"}
    outs = []
    for k, frame in enumerate([df, df.sample(frac=1.0, random_state=7), df.iloc[::-1]]):
        board = leaderboard_frame(compare(frame, "baseline", samples=1000), sigs)
        paths = write_leaderboard(board, str(tmp_path / str(k)))
        outs.append({ext: open(p, "rb").read() for ext, p in paths.items()})
    assert outs[0] == outs[1] == outs[2]


def test_missing_language_is_a_row_with_status_and_never_zero_filled_into_all(tmp_path):
    df = _per_query()
    df = df[~((df.system == "xqg") & (df.lang == "te") & (df.condition == "typo(n=1)"))]
    res = compare(df, "baseline", samples=1000)
    te = res[(res.condition == "typo(n=1)") & (res.lang == "te")]
    assert (te.n == 0).all() and te.status.str.contains("xqg has no queries in te").all() and te.p_adj.isna().all()
    all_rows = res[(res.condition == "typo(n=1)") & (res.lang == "all")]
    assert all_rows.status.str.startswith("incomplete: mean over 2 of 3 languages").all()
    for r in all_rows.itertuples():  # the mean of ja and ko only: te is not scored 0
        langs = res[(res.condition == r.condition) & (res.measure == r.measure) & res.lang.isin(["ja", "ko"])]
        assert r.delta == pytest.approx(langs.delta.mean()) and r.n == 64
    assert len(res.dropna(subset=["p_adj"])) == res.attrs["family"] == (res.n > 0).sum()
    md = to_markdown(leaderboard_frame(res, {}))
    assert "2 such rows" in md and "4 incomplete 'all' rows" in md  # all and micro, 2 measures


def test_html_renders_in_headless_chromium_without_console_errors(board, tmp_path):
    import shutil
    import sys

    if not (shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")):
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parents[1] / "scripts"))
    from screenshot_html import screenshot

    paths = write_leaderboard(board, str(tmp_path))
    png = str(tmp_path / "leaderboard.png")
    assert screenshot(paths["html"], png, height=900) == []
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
