"""compare(): paired tests of systems against baselines over a declared family, with corrections.

Input: a long per-query DataFrame with columns ``system``, ``query_id``, ``lang``, ``measure``,
``value`` and optionally ``condition`` (clean, or a query variant).  For every (measure, condition,
language — each language and ``all`` pooled) and every (baseline, system) pair, values are paired
by query id.  Pairing policy (stated, counted, never silent): the baseline's queries are the
reference; a reference query missing from the system scores 0 (the ir-measures rule) and is
counted in ``missing``; system queries outside the reference are ignored and counted in ``extra``.
The family is every row of the result; ``p_adj`` corrects the chosen test's p-values across it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from xqg_bench.significance import CORRECTIONS, DEFAULT_SAMPLES, DEFAULT_SEED, TESTS, correct, paired_stats

ALL = "all"


def _pair(base: pd.Series, other: pd.Series) -> tuple[np.ndarray, np.ndarray, int, int]:
    missing = int((~base.index.isin(other.index)).sum())
    extra = int((~other.index.isin(base.index)).sum())
    aligned = other.reindex(base.index).fillna(0.0)
    return base.to_numpy(dtype=np.float64), aligned.to_numpy(dtype=np.float64), missing, extra


def compare(
    per_query: pd.DataFrame,
    baselines: Sequence[str] | str,
    systems: Sequence[str] | None = None,
    test: str = "randomization",
    correction: str = "holm",
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One row per (measure, condition, lang, baseline, system) with statistics and corrected p."""
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; use one of {TESTS}")
    if correction not in CORRECTIONS:
        raise ValueError(f"unknown correction {correction!r}; use one of {sorted(CORRECTIONS)}")
    df = per_query.copy()
    if "condition" not in df.columns:
        df["condition"] = "clean"
    baselines = [baselines] if isinstance(baselines, str) else list(baselines)
    known = set(df["system"])
    unknown = [s for s in [*baselines, *(systems or [])] if s not in known]
    if unknown:
        raise ValueError(f"system(s) {unknown} not in the per-query data (have {sorted(known)})")
    systems = [s for s in (systems or sorted(known)) if s not in baselines]
    rows = []
    for (measure, condition), group in df.groupby(["measure", "condition"], sort=True):
        langs = sorted(group["lang"].unique())
        for lang in [*langs, ALL]:
            sub = group if lang == ALL else group[group["lang"] == lang]
            by_system = {s: g.set_index("query_id")["value"] for s, g in sub.groupby("system")}
            for base in baselines:
                if base not in by_system:
                    continue
                for system in systems:
                    if system not in by_system:
                        continue
                    b, o, missing, extra = _pair(by_system[base], by_system[system])
                    st = paired_stats(b, o, samples, seed, level)
                    rows.append(
                        {"measure": measure, "condition": condition, "lang": lang, "baseline": base, "system": system}
                        | st._asdict()
                        | {"missing": missing, "extra": extra}
                    )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    p_col = {"t": "p_t", "wilcoxon": "p_wilcoxon", "randomization": "p_randomization"}[test]
    out["test"] = test
    out["correction"] = correction
    out["p_adj"] = correct(out[p_col].to_numpy(), correction)
    out["significant"] = out["p_adj"] < alpha
    out.attrs.update(test=test, correction=correction, samples=samples, seed=seed, level=level, alpha=alpha)
    return out


def stats_signature(result: pd.DataFrame) -> str:
    a = result.attrs
    return (
        f"test:{a.get('test')}|correction:{a.get('correction')}|family:{len(result)}|samples:{a.get('samples')}"
        f"|seed:{a.get('seed')}|ci:{a.get('level')}|alpha:{a.get('alpha')}"
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
    (gain under perturbation / gain on clean queries) and each system's drop from clean."""
    from xqg_bench.significance import randomization

    arrays = [np.asarray(x, dtype=np.float64) for x in (base_clean, sys_clean, base_pert, sys_pert)]
    if len({a.shape for a in arrays}) != 1:
        raise ValueError("difference-in-differences needs the same queries in all four conditions")
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
