"""Robustness of the xQG gain under perturbed queries: drops, Effect Ratio, difference-in-differences.

For every perturbed condition, measure and language (and ``all`` pooled): each system's drop from
clean (absolute, relative), the gain of the system over the baseline on clean and on perturbed
queries, the Effect Ratio (perturbed gain / clean gain), and a paired randomisation test of "the
gain is the same on perturbed and clean queries" on per-query
(sys_pert - base_pert) - (sys_clean - base_clean), with p-values corrected across the family.
Queries are paired by id; a query missing from a condition scores 0 (the ir-measures rule).
Also: worst case over conditions, and mean and spread over seeds of the same variant.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from xqg_bench.atomic import atomic_open, output_path, publish_set
from xqg_bench.compare import ALL, did_test
from xqg_bench.significance import correct


def robustness_table(
    per_query: pd.DataFrame,
    baseline: str,
    system: str,
    correction: str = "holm",
    samples: int = 10_000,
    seed: int = 13,
) -> pd.DataFrame:
    rows = []
    clean = per_query[per_query["condition"] == "clean"]
    for (measure, condition), pert in per_query[per_query["condition"] != "clean"].groupby(["measure", "condition"]):
        cl = clean[clean["measure"] == measure]
        for lang in [*sorted(cl["lang"].unique()), ALL]:
            c = cl if lang == ALL else cl[cl["lang"] == lang]
            p = pert if lang == ALL else pert[pert["lang"] == lang]
            ids = sorted(c[c["system"] == baseline]["query_id"])
            if not ids:
                continue

            def values(df: pd.DataFrame, name: str, ids: list[str] = ids) -> np.ndarray:
                return df[df["system"] == name].set_index("query_id")["value"].reindex(ids).fillna(0.0).to_numpy()

            res = did_test(
                values(c, baseline), values(c, system), values(p, baseline), values(p, system), samples, seed
            )
            rows.append({"measure": measure, "condition": condition, "lang": lang, "n": len(ids), **res})
    out = pd.DataFrame(rows)
    if not out.empty:
        out["p_did_adj"] = correct(out["p_did"].to_numpy(), correction)
        out["correction"] = correction
    return out


def worst_case(robust: pd.DataFrame) -> pd.DataFrame:
    """Per measure (``all`` languages): the condition with the largest drop, for each system."""
    sub = robust[robust["lang"] == ALL]
    rows = []
    for measure, g in sub.groupby("measure"):
        for who in ("baseline", "system"):
            worst = g.loc[g[f"drop_{who}"].idxmax()]
            rows.append({"measure": measure, "who": who, "condition": worst["condition"], "drop": worst[f"drop_{who}"]})
    return pd.DataFrame(rows)


def over_seeds(robust: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of variants that differ only by their seed."""
    df = robust.assign(variant=robust["condition"].str.replace(r",?seed=\d+", "", regex=True))
    g = df.groupby(["measure", "variant", "lang"])
    out = g.agg(
        seeds=("condition", "nunique"),
        gain_perturbed_mean=("gain_perturbed", "mean"),
        gain_perturbed_sd=("gain_perturbed", "std"),
        drop_system_mean=("drop_system", "mean"),
        drop_baseline_mean=("drop_baseline", "mean"),
    )
    return out.reset_index()


def write_robustness(robust: pd.DataFrame, out_dir: str, stem: str) -> dict[str, str]:
    texts = {
        "csv": robust.to_csv(index=False),
        "json": json.dumps({"rows": json.loads(robust.to_json(orient="records"))}, indent=1) + "\n",
    }
    lines = ["# Robustness of the xQG gain", ""]
    for measure, g in robust[robust["lang"] == ALL].groupby("measure", sort=False):
        t = g[["condition", "n", "drop_baseline", "drop_system", "gain_clean", "gain_perturbed", "effect_ratio"]].copy()
        t["did"] = g["did"]
        t["p_did_adj"] = g["p_did_adj"]
        lines += [f"## {measure} (all languages)", "", t.to_markdown(index=False, floatfmt=".4f"), ""]
    lines += ["## Worst case over conditions (all languages)", "", worst_case(robust).to_markdown(index=False), ""]
    seeds = over_seeds(robust[robust["lang"] == ALL])
    if (seeds["seeds"] > 1).any():
        lines += ["## Over seeds (variants differing only by seed)", ""]
        lines += [seeds[seeds["seeds"] > 1].to_markdown(index=False, floatfmt=".4f"), ""]
    lines.append(
        "drop = clean - perturbed mean; gain = system - baseline mean; effect_ratio = gain_perturbed / gain_clean; "
        "did = mean per-query difference of gains (perturbed - clean), tested by paired randomisation, "
        f"{robust['correction'].iloc[0]}-corrected across {len(robust)} tests (per-language rows in the CSV/JSON)."
    )
    texts["md"] = "\n".join(lines) + "\n"
    # the three formats as one set: the previous complete set or the new one, never a mix
    written = publish_set(output_path(out_dir, stem), {f"{stem}.{ext}": texts[ext] for ext in ("md", "csv", "json")})
    return {f"robustness.{ext}": written[f"{stem}.{ext}"] for ext in ("md", "csv", "json")}


def severity_plot(per_query: pd.DataFrame, path: str, measures: list[str]) -> bool:
    """PNG of each system's score against severity (n edits or rate; 0 = clean) for every family
    swept over two or more severities; one panel per measure, one line per (sweep, system).
    Returns False if there is no sweep to plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from xqg_bench.perturb.families import parse_variant

    sweeps: dict[str, dict[float, str]] = {}
    for cond in per_query["condition"].unique():
        if cond == "clean":
            continue
        try:
            params = dict(parse_variant(cond).params)
        except ValueError:
            continue
        axis = "n" if "n" in params else "rate" if "rate" in params else None
        if axis is None:
            continue
        x = float(params.pop(axis))
        family = cond.split("(")[0] + "(" + ",".join(f"{k}={v}" for k, v in params.items()) + f") by {axis}"
        sweeps.setdefault(family, {})[x] = cond
    sweeps = {k: v for k, v in sweeps.items() if len(v) >= 2}
    measures = [m for m in measures if m in set(per_query["measure"])]
    if not sweeps or not measures:
        return False
    # macro average over languages, as in the tables
    means = (
        per_query.groupby(["system", "condition", "measure", "lang"])["value"]
        .mean()
        .groupby(["system", "condition", "measure"])
        .mean()
    )
    fig, axes = plt.subplots(1, len(measures), figsize=(5 * len(measures), 4), squeeze=False)
    for ax, measure in zip(axes[0], measures, strict=True):
        for sweep, conds in sorted(sweeps.items()):
            xs = [0, *sorted(conds)]
            for system in sorted(per_query["system"].unique()):
                ys = [means.get((system, "clean" if x == 0 else conds[x], measure), np.nan) for x in xs]
                ax.plot(xs, ys, marker="o", label=f"{'+xQG' if system == 'xqg' else system} ({sweep})")
        ax.set_title(measure)
        ax.set_xlabel("severity: edits per query or rate (0 = clean)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("mean over languages")
    axes[0][-1].legend(fontsize=8)
    fig.suptitle("Baseline vs +xQG by perturbation severity")
    fig.tight_layout()
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100)
    plt.close(fig)
    return True
