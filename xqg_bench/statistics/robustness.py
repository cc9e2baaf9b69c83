"""Robustness of the xQG gain under perturbed queries: drops, gains, Effect Ratio,
difference-in-differences, equivalence — each with a CI and a verdict.

For every perturbed condition, measure and language, plus ``all`` — the plain mean over languages
(macro, the XOR-Retrieve convention, as in the leaderboard, ``language_table`` and the severity
plot) — with per-query values paired by query id (the baseline's clean queries are the
reference; a query missing from a run scores 0 and is counted; a language a run lacks gives a row
with ``n = 0`` and a status, never a zero-filled mean):

- each system's drop from clean (absolute, relative), the gain of the system over the baseline on
  clean and on perturbed queries, the difference-in-differences (DiD = gain perturbed - gain
  clean) and the Effect Ratio (ER = gain perturbed / gain clean), each with a paired bootstrap
  percentile CI, stratified by language, the same resamples for every figure of a row;
  the ER is "not estimable" (nan, with the reason) when the clean gain's CI includes 0;
- a sign-flip randomisation test of DiD = 0 (stratified for ``all``) and a TOST equivalence test of
  |DiD| < m, where the margin m is declared (``margin`` x |clean gain|, or an absolute margin per
  measure); both p-values are corrected together across the family (conditions x measures x
  rows x 2);
- the verdict: ``gain lost`` / ``gain grew`` when the DiD test is significant, otherwise ``gain
  kept`` when the TOST is, otherwise ``inconclusive`` — with the minimum detectable effect at the
  family's alpha and the run's n, and the number of questions that would settle it at the
  observed DiD and spread.

Also: worst case over conditions, mean and spread over seeds, ranking stability (Kendall's tau and
rank-biased overlap between clean and perturbed rankings, :mod:`xqg_bench.statistics.stability`).
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd

from xqg_bench.core.atomic import atomic_open, output_path, publish_set
from xqg_bench.evaluate.measures import format_value as _fmt
from xqg_bench.evaluate.measures import is_percent
from xqg_bench.statistics.compare import ALL, OK, Pairs, by_language, check_per_query
from xqg_bench.statistics.labels import family_label, system_label
from xqg_bench.statistics.significance import (
    DEFAULT_CORRECTION,
    DEFAULT_SAMPLES,
    DEFAULT_SEED,
    bootstrap_matrix,
    correct,
    corrected_floor,
    macro_weights,
    min_detectable_effect,
    percentile_ci,
    samples_for_family,
    signflip_pvalues,
    tost,
    weighted_se,
)

DEFAULT_MARGIN = 0.5  # equivalence margin: half the clean gain
VERDICTS = ("gain kept", "gain lost", "gain grew", "no clean gain", "inconclusive")
FIGURES = ("drop_baseline", "drop_system", "gain_clean", "gain_perturbed", "did", "effect_ratio")
# each system's mean on the row's questions (clean and perturbed): the scores its figures are differences of
MEANS = ("mean_baseline_clean", "mean_system_clean", "mean_baseline_perturbed", "mean_system_perturbed")


def verdict_rule(alpha: float, correction: str) -> str:
    return (
        f"verdict: 'gain lost' / 'gain grew' when the DiD randomisation test is significant ({correction}-corrected "
        f"p < {alpha}, sign of the DiD); otherwise, when the TOST equivalence test of |DiD| < margin is significant "
        f"({correction}-corrected p < {alpha}), 'gain kept' if the clean gain's CI excludes 0 and 'no clean gain' if "
        "it does not (nothing to keep); otherwise 'inconclusive' (neither a change nor equivalence shown; not "
        "evidence of no effect)."
    )


def pair_columns(robust: pd.DataFrame) -> list[str]:
    """``["baseline", "system"]`` when the rows hold several pairings (each table then names its pair),
    otherwise none: a one-pairing table reads as it always has."""
    if {"baseline", "system"} <= set(robust.columns) and len(robust[["baseline", "system"]].drop_duplicates()) > 1:
        return ["baseline", "system"]
    return []


def _figures(m: np.ndarray) -> np.ndarray:
    """Columns bc, sc, bp, sp (means, any leading shape) -> the figures in FIGURES order."""
    bc, sc, bp, sp_ = m[..., 0], m[..., 1], m[..., 2], m[..., 3]
    out = np.empty(m.shape[:-1] + (len(FIGURES),))
    np.subtract(bc, bp, out=out[..., 0])
    np.subtract(sc, sp_, out=out[..., 1])
    np.subtract(sc, bc, out=out[..., 2])
    np.subtract(sp_, bp, out=out[..., 3])
    np.subtract(out[..., 3], out[..., 2], out=out[..., 4])
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(out[..., 3], out[..., 2], out=out[..., 5])
    return out


def robustness_table(
    per_query: pd.DataFrame,
    baseline: str | None = None,
    system: str | None = None,
    correction: str = DEFAULT_CORRECTION,
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
    alpha: float = 0.05,
    margin: float = DEFAULT_MARGIN,
    margins: Mapping[str, float] | None = None,
    max_samples: int | None = None,
    changed: Mapping[str, Collection[str]] | None = None,
    pairs: Sequence[tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """One row per (measure, perturbed condition, language | ``all``): figures with CIs, tests, verdict.

    ``baseline`` and ``system`` name the pair compared; ``pairs`` (baseline, system) compares several
    at once: their rows follow one another, pairing by pairing, with columns ``baseline`` and
    ``system`` after ``condition``, and every pairing's DiD and TOST tests form one family.

    ``changed``: per condition, the query ids whose text the variant changed; a condition listed
    there is analysed on those questions only (clean and perturbed alike: unchanged questions
    would only dilute the effect), and ``of`` counts the questions of the language before that.

    ``margin``: equivalence margin as a fraction of |clean gain|; ``margins``: absolute margins per
    measure (override).  ``samples``: bootstrap resamples; ``max_samples``: cap on the sequential
    Monte Carlo draws (default from the family size and alpha)."""
    check_per_query(per_query)
    margins = dict(margins or {})
    bad = {k: v for k, v in {"margin": margin, **margins}.items() if not (0 < v < float("inf"))}
    if bad:
        raise ValueError(f"equivalence margins must be positive and finite, got {bad}")
    rows: list[dict] = []
    quads: list[tuple[np.ndarray, tuple[int, ...]]] = []  # (n, 4) values sorted by lang, qid; sizes
    tested: list[int] = []
    if pairs is None:
        if baseline is None or system is None:
            raise ValueError("robustness_table needs baseline and system, or pairs")
        pairs = [(baseline, system)]
    labelled = len(pairs) > 1
    clean = per_query[per_query["condition"] == "clean"]
    perturbed = per_query[per_query["condition"] != "clean"]
    groups = list(perturbed.groupby(["measure", "condition"]))
    for (baseline, system), ((measure, condition), pert) in ((pair, g) for pair in pairs for g in groups):
        cl = clean[clean["measure"] == measure]
        of = cl[cl["system"] == baseline].groupby("lang")["query_id"].nunique().to_dict()
        if changed is not None and condition in changed:
            keep = set(changed[condition])
            cl, pert = cl[cl["query_id"].isin(keep)], pert[pert["query_id"].isin(keep)]
        sides = {
            (who, cond): by_language(df[df["system"] == name])
            for cond, df in (("clean", cl), ("perturbed", pert))
            for who, name in (("baseline", baseline), ("system", system))
        }
        ref = sides[("baseline", "clean")]
        langs = sorted(set(of).union(*(set(s) for s in sides.values())))
        per_lang: dict[str, np.ndarray] = {}
        info: dict[str, tuple[str, int, int]] = {}
        for lang in langs:
            absent = [f"{name} {cond}" for (who, cond), s in sides.items() if lang not in s
                      for name in ((baseline if who == "baseline" else system),)]  # fmt: skip
            if absent and changed is not None and condition in changed and lang in of and lang not in ref:
                info[lang] = (f"not compared: the variant changed no {lang} question", 0, 0)
                continue
            if absent:
                info[lang] = (f"not compared: no queries in {lang} for {', '.join(absent)}", 0, 0)
                continue
            cols, missing, extra = [], 0, 0
            for key in (("baseline", "clean"), ("system", "clean"), ("baseline", "perturbed"), ("system", "perturbed")):
                p = Pairs({lang: ref[lang]}, {lang: sides[key][lang]}, baseline, "other")
                cols.append(p.values[lang][1])
                missing += p.missing[lang]
                extra += p.extra[lang]
            per_lang[lang] = np.stack(cols, axis=1)
            info[lang] = (OK, missing, extra)
        key = {"measure": measure, "condition": condition}
        if labelled:
            key |= {"baseline": baseline, "system": system}
        for lang in langs:
            status, missing, extra = info[lang]
            rows.append(key | {"lang": lang, "n": len(per_lang.get(lang, ())), "of": of.get(lang, 0),
                               "missing": missing, "extra": extra, "status": status})  # fmt: skip
            if lang in per_lang:
                tested.append(len(rows) - 1)
                quads.append((per_lang[lang], (len(per_lang[lang]),)))
        done = sorted(per_lang)
        absent = [lang for lang in langs if lang not in per_lang]
        status = (
            OK
            if not absent
            else "not compared: no language complete"
            if not done
            else f"incomplete: mean over {len(done)} of {len(langs)} languages (missing {','.join(absent)})"
        )
        rows.append(key | {"lang": ALL, "n": sum(len(per_lang[x]) for x in done), "of": sum(of.values()),
                           "missing": sum(info[x][1] for x in langs), "extra": sum(info[x][2] for x in langs),
                           "status": status})  # fmt: skip
        if done:
            tested.append(len(rows) - 1)
            quads.append((np.concatenate([per_lang[x] for x in done]), tuple(len(per_lang[x]) for x in done)))
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    family = 2 * len(tested)  # DiD and TOST p-values, corrected together
    cap = max_samples if max_samples is not None else samples_for_family(family, alpha, samples)
    stats = resample_robustness(quads, samples, cap, seed, level)
    nan = float("nan")
    cols: dict[str, list] = {c: [nan] * len(out) for c in stats[0]} if stats else {}
    for i, st in zip(tested, stats, strict=True):
        for c, v in st.items():
            cols[c][i] = v
    for c, v in cols.items():
        out[c] = v
    out["er_status"] = [
        ""
        if i not in set(tested)
        else (
            "estimable"
            if not (out.at[i, "gain_clean_ci_low"] <= 0 <= out.at[i, "gain_clean_ci_high"])
            else f"not estimable: clean gain CI [{out.at[i, 'gain_clean_ci_low']:.4g}, "
            f"{out.at[i, 'gain_clean_ci_high']:.4g}] includes 0"
        )
        for i in range(len(out))
    ]
    not_est = out["er_status"] != "estimable"
    for c in ("effect_ratio", "effect_ratio_ci_low", "effect_ratio_ci_high"):
        out.loc[not_est, c] = nan
    # equivalence margin, TOST, MDE
    out["margin"] = [
        margins[m] if m in margins else margin * abs(g) for m, g in zip(out["measure"], out["gain_clean"], strict=True)
    ]
    out["margin_fraction"] = out["margin"] / out["gain_clean"].abs()
    out["p_tost"] = [
        tost(d, se, df, m) if n else nan
        for d, se, df, m, n in zip(out["did"], out["did_se"], out["did_df"], out["margin"], out["n"], strict=True)
    ]
    p_all = correct(np.concatenate([out["p_did"].to_numpy(), out["p_tost"].to_numpy()]), correction)
    out["p_did_adj"], out["p_tost_adj"] = p_all[: len(out)], p_all[len(out) :]
    a_fam = alpha / max(family, 1)
    out["mde"] = [min_detectable_effect(se, df, a_fam) for se, df in zip(out["did_se"], out["did_df"], strict=True)]
    out["verdict"] = [
        ("gain lost" if d < 0 else "gain grew")
        if pd_ < alpha
        else ("gain kept" if est == "estimable" else "no clean gain")
        if pt < alpha
        else "inconclusive"
        if n
        else "not compared"
        for d, pd_, pt, n, est in zip(
            out["did"], out["p_did_adj"], out["p_tost_adj"], out["n"], out["er_status"], strict=True
        )
    ]
    out["questions_to_settle"] = [
        _to_settle(n, abs(d), se, df, m, a_fam) if v == "inconclusive" else nan
        for n, d, se, df, m, v in zip(
            out["n"], out["did"], out["did_se"], out["did_df"], out["margin"], out["verdict"], strict=True
        )
    ]
    out["correction"] = correction
    floor = corrected_floor(family, cap)
    if floor > alpha / 10 and any(d < 2**24 and 2**d > cap for d in out["n"]):
        warnings.warn(
            f"DiD randomisation test: the smallest attainable corrected p ({floor:.3g}) is not far below alpha {alpha}",
            stacklevel=2,
        )
    out.attrs.update(correction=correction, samples=samples, max_samples=cap, seed=seed, level=level,
                     alpha=alpha, family=family, margin=margin, margins=margins)  # fmt: skip
    return out


def _to_settle(n: int, d: float, se: float, df: float, m: float, a: float) -> float:
    """Questions (same language mix) at which the observed |DiD| and spread would be significant
    either way: a change at level ``a`` or equivalence within ``m``."""
    from scipy import stats

    if not (n and math.isfinite(se) and se > 0):
        return float("nan")
    z2, z1 = stats.norm.ppf(1 - a / 2), stats.norm.ppf(1 - a)
    need = [n * (z2 * se / d) ** 2] if d > 0 else []
    if m > d:
        need.append(n * (z1 * se / (m - d)) ** 2)
    return float(math.ceil(min(need))) if need else float("nan")


def resample_robustness(
    quads: list[tuple[np.ndarray, tuple[int, ...]]], samples: int, cap: int, seed: int, level: float
) -> list[dict[str, float]]:
    """Point estimates, bootstrap CIs (shared resamples per language sizes) and the DiD test."""
    k = len(quads)
    res: list[dict[str, float]] = [{} for _ in range(k)]
    by_sizes: dict[tuple[int, ...], list[int]] = {}
    by_n: dict[int, list[int]] = {}
    for i, (q, sizes) in enumerate(quads):
        by_sizes.setdefault(sizes, []).append(i)
        by_n.setdefault(len(q), []).append(i)
        w = macro_weights(sizes)
        point = _figures(w @ q)
        for name, v in zip(FIGURES, point, strict=True):
            res[i][name] = float(v)
        bc, sc, bp, sp_ = (float(x) for x in w @ q)
        for name, v in zip(MEANS, (bc, sc, bp, sp_), strict=True):
            res[i][name] = v
        res[i]["rel_drop_baseline"] = (bc - bp) / bc if bc else float("nan")
        res[i]["rel_drop_system"] = (sc - sp_) / sc if sc else float("nan")
        did = (q[:, 3] - q[:, 2]) - (q[:, 1] - q[:, 0])
        res[i]["did_se"], res[i]["did_df"] = weighted_se(did, sizes)
    for sizes, idx in sorted(by_sizes.items()):
        stacked = np.concatenate([quads[i][0] for i in idx], axis=1)  # (n, 4 * len(idx))
        means = (bootstrap_matrix(sizes, samples, seed) @ stacked).reshape(samples, len(idx), 4)
        figs = _figures(means)  # (samples, len(idx), 6)
        lo, hi = percentile_ci(figs, level)  # (len(idx), 6)
        # the Effect Ratio's interval: over the resamples whose clean gain has the observed sign (in the
        # others the ratio means something else, or nothing at a zero gain); the count used is kept
        same_sign = np.sign(figs[..., 2]) == np.sign([res[i]["gain_clean"] for i in idx])
        er = np.where(same_sign & np.isfinite(figs[..., 5]), figs[..., 5], np.nan)
        used = np.sum(~np.isnan(er), axis=0)
        a = (1 - level) / 2
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-nan columns: no interval
            er_lo, er_hi = np.nanquantile(er, [a, 1 - a], axis=0)
        lo[:, 5], hi[:, 5] = er_lo, er_hi
        # means of 0/1 values over weights 1/n_lang carry float noise (-1e-14 for a true 0)
        lo, hi = np.round(lo, 12), np.round(hi, 12)
        for j, i in enumerate(idx):
            for f, name in enumerate(FIGURES):
                res[i][f"{name}_ci_low"], res[i][f"{name}_ci_high"] = float(lo[j, f]), float(hi[j, f])
            res[i]["effect_ratio_ci_resamples"] = int(used[j])
    for _n, idx in sorted(by_n.items()):
        x = np.stack(
            [((quads[i][0][:, 3] - quads[i][0][:, 2]) - (quads[i][0][:, 1] - quads[i][0][:, 0]))
             * macro_weights(quads[i][1]) for i in idx], axis=1)  # fmt: skip
        p, draws, _exact = signflip_pvalues(x, cap, seed)
        for j, i in enumerate(idx):
            res[i]["p_did"], res[i]["mc_draws"] = float(p[j]), int(draws[j])
    return res


def worst_case(robust: pd.DataFrame) -> pd.DataFrame:
    """Per measure (``all`` languages): the condition with the largest drop, for each system."""
    sub = robust[(robust["lang"] == ALL) & (robust["n"] > 0)]
    pair = pair_columns(robust)  # several pairings: per pairing
    rows = []
    for keys, g in sub.groupby(["measure", *pair], sort=not pair):
        keys = keys if isinstance(keys, tuple) else (keys,)
        for who in ("baseline", "system"):
            worst = g.loc[g[f"drop_{who}"].idxmax()]
            row = {"measure": keys[0], **dict(zip(pair, keys[1:], strict=True))}
            rows.append(row | {"who": who, "condition": worst["condition"], "drop": worst[f"drop_{who}"]})
    return pd.DataFrame(rows)


def over_seeds(robust: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of variants that differ only by their seed."""
    df = robust.assign(variant=robust["condition"].str.replace(r",?seed=\d+", "", regex=True))
    g = df.groupby(["measure", "variant", *pair_columns(df), "lang"])
    out = g.agg(
        seeds=("condition", "nunique"),
        gain_perturbed_mean=("gain_perturbed", "mean"),
        gain_perturbed_sd=("gain_perturbed", "std"),
        drop_system_mean=("drop_system", "mean"),
        drop_baseline_mean=("drop_baseline", "mean"),
    )
    return out.reset_index()


SPREAD = ("gain_perturbed_seed_sd", "gain_perturbed_seed_min", "gain_perturbed_seed_max")


def with_seed_spread(robust: pd.DataFrame, spread: pd.DataFrame) -> pd.DataFrame:
    """Robustness rows plus ``seeds`` (draws averaged per query; 1 for a single draw) and the spread
    over draws of the perturbed gain (:func:`xqg_bench.statistics.seeds.seed_spread`)."""
    keys = ["measure", "condition", *(c for c in ("baseline", "system") if c in spread.columns), "lang"]
    cols = ["seeds", *SPREAD]
    if robust.empty:
        return robust
    if spread.empty:
        out = robust.assign(seeds=1, **{c: np.nan for c in SPREAD})
    else:
        out = robust.merge(spread[keys + cols], on=keys, how="left", validate="one_to_one")
        out["seeds"] = out["seeds"].fillna(1).astype(int)
    out.attrs.update(robust.attrs)
    return out


def _ci(measure: str, r: pd.Series, name: str) -> str:
    return f"{_fmt(measure, r[name])} [{_fmt(measure, r[name + '_ci_low'])}, {_fmt(measure, r[name + '_ci_high'])}]"


def verdict_table(robust: pd.DataFrame, langs: list[str] | None = None) -> pd.DataFrame:
    """Human table: per (condition, measure, language): gains, DiD and ER with CIs, p-values, verdict."""
    rows = []
    pairs = pair_columns(robust)
    for r in robust.to_dict("records"):
        if langs is not None and r["lang"] not in langs:
            continue
        m = r["measure"]
        pair = {c: r[c] for c in pairs}  # several pairings
        if not r["n"]:
            rows.append({"condition": r["condition"], **pair, "measure": m, "lang": r["lang"], "n": 0,
                         "verdict": r["status"]})  # fmt: skip
            continue
        er = (
            f"{r['effect_ratio']:.2f} [{r['effect_ratio_ci_low']:.2f}, {r['effect_ratio_ci_high']:.2f}]"
            if r["er_status"] == "estimable"
            else r["er_status"]
        )
        settle = "" if math.isnan(r["questions_to_settle"]) else f"; ~{int(r['questions_to_settle'])} questions"
        rows.append(
            {
                "condition": r["condition"],
                **pair,
                "measure": m,
                "lang": r["lang"],
                "n": int(r["n"]),
                "drop baseline [CI]": _ci(m, r, "drop_baseline"),
                "drop +xQG [CI]": _ci(m, r, "drop_system"),
                "gain clean [CI]": _ci(m, r, "gain_clean"),
                "gain perturbed [CI]": _ci(m, r, "gain_perturbed"),
                "DiD [CI]": _ci(m, r, "did"),
                "ER [CI]": er,
                "p DiD (adj)": f"{r['p_did']:.2g} ({r['p_did_adj']:.2g})",
                "margin": _fmt(m, r["margin"]),
                "p TOST (adj)": f"{r['p_tost']:.2g} ({r['p_tost_adj']:.2g})",
                "MDE": _fmt(m, r["mde"]),
                "verdict": r["verdict"] + settle,
            }
        )
        if "seeds" in r and r["seeds"] > 1:
            rows[-1]["seeds: gain perturbed SD [min, max]"] = (
                f"{int(r['seeds'])}: {_fmt(m, r['gain_perturbed_seed_sd'])} "
                f"[{_fmt(m, r['gain_perturbed_seed_min'])}, {_fmt(m, r['gain_perturbed_seed_max'])}]"
            )
    return pd.DataFrame(rows).fillna("")


def legend(robust: pd.DataFrame) -> str:
    a = robust.attrs
    alpha, correction = a.get("alpha", 0.05), robust["correction"].iloc[0]
    margin = a.get("margin", DEFAULT_MARGIN)
    absolute = a.get("margins") or {}
    untested = int((robust["n"] == 0).sum())
    incomplete = int(robust["status"].str.startswith("incomplete").sum())
    return (
        "drop = clean - perturbed mean; gain = +xQG - baseline mean; DiD = gain perturbed - gain clean (per query, "
        "then averaged); ER = gain perturbed / gain clean, 'not estimable' when the clean gain's CI includes 0; its "
        "interval is taken over the resamples whose clean gain has the observed sign. "
        "'all' = plain mean over languages (the XOR-Retrieve convention); its tests and CIs are stratified by "
        "language (sign flips and bootstrap resampling within each language, weights 1/n_lang). "
        + (
            "Each row is measured on the questions its variant changed (n, of the language's 'of' questions): "
            "unchanged questions would only dilute the effect. "
            if "of" in robust.columns and (robust["n"] < robust["of"]).any()
            else ""
        )
        + f"[CI]: {a.get('level', 0.95):.0%} paired bootstrap percentile intervals, {a.get('samples')} resamples "
        "shared by every figure of a row. DiD tested by sign-flip randomisation (sequential Monte Carlo, up to "
        f"{a.get('max_samples')} draws); equivalence by TOST of |DiD| < margin, margin = {margin} x |gain clean|"
        + (f" (absolute for {', '.join(f'{k}={v}' for k, v in absolute.items())})" if absolute else "")
        + f"; both {correction}-corrected together over a family of {a.get('family')} tests. "
        + verdict_rule(alpha, correction)
        + f" MDE: the DiD a two-sided test at alpha/{a.get('family')} detects with 80% power at this n; "
        "'~N questions': the n (same language mix) at which the observed DiD and spread would settle the verdict. "
        f"Rows not compared (a language missing for a system or condition): {untested}; incomplete 'all' rows: "
        f"{incomplete}."
        + (
            " Conditions named without a seed average each question's values over several draws (seeds) before "
            "every test and CI; 'seeds: gain perturbed SD [min, max]' is the spread of the gain between draws."
            if "seeds" in robust.columns and (robust["seeds"] > 1).any()
            else ""
        )
    )


def stability_table(robust: pd.DataFrame) -> pd.DataFrame:
    """Per (condition, language): each system's mean KTU and RBO with their CIs."""
    pair = pair_columns(robust)  # several pairings
    first = robust.drop_duplicates(["condition", *pair, "lang"])
    rows = []
    for _, r in first.iterrows():
        row = {"condition": r["condition"], **{c: r[c] for c in pair}, "lang": r["lang"]}
        for tag, label in (("ktu", "KTU"), ("rbo", "RBO")):
            for who, name in (("baseline", "baseline"), ("system", "+xQG")):
                c = f"{tag}_{who}"
                row[f"{label} {name} [CI]"] = f"{r[c]:.3f} [{r[c + '_ci_low']:.3f}, {r[c + '_ci_high']:.3f}]"
        rows.append(row)
    return pd.DataFrame(rows)


def write_robustness(robust: pd.DataFrame, out_dir: str, stem: str) -> dict[str, str]:
    texts = {
        "csv": robust.to_csv(index=False),
        "json": json.dumps({"rows": json.loads(robust.to_json(orient="records"))}, indent=1) + "\n",
    }
    lines = ["# Robustness of the xQG gain", ""]
    counts = robust[robust["n"] > 0]["verdict"].value_counts()
    lines += ["Verdicts: " + ", ".join(f"{v} {int(counts.get(v, 0))}" for v in VERDICTS), ""]
    for measure, g in robust.groupby("measure", sort=False):
        lines += [f"## {measure}", "", verdict_table(g).drop(columns="measure").to_markdown(index=False), ""]
    lines += ["## Worst case over conditions (all languages)", "", worst_case(robust).to_markdown(index=False), ""]
    seeds = over_seeds(robust[robust["lang"] == ALL])
    if (seeds["seeds"] > 1).any():
        lines += ["## Over seeds (variants differing only by seed)", ""]
        lines += [seeds[seeds["seeds"] > 1].to_markdown(index=False, floatfmt=".4f"), ""]
    if "ktu_system" in robust.columns:
        lines += ["## Ranking stability (clean vs perturbed rankings of the same system)", ""]
        lines += [stability_table(robust).to_markdown(index=False), ""]
        lines += [
            "KTU = Kendall's tau on the union of the two top-k lists, RBO = rank-biased overlap (p = 0.8, "
            "normalised truncated form), both as repro_eval defines them (xqg_bench.statistics.stability); "
            "per question, "
            "averaged over seeds, then over questions (macro over languages for 'all'); 1 = ranking unchanged.",
            "",
        ]
    lines.append(legend(robust))
    texts["md"] = "\n".join(lines) + "\n"
    # the three formats as one set: the previous complete set or the new one, never a mix
    written = publish_set(output_path(out_dir, stem), {f"{stem}.{ext}": texts[ext] for ext in ("md", "csv", "json")})
    return {f"robustness.{ext}": written[f"{stem}.{ext}"] for ext in ("md", "csv", "json")}


def severity_sweeps(conditions: Collection[str]) -> dict[str, tuple[str, dict[float, str]]]:
    """Families swept over two or more severities: family key -> (axis ``n`` or ``rate``, severity -> condition).
    The key is the condition without its severity (and without its seed when draws were averaged)."""
    from xqg_bench.perturb.families import parse_variant

    sweeps: dict[str, tuple[str, dict[float, str]]] = {}
    for cond in sorted(set(conditions) - {"clean"}):
        try:
            params = dict(parse_variant(cond).params)
        except ValueError:
            continue
        axis = "n" if "n" in params else "rate" if "rate" in params else None
        if axis is None:
            continue
        x = float(params.pop(axis))
        if "seed=" not in cond:  # averaged over seeds: the parsed default seed is not one of them
            params.pop("seed", None)
        family = cond.split("(")[0] + "(" + ",".join(f"{k}={v}" for k, v in params.items()) + ")"
        sweeps.setdefault(family, (axis, {}))[1][x] = cond
    return {k: v for k, v in sweeps.items() if len(v[1]) >= 2}


def severity_means(
    per_query: pd.DataFrame,
    conditions: Collection[str],
    measures: Collection[str],
    pairs: Sequence[tuple[str, str]] = (),
    samples: int = 1000,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> pd.DataFrame:
    """Per (series, condition, measure): the mean over languages and its bootstrap percentile CI (questions
    resampled within each language, as every CI of the harness). A series is a system's score, or for a
    (baseline, system) pair of ``pairs`` the per-question gain ``system - baseline`` (paired by query id:
    the CI of the gain, not of two scores)."""
    sub = per_query[per_query["condition"].isin(list(conditions)) & per_query["measure"].isin(list(measures))]
    index = ["condition", "measure", "lang", "query_id"]
    wide = sub.set_index([*index, "system"])["value"].unstack("system").sort_index()
    entries: list[tuple[tuple[str, str, str], np.ndarray, tuple[int, ...]]] = []
    for (cond, measure), g in wide.groupby(level=["condition", "measure"], sort=True):
        series = {s: g[s] for s in g.columns}
        series |= {f"{s} - {b}": g[s] - g[b] for b, s in pairs if b in g.columns and s in g.columns}
        for name, v in series.items():
            v = v.dropna()  # a question a system lacks in this condition
            if v.empty:
                continue
            sizes = tuple(int(n) for n in v.groupby(level="lang", sort=True).size())
            entries.append(((name, cond, measure), v.to_numpy(dtype=float), sizes))
    by_sizes: dict[tuple[int, ...], list[int]] = {}
    for i, (_key, _v, sizes) in enumerate(entries):
        by_sizes.setdefault(sizes, []).append(i)
    rows: list[tuple] = [()] * len(entries)
    for sizes, idx in sorted(by_sizes.items()):
        stacked = np.stack([entries[i][1] for i in idx], axis=1)
        lo, hi = percentile_ci(bootstrap_matrix(sizes, samples, seed) @ stacked, level)
        point = macro_weights(sizes) @ stacked
        for j, i in enumerate(idx):
            rows[i] = (*entries[i][0], float(point[j]), float(lo[j]), float(hi[j]))
    return pd.DataFrame(rows, columns=["series", "condition", "measure", "mean", "ci_low", "ci_high"])


def severity_figure(
    per_query: pd.DataFrame,
    measures: list[str],
    pairs: Sequence[tuple[str, str]] = (),
    samples: int = 1000,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
):  # type: ignore[no-untyped-def]
    """The figure of :func:`severity_plot` (a matplotlib Figure, Agg), or None if there is no sweep."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    sweeps = severity_sweeps(per_query["condition"].unique())
    present = set(per_query["measure"].unique())
    measures = [m for m in measures if m in present]
    if not sweeps or not measures:
        return None
    systems = [str(s) for s in per_query["system"].unique()]  # in order of appearance
    pairs = [(b, s) for b, s in pairs if b in systems and s in systems]
    conds = {"clean"} | {c for _axis, xs in sweeps.values() for c in xs.values()}
    stats = severity_means(per_query, conds, measures, pairs, samples, seed, level)
    stats = stats.set_index(["series", "condition", "measure"])
    colours = {s: f"C{i}" for i, s in enumerate(systems)}
    kinds = [("score", s, s) for s in systems]
    rows = [(family, axis, by_x, "score") for family, (axis, by_x) in sorted(sweeps.items())]
    if pairs:
        rows = [
            r for family, axis, by_x, _k in rows for r in ((family, axis, by_x, "score"), (family, axis, by_x, "gain"))
        ]
    # fixed margins in inches (a layout engine would measure every label: slower, same picture)
    width, height = 4.6 * len(measures), 2.6 * len(rows) + 0.8 * (len(rows) - 1) + 1.2
    fig, axes = plt.subplots(len(rows), len(measures), figsize=(width, height), squeeze=False)
    fig.subplots_adjust(
        left=0.75 / width, right=1 - 0.15 / width, bottom=0.95 / height, top=1 - 0.65 / height,
        wspace=0.75 / 3.85, hspace=0.8 / 2.6,
    )  # fmt: skip
    for row_axes, (_family, axis, by_x, kind) in zip(axes, rows, strict=True):
        name = family_label(next(iter(by_x.values())))
        xs = [0.0, *sorted(by_x)]
        lines = kinds if kind == "score" else [("gain", f"{s} - {b}", s) for b, s in pairs]
        for ax, measure in zip(row_axes, measures, strict=True):
            for _k, series, colour_of in lines:
                keys = [(series, "clean" if x == 0 else by_x[x], measure) for x in xs]
                pts = [
                    (x, *stats.loc[k, ["mean", "ci_low", "ci_high"]])
                    for x, k in zip(xs, keys, strict=True)
                    if k in stats.index
                ]
                if not pts:
                    continue
                px, mean, lo, hi = (np.array(v, dtype=float) for v in zip(*pts, strict=True))
                ax.fill_between(px, lo, hi, color=colours[colour_of], alpha=0.18, linewidth=0)
                ax.plot(px, mean, marker="o", color=colours[colour_of])
            if kind == "gain":
                ax.axhline(0, color="0.3", linewidth=0.8, linestyle="--")
            ax.set_xticks(xs, [f"{int(x)}" if axis == "n" else f"{x:g}" for x in xs])
            unit = " (%)" if is_percent(measure) else ""
            ax.set_title(f"{measure}{unit}" if kind == "score" else f"{measure}: gain over the baseline")
            ax.set_xlabel(f"{name} per question (0 = clean)" if axis == "n" else f"{name}: rate (0 = clean)")
            ax.grid(alpha=0.3)
        row_axes[0].set_ylabel("mean over languages" if kind == "score" else "gain, mean over languages")
    fig.legend(
        [Line2D([], [], color=colours[s], marker="o") for s in systems] + [Patch(color="0.5", alpha=0.25)],
        [system_label(s) for s in systems] + [f"band: {level:.0%} CI (bootstrap over questions; gain: paired)"],
        loc="lower center", ncols=len(systems) + 1, frameon=False,
    )  # fmt: skip
    fig.suptitle("Scores and gains by perturbation severity" if pairs else "Scores by perturbation severity")
    return fig


def severity_plot(
    per_query: pd.DataFrame,
    path: str,
    measures: list[str],
    pairs: Sequence[tuple[str, str]] = (),
    samples: int = 1000,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> bool:
    """PNG of each system's score (mean over languages, with its bootstrap CI as a band) against the
    severity (0 = clean) of every family swept over two or more severities (number of edits: integer
    ticks; or rate), and below it, for each (baseline, system) of ``pairs``, the gain with its paired CI;
    one panel per measure, one legend for the figure, readable family names. Deterministic bytes (no
    software or date in the PNG). Returns False if there is no sweep to plot."""
    import matplotlib.pyplot as plt

    fig = severity_figure(per_query, measures, pairs, samples, seed, level)
    if fig is None:
        return False
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return True
