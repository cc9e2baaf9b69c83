"""The answer first: the research question and a one-screen verdict table, on stdout and at the top of one
self-contained HTML report.

The verdict table is in the paper's layout — languages as columns, the macro average ``all`` last — with,
per condition (clean and each perturbation) and measure (R@2kt, R@5kt, nDCG@10): each system's score, the
gain with its CI, and for a perturbation the change of the gain (difference-in-differences) with its CI
and the verdict. Below it, the HTML report embeds the severity plots and gives per-measure sections
(sortable tables, per-language detail collapsed), the robustness tables, the signatures and the command
that re-creates every figure; no network, no external asset.

Everything here is a pure function of the run's frames — the leaderboard
(:func:`xqg_bench.statistics.leaderboard.leaderboard_frame`), the robustness table
(:func:`xqg_bench.statistics.robustness.robustness_table`), figures as PNG bytes, signatures and the command — so a
report can be rebuilt from the files of a run. Each (baseline, system) pair of the frames gets its own
tables; nothing assumes two systems or their names.
"""

from __future__ import annotations

import base64
import html
import math
import shlex
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from xqg_bench.core.atomic import atomic_write_text, output_path
from xqg_bench.evaluate.measures import decimals, is_percent
from xqg_bench.statistics.compare import ALL, MICRO, OK
from xqg_bench.statistics.labels import condition_key, condition_label, system_label
from xqg_bench.statistics.leaderboard import _display
from xqg_bench.statistics.leaderboard import _legend as board_legend
from xqg_bench.statistics.robustness import legend as robust_legend
from xqg_bench.statistics.robustness import over_seeds, stability_table, verdict_table, worst_case

QUESTION = (
    "Does cross-lingual query generation (xQG) make multilingual dense retrievers more robust to noisy and "
    "adversarial queries: does its gain over the baseline in R@2kt / R@5kt survive perturbed queries?"
)
VERDICT_MEASURES = ("R@2kt", "R@5kt", "nDCG@10")
LOST, GREW, KEPT, NO_GAIN, OPEN = "gain lost", "gain grew", "gain kept", "no clean gain", "inconclusive"
SIG, EQUIV = "†", "≈"


def languages(*frames: pd.DataFrame | None) -> list[str]:
    """The languages of the frames, sorted, then the macro average ``all`` (the paper's layout)."""
    langs: set[str] = set()
    for f in frames:
        if f is not None and not f.empty:
            langs |= set(f["lang"])
    return sorted(langs - {ALL, MICRO}) + [ALL]


def pairs(board: pd.DataFrame) -> list[tuple[str, str]]:
    """(baseline, system) pairs in the leaderboard's order."""
    return list(dict.fromkeys(zip(board["baseline"], board["system"], strict=True)))


def _pair_rows(robust: pd.DataFrame | None, board: pd.DataFrame) -> pd.DataFrame | None:
    """The robustness rows with their pair; a frame without ``baseline``/``system`` columns is about the
    leaderboard's single pair."""
    if robust is None or robust.empty:
        return None
    if {"baseline", "system"} <= set(robust.columns):
        return robust
    found = pairs(board)
    if len(found) != 1:
        raise ValueError(
            f"the robustness rows name no (baseline, system) pair and the leaderboard has {len(found)}: "
            "add 'baseline' and 'system' columns to the robustness frame"
        )
    return robust.assign(baseline=found[0][0], system=found[0][1])


VERDICT_COLUMNS = [
    "baseline", "system", "measure", "condition", "label", "lang", "n", "of", "mean_baseline", "mean_system",
    "gain", "gain_low", "gain_high", "gain_significant", "did", "did_low", "did_high", "verdict", "status",
    "to_settle",
]  # fmt: skip


def verdict_frame(
    board: pd.DataFrame,
    robust: pd.DataFrame | None = None,
    measures: Sequence[str] = VERDICT_MEASURES,
    order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per (pair, measure, condition, language | ``all``): the verdict table's numbers.

    Clean rows come from the leaderboard (every question; ``gain_significant``: its corrected test);
    perturbed rows from the robustness table (the questions the variant changed: scores, gain, DiD with
    CIs, verdict; ``gain_significant`` is not tested there and stays empty). ``measures``: those the run has
    (if it has none of them, its first ones); ``order``: conditions in this order (default
    :func:`condition_key`)."""
    robust = _pair_rows(robust, board)
    found = list(board["measure"].unique())
    present = [m for m in measures if m in found] or found[: len(measures)]  # else the run's first measures
    # plain records: row access on pandas objects (and copying their attrs) would dominate the cost
    clean: dict[tuple, list[dict]] = {}
    for x in board[board["condition"] == "clean"].to_dict("records"):
        if x["lang"] != MICRO and x["measure"] in present:
            clean.setdefault((x["baseline"], x["system"], x["measure"]), []).append(x)
    pert: dict[tuple, list[dict]] = {}
    seeds: dict[str, int] = {}
    if robust is not None:
        for x in robust[robust["measure"].isin(present)].to_dict("records"):
            pert.setdefault((x["baseline"], x["system"], x["measure"], x["condition"]), []).append(x)
            seeds[x["condition"]] = max(seeds.get(x["condition"], 1), int(x.get("seeds", 1)))
    conds = sorted({"clean"} | {k[3] for k in pert}, key=condition_key)
    if order is not None:
        rank = {c: i for i, c in enumerate(["clean", *order])}
        conds.sort(key=lambda c: (rank.get(c, len(rank)), condition_key(c)))
    nan = float("nan")
    rows = []
    for baseline, system in pairs(board):
        for measure in present:
            for cond in conds:
                label = condition_label(cond, seeds.get(cond, 1))
                key = {"baseline": baseline, "system": system, "measure": measure, "condition": cond, "label": label}
                if cond == "clean":
                    for x in clean.get((baseline, system, measure), []):
                        ok = bool(x["n"])
                        rows.append(key | {
                            "lang": x["lang"], "n": int(x["n"]), "of": int(x["n"]), "mean_baseline": x["mean_baseline"],
                            "mean_system": x["mean_system"], "gain": x["delta"], "gain_low": x["ci_low"],
                            "gain_high": x["ci_high"], "gain_significant": bool(x["significant"]) if ok else None,
                            "did": nan, "did_low": nan, "did_high": nan, "verdict": "" if ok else "not compared",
                            "status": x["status"], "to_settle": nan,
                        })  # fmt: skip
                    continue
                for x in pert.get((baseline, system, measure, cond), []):
                    ok = bool(x["n"])
                    get = lambda c, x=x, ok=ok: float(x.get(c, nan)) if ok else nan  # noqa: E731
                    rows.append(key | {
                        "lang": x["lang"], "n": int(x["n"]), "of": int(x["of"]),
                        "mean_baseline": get("mean_baseline_perturbed"), "mean_system": get("mean_system_perturbed"),
                        "gain": get("gain_perturbed"), "gain_low": get("gain_perturbed_ci_low"),
                        "gain_high": get("gain_perturbed_ci_high"), "gain_significant": None, "did": get("did"),
                        "did_low": get("did_ci_low"), "did_high": get("did_ci_high"), "verdict": x["verdict"],
                        "status": x["status"], "to_settle": get("questions_to_settle"),
                    })  # fmt: skip
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


def _by_condition(g: pd.DataFrame) -> dict[str, dict[str, dict]]:
    """condition -> language -> the verdict frame's row (a dict), in the frame's order."""
    out: dict[str, dict[str, dict]] = {}
    for r in g.to_dict("records"):
        out.setdefault(r["condition"], {})[r["lang"]] = r
    return out


# ---------------------------------------------------------------------------------------------
# formatting


def fmt(measure: str, v: float, sign: bool = False) -> str:
    """With the measure's compact number of digits (R@kt: percentages with 2; other measures in [0, 1] with 3); a
    value that rounds to zero is ``0.00`` (never ``-0.00``); ``sign``: ``+`` before a positive value."""
    if v is None or not math.isfinite(v):
        return "–"
    text = f"{v:.{decimals(measure, compact=True)}f}"
    if not text.strip("-0."):
        return text.lstrip("-")
    return "+" + text if sign and v > 0 else text


def fmt_ci(measure: str, lo: float, hi: float) -> str:
    return f"[{fmt(measure, lo)}, {fmt(measure, hi)}]" if math.isfinite(lo) and math.isfinite(hi) else ""


def _marks(row: Mapping, what: str) -> str:
    if what == "gain":
        return SIG if row["gain_significant"] is True else ""
    return SIG if row["verdict"] in (LOST, GREW) else EQUIV if row["verdict"] in (KEPT, NO_GAIN) else ""


def _verdict_cell(row: Mapping) -> str:
    if not row["n"]:
        return "not compared"
    text = row["verdict"]
    if row["status"] != OK:
        text += " *"
    return text


def legend_lines(vf: pd.DataFrame) -> list[str]:
    """What the verdict table's cells mean (plain text, also used in the HTML)."""
    partial = vf[(vf["condition"] != "clean") & (vf["lang"] == ALL) & (vf["n"] < vf["of"]) & (vf["n"] > 0)]
    lines = [
        "Columns: languages, then 'all' = the plain mean over languages (XOR-Retrieve's average; its tests and CIs "
        "are stratified by language). R@kt in percent, other measures in [0, 1].",
        "gain = system - baseline with its 95% bootstrap CI; † after a clean gain: significant after the "
        "leaderboard's correction.",
    ]
    if (vf["condition"] != "clean").any():
        lines[-1] += (
            " Δ gain = the change of the gain under the perturbation (difference-in-differences, per question) "
            "with its 95% CI; † = the DiD test is significant after correction (gain lost / grew), ≈ = equivalence "
            "within the margin is shown (gain kept)."
        )
        lines.append(
            "verdict ('all'): gain lost / gain grew / gain kept / no clean gain / inconclusive (neither a change nor "
            "equivalence shown: not evidence of no effect); the robustness files give p-values, margins, MDE and "
            "the questions that would settle it."
        )
    if not partial.empty:
        lines.append(
            "A perturbed condition is measured on the questions its variant changed (its scores and gains too), "
            "so a row's clean gain may differ from the clean row's; conditions changing fewer questions: "
            + "; ".join(
                f"{r.label} {int(r.n)} of {int(r.of)}" for r in partial.drop_duplicates("condition").itertuples()
            )
            + "."
        )
    if (vf["status"].fillna(OK) != OK).any():
        lines.append(
            "*: 'all' is the mean over the languages compared ('–': a language not compared, e.g. the variant changed "
            "none of its questions; the robustness and leaderboard files give the reason)."
        )
    return lines


# ---------------------------------------------------------------------------------------------
# plain text (stdout)


def _text_rows(g: pd.DataFrame, measure: str, langs: list[str]) -> list[list[str]]:
    rows = []
    for cond, by in _by_condition(g).items():
        first = next(iter(by.values()))
        allr = by.get(ALL)

        def cells(what: str, by=by, allr=allr) -> list[str]:
            out = []
            for lang in langs[:-1]:
                r = by.get(lang)
                if r is None or not r["n"]:
                    out.append("–")
                elif what in ("mean_baseline", "mean_system"):
                    out.append(fmt(measure, r[what]))
                else:
                    out.append(fmt(measure, r[what], sign=True) + _marks(r, what))
            if allr is None or not allr["n"]:
                out.append("–")
            elif what in ("mean_baseline", "mean_system"):
                out.append(fmt(measure, allr[what]))
            else:
                lo, hi = ("gain_low", "gain_high") if what == "gain" else ("did_low", "did_high")
                out.append(f"{fmt(measure, allr[what], sign=True)} {fmt_ci(measure, allr[lo], allr[hi])}"
                           f"{_marks(allr, what)}")  # fmt: skip
            return out

        name = first["label"]
        sub = f"{int(allr['n'])} of {int(allr['of'])} questions" if allr is not None and allr["n"] < allr["of"] else ""
        verdict = "" if cond == "clean" or allr is None else _verdict_cell(allr)
        rows.append([name, system_label(first["baseline"]), *cells("mean_baseline"), ""])
        rows.append([sub, system_label(first["system"]), *cells("mean_system"), ""])
        rows.append(["", "gain", *cells("gain"), ""])
        if cond != "clean":
            rows.append(["", "Δ gain", *cells("did"), verdict])
    return rows


def _text_table(header: list[str], rows: list[list[str]], right: Iterable[int]) -> list[str]:
    right = set(right)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def verdict_text(vf: pd.DataFrame) -> str:
    """The verdict tables as fixed-width text: one per (pair, measure)."""
    langs = languages(vf)
    parts = []
    for (baseline, system, measure), g in vf.groupby(["baseline", "system", "measure"], sort=False):
        unit = " (percent)" if is_percent(measure) else ""
        parts.append(f"{measure}{unit}: {system_label(system)} vs {system_label(baseline)}")
        header = ["condition", "", *langs, "verdict"]
        right = range(2, 2 + len(langs))
        parts += _text_table(header, _text_rows(g, measure, langs), right)
        parts.append("")
    return "\n".join(parts)


def summary_text(vf: pd.DataFrame, report_path: str | None = None) -> str:
    """What the run prints first: the question, the verdict tables, their legend, the report's path."""
    lines = [f"Question: {QUESTION}", "", verdict_text(vf)]
    lines += legend_lines(vf)
    if report_path:
        lines += ["", f"report: {report_path}  (the tables above, severity plots, every measure, signatures)"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# HTML

STYLE = """
body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 16px 40px;color:#1b1b1b;max-width:1600px}
h1{font-size:20px;margin:12px 0 2px}h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin:18px 0 4px}.meta{color:#555;font-size:12px;margin:0}
.q{margin:6px 0 8px;font-size:15px}nav{font-size:13px;margin:4px 0 6px}nav a{margin-right:10px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:2px 7px;text-align:right;white-space:nowrap;border-bottom:1px solid #e4e4e4}
th{background:#f4f4f4;font-weight:600}td.l,th.l{text-align:left}
table.v{font-size:13px}table.v td{padding:1px 5px;vertical-align:top}table.v tr.c td{border-top:2px solid #bbb}
table.v td.cond{text-align:left;font-weight:600;white-space:normal;min-width:140px;max-width:200px}
table.v td.k{text-align:left;color:#555;font-size:11.5px}
table.v small{display:block;color:#666;font-size:10.5px;line-height:1.1;font-weight:400}
table.v td.vd{white-space:normal;min-width:100px;max-width:160px}
table.v td.all{border-left:2px solid #bbb;font-weight:600}
.pos{color:#0a6b2b}.neg{color:#b3261e}.s{font-weight:700}
.lost{background:#fbe3e1}.grew{background:#dcf3e3}.kept{background:#e1ecfa}.nogain{background:#eee}
td.vd{text-align:left;font-weight:600}
.tabs{margin-top:6px}.tabs>input{position:absolute;opacity:0}
.tabs>label{display:inline-block;padding:3px 12px;margin-right:4px;border:1px solid #ccc;border-bottom:0;
border-radius:5px 5px 0 0;cursor:pointer;background:#f4f4f4;font-weight:600}
.tabs>.panel{display:none;border-top:1px solid #ccc;padding-top:4px}
.legend{font-size:12px;color:#444;max-width:1250px;margin:4px 0}
table.sortable th{cursor:pointer}table.sortable th[aria-sort=ascending]::after{content:' ▲'}
table.sortable th[aria-sort=descending]::after{content:' ▼'}
details{margin:6px 0}summary{cursor:pointer;color:#124}code,pre{font-size:12px}
pre{background:#f6f6f6;padding:8px;white-space:pre-wrap;word-break:break-all}
li code{word-break:break-all}img{max-width:100%}.wide{overflow-x:auto;max-width:100%}
"""

# sortable tables: a click on a header sorts the rows by that column (numbers by value), again to reverse
SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function(t){
  t.querySelectorAll('thead th').forEach(function(th,i){
    th.addEventListener('click',function(){
      var asc=th.getAttribute('aria-sort')!=='ascending';
      t.querySelectorAll('thead th').forEach(function(h){h.removeAttribute('aria-sort');});
      th.setAttribute('aria-sort',asc?'ascending':'descending');
      var key=function(r){var s=r.cells[i]?r.cells[i].textContent.replace('\\u2212','-'):'';
        var x=parseFloat(s);return isNaN(x)?[1,s]:[0,x];};
      var rows=Array.prototype.slice.call(t.tBodies[0].rows);
      rows.sort(function(a,b){var x=key(a),y=key(b);
        var c=x[0]-y[0]||(x[1]<y[1]?-1:x[1]>y[1]?1:0);return asc?c:-c;});
      rows.forEach(function(r){t.tBodies[0].appendChild(r);});
    });
  });
});
"""

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _minus(text: str) -> str:
    return text.replace("-", "−")  # a typographic minus: numbers only


def _num_cell(measure: str, r: Mapping | None, what: str, cls: str = "") -> str:
    if r is None or not r["n"]:
        title = "" if r is None else f' title="{_e(r["status"])}"'
        return f'<td class="{cls}"{title}>–</td>'
    if what == "scores":
        text = f"{fmt(measure, r['mean_baseline'])} → {fmt(measure, r['mean_system'])}"
        return f'<td class="{cls}">{_e(text)}</td>'
    v = r[what]
    lo, hi = (r["gain_low"], r["gain_high"]) if what == "gain" else (r["did_low"], r["did_high"])
    mark = _marks(r, what)
    text = fmt(measure, v, sign=True)
    classes = [cls, "pos" if text[0] == "+" else "neg" if text[0] == "-" else ""]
    if mark == SIG:
        classes.append("s")
    if what == "did":
        classes.append({LOST: "lost", GREW: "grew", KEPT: "kept", NO_GAIN: "nogain"}.get(r["verdict"], ""))
    title = f"n = {int(r['n'])}" + (f"; verdict: {r['verdict']}" if what == "did" else "")
    return (
        f'<td class="{" ".join(c for c in classes if c)}" title="{_e(title)}">{_e(_minus(text))}'
        f"{_e(mark)}<small>{_e(_minus(fmt_ci(measure, lo, hi)))}</small></td>"
    )


def verdict_html(vf: pd.DataFrame, table_id: str) -> str:
    """One verdict table (one pair and measure): a row of both systems' scores, the gain and, for a
    perturbation, the change of the gain and the verdict, per condition."""
    langs = languages(vf)
    measure = vf["measure"].iloc[0]
    head = "".join(f"<th{' class=all' if lg == ALL else ''}>{_e(lg)}</th>" for lg in langs)
    out = [
        f'<div class="wide"><table class="v" id="{_e(table_id)}"><thead><tr><th class="l">condition</th>'
        f'<th class="l"></th>{head}<th class="l">verdict (all)</th></tr></thead><tbody>'
    ]
    b, s = system_label(vf["baseline"].iloc[0]), system_label(vf["system"].iloc[0])
    for cond, by in _by_condition(vf).items():
        allr = by.get(ALL)
        label = next(iter(by.values()))["label"]
        kinds = [("scores", f"{b} → {s}"), ("gain", "gain")] + ([] if cond == "clean" else [("did", "Δ gain")])
        for k, (what, name) in enumerate(kinds):
            cells = "".join(_num_cell(measure, by.get(lg), what, "all" if lg == ALL else "") for lg in langs)
            first = ""
            if k == 0:
                note = ""
                if allr is not None and 0 < allr["n"] < allr["of"]:
                    note = f"<small>{int(allr['n'])} of {int(allr['of'])} questions changed</small>"
                first = f'<td class="cond" rowspan="{len(kinds)}">{_e(label)}{note}</td>'
            verdict = ""
            if k == 0:
                text = "" if cond == "clean" or allr is None else _verdict_cell(allr)
                cls = {LOST: "lost", GREW: "grew", KEPT: "kept", NO_GAIN: "nogain"}.get(text.rstrip(" *"), "")
                extra = ""
                if allr is not None and text.startswith(OPEN) and math.isfinite(allr["to_settle"]):
                    extra = f"<small>~{int(allr['to_settle'])} questions would settle it</small>"
                verdict = f'<td class="vd {cls}" rowspan="{len(kinds)}">{_e(text)}{extra}</td>'
            out.append(f'<tr{" class=c" if k == 0 else ""}>{first}<td class="k">{_e(name)}</td>{cells}{verdict}</tr>')
    out.append("</tbody></table></div>")
    return "".join(out)


def _tabs(panels: list[tuple[str, str]], group: str) -> str:
    """CSS-only tabs (radio buttons): the first panel shows; no script needed."""
    css, inputs, bodies = [], [], []
    for i, (label, body) in enumerate(panels):
        tid = f"{group}-{i}"
        checked = " checked" if i == 0 else ""
        inputs.append(f'<input type="radio" name="{group}" id="{tid}"{checked}><label for="{tid}">{_e(label)}</label>')
        bodies.append(f'<div class="panel" id="{tid}-p">{body}</div>')
        css.append(f"#{tid}:checked~#{tid}-p{{display:block}}")
    return f'<style>{"".join(css)}</style><div class="tabs">{"".join(inputs)}{"".join(bodies)}</div>'


def _table(df: pd.DataFrame | list[dict], sortable: bool = True, left: Sequence[str] = ()) -> str:
    """A table (a frame, or rows as dicts with the same keys) with the text of each cell escaped."""
    rows = df.to_dict("records") if isinstance(df, pd.DataFrame) else df
    cols = list(df.columns) if isinstance(df, pd.DataFrame) else list(rows[0]) if rows else []
    cls = ' class="sortable"' if sortable else ""
    lcols = [c in left for c in cols]
    head = "".join(f"<th{' class=l' if lc else ''}>{_e(c)}</th>" for c, lc in zip(cols, lcols, strict=True))
    body = [
        "<tr>"
        + "".join(f"<td{' class=l' if lc else ''}>{_e(r[c])}</td>" for c, lc in zip(cols, lcols, strict=True))
        + "</tr>"
        for r in rows
    ]
    return f'<div class="wide"><table{cls}><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text).strip("-").lower()


def _measure_sections(board: pd.DataFrame, robust: pd.DataFrame | None, order: Sequence[str]) -> tuple[str, list]:
    left = ("condition", "lang", "baseline", "system", "status", "verdict")
    found = list(board["measure"].unique())
    measures = list(dict.fromkeys([*(m for m in VERDICT_MEASURES if m in found), *found]))
    rank = {c: i for i, c in enumerate(order)}

    def ordered(rows: list[dict]) -> list[dict]:
        return sorted(rows, key=lambda r: rank.get(r["condition"], len(rank)))  # stable: languages stay in order

    robust_rows: dict[str, list[dict]] = {}
    if robust is not None and not robust.empty:
        for r in verdict_table(robust).to_dict("records"):
            robust_rows.setdefault(r.pop("measure"), []).append(r)
    toc, out = [], []
    tables = _display(board)
    for m in measures:
        sid = "m-" + _slug(m)
        toc.append((sid, m))
        rows = ordered(tables[m].to_dict("records"))
        macro = [r for r in rows if r["lang"] == ALL]
        per_lang = [r for r in rows if r["lang"] != ALL]
        out.append(f'<section id="{sid}"><h3>{_e(m)}</h3><p class="legend">Leaderboard, mean over languages:</p>')
        out.append(_table(macro, left=left))
        out.append(f"<details><summary>per language and pooled (all (micro)): {len(per_lang)} rows</summary>")
        out.append(_table(per_lang, left=left) + "</details>")
        if robust_rows.get(m):
            rows = ordered(robust_rows[m])
            per_lang = [r for r in rows if r["lang"] != ALL]
            out.append('<p class="legend">Robustness of the gain, mean over languages:</p>')
            out.append(_table([r for r in rows if r["lang"] == ALL], left=left))
            out.append(f"<details><summary>robustness per language: {len(per_lang)} rows</summary>")
            out.append(_table(per_lang, left=left) + "</details>")
        out.append("</section>")
    return "".join(out), toc


def render_html(
    board: pd.DataFrame,
    robust: pd.DataFrame | None = None,
    figures: Mapping[str, bytes] | None = None,
    command: Sequence[str] = (),
    signatures: Sequence[str] = (),
    files: Mapping[str, str] | None = None,
    title: str = "xqg-bench report",
    order: Sequence[str] | None = None,
    verdicts: pd.DataFrame | None = None,
) -> str:
    """The self-contained HTML report: question and verdict tables first, then the severity plots (PNG as
    data URIs), per-measure sections, robustness tables, signatures and how to re-create every figure.

    ``figures``: caption -> PNG bytes; ``command``: the argv that re-creates the run; ``signatures``: the
    experiment's signature(s), shown beside the leaderboard's per-row signatures; ``files``: kind -> file
    name of the run's outputs, for the re-creation section (names only: the page does not depend on where
    the run was written); ``verdicts``: :func:`verdict_frame` of the same frames, if already computed."""

    figures = dict(figures or {})
    robust = _pair_rows(robust, board)
    vf = verdict_frame(board, robust, order=order) if verdicts is None else verdicts
    cond_order = list(dict.fromkeys(vf["condition"])) or sorted(set(board["condition"]), key=condition_key)
    panels = []
    many = len(pairs(board)) > 1
    for i, ((b, s, m), g) in enumerate(vf.groupby(["baseline", "system", "measure"], sort=False)):
        label = f"{system_label(s)} vs {system_label(b)}: {m}" if many else m
        panels.append((label, verdict_html(g, f"verdict-{i}")))
    legend = "".join(f"<p class=legend>{_e(line)}</p>" for line in legend_lines(vf))
    sections, toc = _measure_sections(board, robust, cond_order)
    nav = [("verdict", "Verdict"), ("severity", "Severity plots"), ("measures", "Per measure")]
    nav += [("robustness", "Robustness tables"), ("signatures", "Signatures"), ("recreate", "Re-create")]
    body = [
        f"<header><h1>{_e(title)}</h1></header>",
        f'<p class="q"><b>Question.</b> {_e(QUESTION)}</p>',
        "<nav>" + "".join(f'<a href="#{a}">{_e(t)}</a>' for a, t in nav) + "</nav>",
        '<section id="verdict">' + _tabs(panels, "vt") + legend + "</section>",
        '<section id="severity"><h2>Severity plots</h2>',
    ]
    if figures:
        for caption, png in figures.items():
            data = base64.b64encode(png).decode("ascii")
            body.append(f'<figure><img alt="{_e(caption)}" src="data:image/png;base64,{data}">'
                        f"<figcaption class=legend>{_e(caption)}</figcaption></figure>")  # fmt: skip
    else:
        body.append("<p>No perturbation was swept over two or more severities in this run.</p>")
    body.append("</section>")
    body.append('<section id="measures"><h2>Per measure</h2><nav>')
    body.append("".join(f'<a href="#{a}">{_e(t)}</a>' for a, t in toc) + "</nav>")
    body.append(
        '<p class="legend">Click a column header to sort. The per-language rows are folded under each table.</p>'
    )
    body.append(sections + "</section>")
    body.append('<section id="robustness"><h2>Robustness tables</h2>')
    if robust is not None and not robust.empty:
        body.append("<h3>Worst case over conditions (all languages)</h3>" + _table(worst_case(robust)))
        seeds = over_seeds(robust[robust["lang"] == ALL])
        if (seeds["seeds"] > 1).any():
            multi = seeds[seeds["seeds"] > 1].round(4)
            body.append("<h3>Over seeds (variants differing only by seed)</h3>" + _table(multi, left=("variant",)))
        if "ktu_system" in robust.columns:
            st = stability_table(robust)
            body.append("<h3>Ranking stability (clean vs perturbed rankings of the same system)</h3>")
            body.append(_table(st[st["lang"] == ALL], left=("condition", "lang")))
            body.append(f"<details><summary>per language: {int((st['lang'] != ALL).sum())} rows</summary>")
            body.append(_table(st[st["lang"] != ALL], left=("condition", "lang")) + "</details>")
        body.append(f'<p class="legend">{_e(robust_legend(robust))}</p>')
    else:
        body.append("<p>No perturbed condition in this run.</p>")
    body.append("</section>")
    body.append('<section id="signatures"><h2>Signatures</h2>')
    body.append(f'<p class="legend">{_e(board_legend(board))}</p>')
    if signatures:
        body.append("<h3>Experiment</h3><ul>" + "".join(f"<li><code>{_e(s)}</code></li>" for s in signatures))
        body.append("</ul>")
    body.append("<h3>Leaderboard rows</h3><ul>")
    body += [f"<li><code>{_e(s)}</code></li>" for s in dict.fromkeys(board["signature"])]
    body.append("</ul></section>")
    body.append('<section id="recreate"><h2>Re-create every figure</h2>')
    if command:
        body.append(
            "<p>Every table and plot of this page comes from one command (run in the folder that holds the output "
            "folder; a second run reuses every cache and rewrites the same bytes):</p>"
            f"<pre>{_e(shlex.join(command))}</pre>"
        )
    if files:
        body.append(
            "<p>The numbers are in these files of the output folder: verdict and per-measure tables from the "
            "leaderboard and robustness files, the severity plots from the per-query files.</p><ul>"
        )
        body += [f"<li>{_e(k)}: <code>{_e(v)}</code></li>" for k, v in files.items()]
        body.append("</ul>")
    body.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + f"\n<script>{SCRIPT}</script>\n</body></html>\n"
    )


def write_report(
    out_dir: str,
    stem: str,
    board: pd.DataFrame,
    robust: pd.DataFrame | None,
    files: Mapping[str, str],
    command: Sequence[str] = (),
    signatures: Sequence[str] = (),
    order: Sequence[str] | None = None,
) -> tuple[str, str]:
    """Write ``<out_dir>/<stem>.report.html`` (atomically) from the run's frames and the severity plot named
    in ``files``; return its path and the stdout summary."""
    import os

    figures = {}
    if "severity.png" in files:
        with open(files["severity.png"], "rb") as f:
            figures[SEVERITY_CAPTION] = f.read()
    path = output_path(out_dir, f"{stem}.report.html")
    names = {k: os.path.relpath(v, out_dir) for k, v in files.items()}
    title = f"xqg-bench report {stem}"
    vf = verdict_frame(board, robust, order=order)
    atomic_write_text(path, render_html(board, robust, figures, command, signatures, names, title, order, vf))
    return path, summary_text(vf, path)


SEVERITY_CAPTION = (
    "Each system's score against the perturbation's severity (0 = clean), mean over languages, with its 95% "
    "bootstrap CI (stratified by language) as a band; one row per swept perturbation."
)
