"""compare(): paired tests of systems against baselines over a declared family, with corrections.

Input: a long per-query DataFrame with columns ``system``, ``query_id``, ``lang``, ``measure``,
``value`` and optionally ``condition`` (clean, or a query variant).  For every (measure, condition)
and every (baseline, system) pair there is one row per language, a row ``all`` — the plain mean
over languages (macro, the XOR-Retrieve convention), tested by the language-stratified paired
tests — and a row ``all (micro)`` pooling every query.

Pairing policy (strict, counted, never silent):
- a non-finite value or a duplicated (system, condition, measure, query) is an error naming them;
- within a language the baseline's queries are the reference; a reference query missing from the
  system scores 0 (the ir-measures rule) and is counted in ``missing``; system queries outside the
  reference are ignored and counted in ``extra``;
- a language (or a whole condition) that one of the two systems lacks gives a row with ``n = 0``
  and a ``status`` naming what is missing; it is never zero-filled into ``all``, which then
  averages the languages both have and says so in its status.
Pairs are sorted by (language, query id) before any resampling, so the input order does not
matter.  The family is every tested row (``n > 0``); ``p_adj`` corrects the chosen test's p-values
across it; the randomisation test's Monte Carlo resolution is chosen from the family size.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from xqg_bench.statistics.significance import (
    DEFAULT_CORRECTION,
    DEFAULT_SAMPLES,
    DEFAULT_SEED,
    DEFAULT_TEST,
    bootstrap_matrix,
    check_test_options,
    cohens_dz,
    correct,
    corrected_floor,
    macro_weights,
    paired_t,
    percentile_ci,
    randomization,
    samples_for_family,
    signflip_pvalues,
    stratified_t,
    wilcoxon,
)

ALL = "all"
MICRO = "all (micro)"
OK = "ok"


def check_per_query(df: pd.DataFrame, what: str = "per-query values") -> None:
    """Finite values and no duplicated (system, condition, measure, query); errors name them."""
    need = {"system", "query_id", "lang", "measure", "value"}
    if not need <= set(df.columns):
        raise ValueError(f"{what}: missing column(s) {sorted(need - set(df.columns))}")
    values = pd.to_numeric(df["value"], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        r = df.iloc[bad[0]]
        cond = f", condition {r['condition']!r}" if "condition" in df.columns else ""
        raise ValueError(
            f"{what}: non-finite value {float(values[bad[0]])} for system {r['system']!r}, query {r['query_id']!r}, "
            f"measure {r['measure']!r}{cond} ({len(bad)} such value(s)); fix or drop them before testing"
        )
    keys = [c for c in ("system", "condition", "measure", "query_id") if c in df.columns]
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        r = df[dup].iloc[0]
        cond = f", condition {r['condition']!r}" if "condition" in df.columns else ""
        raise ValueError(
            f"{what}: duplicated query {r['query_id']!r} for system {r['system']!r}, measure {r['measure']!r}{cond} "
            f"({int(dup.sum())} duplicated row(s)); each query must be scored once per system and condition"
        )


def by_language(sub: pd.DataFrame) -> dict[str, pd.Series]:
    """lang -> values indexed by query id, sorted by query id."""
    langs = sub["lang"].to_numpy(dtype=object)
    qids = sub["query_id"].to_numpy(dtype=object)
    values = sub["value"].to_numpy(dtype=np.float64)
    order = sorted(range(len(values)), key=lambda i: (langs[i], qids[i]))
    out: dict[str, pd.Series] = {}
    start = 0
    for end in range(1, len(order) + 1):
        if end == len(order) or langs[order[end]] != langs[order[start]]:
            idx = order[start:end]
            out[langs[order[start]]] = pd.Series(values[idx], index=pd.Index(qids[idx], dtype=object))
            start = end
    return out


def _pair(base: pd.Series, other: pd.Series) -> tuple[np.ndarray, np.ndarray, int, int]:
    missing = int((~base.index.isin(other.index)).sum())
    extra = int((~other.index.isin(base.index)).sum())
    aligned = other.reindex(base.index).fillna(0.0)
    return base.to_numpy(dtype=np.float64), aligned.to_numpy(dtype=np.float64), missing, extra


class Pairs:
    """Paired values of one (measure, condition, baseline, system) per language, sorted by query id;
    ``langs`` present in both, ``status`` per language of either."""

    def __init__(self, base: dict[str, pd.Series], other: dict[str, pd.Series], base_name: str, other_name: str):
        self.values: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.missing: dict[str, int] = {}
        self.extra: dict[str, int] = {}
        self.status: dict[str, str] = {}
        for lang in sorted(set(base) | set(other)):
            if lang not in other:
                self.status[lang] = f"not compared: {other_name} has no queries in {lang}"
                self.missing[lang], self.extra[lang] = len(base[lang]), 0
            elif lang not in base:
                self.status[lang] = f"not compared: {base_name} has no queries in {lang}"
                self.missing[lang], self.extra[lang] = 0, len(other[lang])
            else:
                b, o, self.missing[lang], self.extra[lang] = _pair(base[lang], other[lang])
                self.values[lang] = (b, o)
                self.status[lang] = OK
        self.langs = sorted(self.values)

    def all_status(self) -> str:
        absent = [lang for lang, s in self.status.items() if s != OK]
        if not self.langs:
            return "not compared: no language with queries in both"
        if absent:
            return (
                f"incomplete: mean over {len(self.langs)} of {len(self.status)} languages (missing {','.join(absent)})"
            )
        return OK

    def stacked(self) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
        b = np.concatenate([self.values[lang][0] for lang in self.langs]) if self.langs else np.zeros(0)
        o = np.concatenate([self.values[lang][1] for lang in self.langs]) if self.langs else np.zeros(0)
        return b, o, tuple(len(self.values[lang][0]) for lang in self.langs)


def _row_stats(b: np.ndarray, o: np.ndarray, sizes: tuple[int, ...]) -> dict:
    """Everything but the resampling statistics (batched later)."""
    n = len(b)
    diff = o - b
    strat = len(sizes) > 1
    w = macro_weights(sizes) if n else np.zeros(0)
    nan = float("nan")
    return {
        "n": n,
        "mean_baseline": float(w @ b) if n else nan,
        "mean_system": float(w @ o) if n else nan,
        "delta": float(w @ diff) if n else nan,
        "ci_low": nan,
        "ci_high": nan,
        "d_z": cohens_dz(diff, sizes) if n else nan,
        "wins": int((diff > 0).sum()),
        "ties": int((diff == 0).sum()),
        "losses": int((diff < 0).sum()),
        "p_t": (stratified_t(diff, sizes) if strat else paired_t(diff)) if n else nan,
        "p_wilcoxon": nan if strat or not n else wilcoxon(diff),
        "p_randomization": nan,
    }


def resample_stats(
    items: list[tuple[np.ndarray, tuple[int, ...]]],
    samples: int,
    max_samples: int,
    seed: int,
    level: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """For every (difference vector sorted by language and query id, language sizes): bootstrap CI of
    the macro mean and the sign-flip p-value; comparisons of equal shape share their resamples and
    run as one matrix product.  Returns (ci_low, ci_high, p, draws, all exact?)."""
    k = len(items)
    lo, hi, p = np.full(k, np.nan), np.full(k, np.nan), np.full(k, np.nan)
    draws = np.zeros(k, dtype=np.int64)
    exact = True
    by_sizes: dict[tuple[int, ...], list[int]] = {}
    by_n: dict[int, list[int]] = {}
    for i, (d, sizes) in enumerate(items):
        by_sizes.setdefault(sizes, []).append(i)
        by_n.setdefault(len(d), []).append(i)
    for sizes, idx in sorted(by_sizes.items()):
        d = np.stack([items[i][0] for i in idx], axis=1)
        lo[idx], hi[idx] = percentile_ci(bootstrap_matrix(sizes, samples, seed) @ d, level)
    for _n, idx in sorted(by_n.items()):
        x = np.stack([items[i][0] * macro_weights(items[i][1]) for i in idx], axis=1)
        p[idx], draws[idx], ex = signflip_pvalues(x, max_samples, seed)
        exact &= ex
    return lo, hi, p, draws, exact


def compare(
    per_query: pd.DataFrame,
    baselines: Sequence[str] | str,
    systems: Sequence[str] | None = None,
    test: str = DEFAULT_TEST,
    correction: str = DEFAULT_CORRECTION,
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
    alpha: float = 0.05,
    max_samples: int | None = None,
    pairs: Sequence[tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """One row per (measure, condition, lang, baseline, system) with statistics and corrected p.

    The comparisons are every baseline against every system, or exactly ``pairs`` ((baseline,
    system), in that order) when given; all of them form one family for the correction.
    ``samples``: bootstrap resamples (and the least Monte Carlo draws); ``max_samples``: cap on the
    sequential Monte Carlo draws (default: enough for the family, :func:`samples_for_family`)."""
    check_test_options(test, correction)
    df = per_query.copy()
    if "condition" not in df.columns:
        df["condition"] = "clean"
    check_per_query(df)
    baselines = [baselines] if isinstance(baselines, str) else list(baselines)
    known = set(df["system"])
    named = [*baselines, *(systems or [])] if pairs is None else [n for pair in pairs for n in pair]
    unknown = [s for s in dict.fromkeys(named) if s not in known]
    if unknown:
        raise ValueError(f"system(s) {unknown} not in the per-query data (have {sorted(known)})")
    if pairs is None:
        systems = [s for s in (systems or sorted(known)) if s not in baselines]
        pairs = [(b, s) for b in baselines for s in systems]
    rows: list[dict] = []
    items: list[tuple[np.ndarray, tuple[int, ...]]] = []
    tested: list[int] = []
    for (measure, condition), group in df.groupby(["measure", "condition"], sort=True):
        by_system = {s: by_language(g) for s, g in group.groupby("system")}
        for base, system in pairs:
            if base not in by_system and system not in by_system:
                continue
            paired = Pairs(by_system.get(base, {}), by_system.get(system, {}), base, system)
            key = {"measure": measure, "condition": condition, "baseline": base, "system": system}
            for lang in sorted(paired.status):
                b, o = paired.values.get(lang, (np.zeros(0), np.zeros(0)))
                rows.append(key | {"lang": lang} | _row_stats(b, o, (len(b),)))
                rows[-1] |= {
                    "missing": paired.missing[lang],
                    "extra": paired.extra[lang],
                    "status": paired.status[lang],
                }
                if len(b):
                    tested.append(len(rows) - 1)
                    items.append((o - b, (len(b),)))
            b, o, sizes = paired.stacked()
            counts = {"missing": sum(paired.missing.values()), "extra": sum(paired.extra.values())}
            for lang, sz in ((ALL, sizes), (MICRO, (len(b),))):
                rows.append(key | {"lang": lang} | _row_stats(b, o, sz) | counts | {"status": paired.all_status()})
                if len(b):
                    tested.append(len(rows) - 1)
                    items.append((o - b, sz))
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    family = len(tested)
    cap = max_samples if max_samples is not None else samples_for_family(family, alpha, samples)
    lo, hi, p, draws, exact = resample_stats(items, samples, cap, seed, level)
    out["ci_low"], out["ci_high"] = np.nan, np.nan
    out["p_randomization"] = np.nan
    out["mc_draws"] = 0
    out.loc[tested, "ci_low"], out.loc[tested, "ci_high"] = lo, hi
    out.loc[tested, "p_randomization"] = p
    out.loc[tested, "mc_draws"] = draws
    p_col = {"t": "p_t", "wilcoxon": "p_wilcoxon", "randomization": "p_randomization"}[test]
    used = out[p_col].copy()
    out["test"] = test
    if test == "wilcoxon":  # no stratified signed-rank test: the macro rows use the randomisation test
        macro = out["lang"] == ALL
        used[macro] = out.loc[macro, "p_randomization"]
        out.loc[macro, "test"] = "randomization"
    out["correction"] = correction
    out["p"] = used
    out["p_adj"] = correct(used.to_numpy(), correction)
    out["significant"] = out["p_adj"] < alpha
    floor = corrected_floor(family, cap)
    if test == "randomization" and not exact and floor > alpha / 10:
        warnings.warn(
            f"randomisation test: the smallest attainable corrected p ({floor:.3g} = {family} / {cap + 1}) is not far "
            f"below alpha {alpha}; raise --max-samples",
            stacklevel=2,
        )
    out.attrs.update(
        test=test,
        correction=correction,
        samples=samples,
        max_samples=cap,
        seed=seed,
        level=level,
        alpha=alpha,
        family=family,
        p_floor_adj=floor,
    )
    return out


def stats_signature(result: pd.DataFrame) -> str:
    a = result.attrs
    return (
        f"test:{a.get('test')}|correction:{a.get('correction')}|family:{a.get('family', len(result))}"
        f"|samples:{a.get('samples')}|mc:seq{a.get('max_samples')}|seed:{a.get('seed')}|ci:{a.get('level')}"
        f"|alpha:{a.get('alpha')}|all:macro"
    )


def did_test(
    base_clean: np.ndarray,
    sys_clean: np.ndarray,
    base_pert: np.ndarray,
    sys_pert: np.ndarray,
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, float]:
    """Is the system's gain the same on perturbed and clean queries?  A paired randomisation test on
    per-query (sys_pert - base_pert) - (sys_clean - base_clean), plus the Effect Ratio
    (gain under perturbation / gain on clean queries; nan when the clean gain is 0) and each
    system's drop from clean.  One language; :func:`xqg_bench.statistics.robustness.robustness_table` does
    every language, the macro mean and the CIs."""
    arrays = [np.asarray(x, dtype=np.float64) for x in (base_clean, sys_clean, base_pert, sys_pert)]
    if len({a.shape for a in arrays}) != 1:
        raise ValueError("difference-in-differences needs the same queries in all four conditions")
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise ValueError("difference-in-differences needs finite values (found nan or inf)")
    bc, sc, bp, sp_ = arrays
    did = (sp_ - bp) - (sc - bc)
    gain_clean, gain_pert = float((sc - bc).mean()), float((sp_ - bp).mean())
    return {
        "gain_clean": gain_clean,
        "gain_perturbed": gain_pert,
        "effect_ratio": gain_pert / gain_clean if gain_clean != 0 else float("nan"),
        "did": float(did.mean()),
        "p_did": randomization(did, samples, seed),
        "drop_baseline": float(bc.mean() - bp.mean()),
        "drop_system": float(sc.mean() - sp_.mean()),
        "rel_drop_baseline": float((bc.mean() - bp.mean()) / bc.mean()) if bc.mean() else float("nan"),
        "rel_drop_system": float((sc.mean() - sp_.mean()) / sc.mean()) if sc.mean() else float("nan"),
    }
