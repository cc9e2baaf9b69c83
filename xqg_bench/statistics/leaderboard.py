"""Leaderboards from compare() results: Markdown, CSV, LaTeX (booktabs), self-contained HTML, JSON.

One row per (measure, condition, language, baseline, system): the two means, the difference with
its bootstrap CI, Cohen's d_z, win/tie/loss, the raw and corrected p-values, a significance marker,
the pairing status (a language missing for one system is a row with n = 0, never a zero-filled mean),
and the signature of everything that produced it (the systems' score signatures, which name the
dataset fingerprint, encoder, index, xQG settings, measure set and run md5, plus the test,
correction, family size, resamples and seed).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping

import pandas as pd

from xqg_bench.core.atomic import output_path, publish_set
from xqg_bench.evaluate.measures import format_value as _fmt
from xqg_bench.statistics.compare import stats_signature

COLUMNS = [
    "measure", "condition", "lang", "baseline", "system", "n", "mean_baseline", "mean_system", "delta",
    "ci_low", "ci_high", "d_z", "wins", "ties", "losses", "p_t", "p_wilcoxon", "p_randomization", "mc_draws",
    "test", "correction", "p", "p_adj", "significant", "missing", "extra", "status", "signature",
]  # fmt: skip
MARK = "†"
TEXT_COLUMNS = ("condition", "lang", "baseline", "system")


def leaderboard_frame(result: pd.DataFrame, signatures: Mapping[object, str]) -> pd.DataFrame:
    """compare() output plus a per-row signature; the canonical machine-readable leaderboard.

    ``signatures`` maps ``(system, condition)`` — or just ``system`` — to that run's score
    signature (dataset and variant fingerprint, system spec, index, measures, run md5, version).
    """
    stats_sig = stats_signature(result)
    df = result.copy()

    def sig(system: str, condition: str) -> str:
        return signatures.get((system, condition)) or signatures.get(system) or system

    df["signature"] = [
        f"baseline=[{sig(b, c)}]|system=[{sig(s, c)}]|{stats_sig}"
        for b, s, c in zip(df["baseline"], df["system"], df["condition"], strict=True)
    ]
    return df[COLUMNS]


def _display(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per measure: a compact human table."""
    out = {}
    for measure, g in df.groupby("measure", sort=False):
        rows = []
        for r in g.itertuples():
            if not r.n:
                rows.append({"condition": r.condition, "lang": r.lang, "n": 0, "baseline": r.baseline,
                             "system": r.system, "status": r.status})  # fmt: skip
                continue
            rows.append(
                {
                    "condition": r.condition,
                    "lang": r.lang,
                    "n": r.n,
                    "baseline": r.baseline,
                    "mean (baseline)": _fmt(measure, r.mean_baseline),
                    "system": r.system,
                    "mean (system)": _fmt(measure, r.mean_system) + (MARK if r.significant else ""),
                    "delta [95% CI]": (
                        f"{_fmt(measure, r.delta)} [{_fmt(measure, r.ci_low)}, {_fmt(measure, r.ci_high)}]"
                    ),
                    "d_z": f"{r.d_z:.2f}",
                    "W/T/L": f"{r.wins}/{r.ties}/{r.losses}",
                    "p": f"{r.p:.2g}",
                    "p_adj": f"{r.p_adj:.4f}",
                    "status": r.status,
                }
            )
        out[str(measure)] = pd.DataFrame(rows).fillna("")
    return out


def _legend(df: pd.DataFrame) -> str:
    a = df.iloc[0]
    tested = df[df["n"] > 0]
    untested = int((df["n"] == 0).sum())
    incomplete = int(df["status"].str.startswith("incomplete").sum())
    return (
        f"{MARK}: p_adj < 0.05 ({a.test} test, {a.correction} correction over a family of {len(tested)} comparisons: "
        "measures x conditions x rows x systems; p is the raw p of the test, p_adj the corrected one). "
        "'all' is the plain mean over languages (macro, the XOR-Retrieve convention), tested by the "
        "language-stratified paired tests (sign flips and bootstrap resampling within each language, weights "
        "1/n_lang; stratified t with Welch degrees of freedom; no stratified Wilcoxon, so that test's 'all' rows use "
        "the randomisation test); 'all (micro)' pools every question. The randomisation test is exact when 2^n "
        "sign vectors fit, otherwise a sequential Monte Carlo (stops after 400 exceedances, at most "
        f"{int(df['mc_draws'].max())} draws), so the smallest corrected p is far below 0.05. Pairs are sorted by "
        "(language, query id) before any resampling. Pairing: baseline queries are the reference; queries "
        f"missing from a system score 0 ({int(tested.missing.sum())} such pairs), extra ones are ignored "
        f"({int(tested.extra.sum())}); a language one system lacks is a row with n = 0 and a status ({untested} such "
        f"rows), never zero-filled into 'all' ({incomplete} incomplete 'all' rows)."
    )


def to_markdown(df: pd.DataFrame) -> str:
    lines = ["# Leaderboard", ""]
    for measure, table in _display(df).items():
        lines += [f"## {measure}", "", table.to_markdown(index=False), ""]
    lines += [_legend(df), "", "Signatures:", ""]
    for sig in dict.fromkeys(df["signature"]):
        lines.append(f"- `{sig}`")
    return "\n".join(lines) + "\n"


_TEX = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#", "$": r"\$", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", MARK: r"$^\dagger$",
}  # fmt: skip


def _tex(text: object) -> str:
    return "".join(_TEX.get(c, c) for c in str(text))


def to_latex(df: pd.DataFrame) -> str:
    parts = ["% generated by xqg-bench; needs \\usepackage{booktabs}"]
    for measure, table in _display(df).items():
        cols = list(table.columns)
        parts += [
            r"\begin{table}[t]",
            r"\centering",
            r"\small",
            rf"\caption{{{_tex(measure)}: baseline vs systems ($^\dagger$: significant after correction)}}",
            r"\begin{tabular}{" + "".join("l" if c in TEXT_COLUMNS else "r" for c in cols) + "}",
            r"\toprule",
            " & ".join(_tex(c) for c in cols) + r" \\",
            r"\midrule",
        ]
        for row in table.itertuples(index=False):
            parts.append(" & ".join(_tex(v) for v in row) + r" \\")
        parts += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
    return "\n".join(parts)


def to_html(df: pd.DataFrame, title: str = "xqg-bench leaderboard") -> str:
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
        "th,td{border-bottom:1px solid #ccc;padding:4px 10px;text-align:right}th{background:#f3f3f3}"
        "td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}code{font-size:85%;word-break:break-all}"
    )
    body = [f"<h1>{html.escape(title)}</h1>"]
    for measure, table in _display(df).items():
        body.append(f"<h2>{html.escape(measure)}</h2>")
        body.append(table.to_html(index=False, escape=True, border=0))
    body.append(f"<p>{html.escape(_legend(df))}</p><h3>Signatures</h3><ul>")
    body += [f"<li><code>{html.escape(s)}</code></li>" for s in dict.fromkeys(df["signature"])]
    body.append("</ul>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{style}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def write_leaderboard(df: pd.DataFrame, out_dir: str, stem: str = "leaderboard") -> dict[str, str]:
    """Write ``<stem>/<stem>.{md,csv,tex,html,json}`` as one set (``publish_set``: the previous complete set or
    the new one, never a mix); return the paths."""
    records = json.loads(df.to_json(orient="records"))
    texts = {
        "md": to_markdown(df),
        "csv": df.to_csv(index=False),
        "tex": to_latex(df),
        "html": to_html(df),
        "json": json.dumps({"rows": records}, ensure_ascii=False, indent=1) + "\n",
    }
    written = publish_set(output_path(out_dir, stem), {f"{stem}.{ext}": text for ext, text in texts.items()})
    return {ext: written[f"{stem}.{ext}"] for ext in texts}
