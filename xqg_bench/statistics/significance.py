"""Paired significance tests, effect sizes, equivalence tests and multiple-comparison corrections.

Per-query values of a baseline and a system, paired by query id, go in; differences are
``system - baseline``.  Every statistic is a weighted mean ``sum_i w_i d_i`` of the differences:
``w_i = 1/n`` for one language or the pooled (micro) mean, ``w_i = 1/(L * n_lang(i))`` for the
macro mean over ``L`` languages (the XOR-Retrieve convention).  Pairs are sorted by (language,
query id) by the callers, so no Monte Carlo step depends on the input order.

- Paired t (scipy) and Wilcoxon signed-rank (scipy) for one language / the pooled queries; for a
  macro mean, a stratified t (the mean over its standard error ``sqrt(sum_l s_l^2 / (L^2 n_l))``,
  Welch-Satterthwaite degrees of freedom).  A trap worth naming: when every difference is the same
  non-zero value the t statistic is infinite and p is 0 even for n = 3; the randomisation test
  gives the honest ``2 / 2**n`` there.
- Paired randomisation by sign flipping, stratified: each query's sign flips independently, the
  statistic is ``|sum_i w_i s_i d_i|``.  Exact enumeration when ``2**n <= max_samples``; otherwise
  sequential Monte Carlo (Besag and Clifford, 1991): sign vectors are drawn in a fixed, seeded order
  that depends only on (n, seed), and a comparison stops at its ``h``-th null statistic at least as
  extreme as the observed one (p = h / L after L draws) or after ``max_samples`` draws
  (p = (hits + 1) / (max_samples + 1)).  Large p-values cost a few hundred draws, small ones get
  the full resolution; ``max_samples`` is chosen from the family size and alpha
  (:func:`samples_for_family`) so that the smallest attainable corrected p is far below alpha.
  All comparisons with the same n share the sign draws and run as one matrix product.
- Paired bootstrap, stratified by language: resamples queries with replacement within each
  language; the resample matrix depends only on the language sizes and the seed, so every system
  of the same query set sees the same resamples.  Percentile CIs.
- TOST equivalence test of a weighted mean against a margin ``(-m, +m)`` (two one-sided t tests,
  the stratified standard error for a macro mean), and the minimum detectable effect.

Corrections come from statsmodels' ``multipletests`` (Holm, Bonferroni, Benjamini-Hochberg).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from xqg_bench.core.spec import DEFAULT_SEED

TESTS = ("t", "wilcoxon", "randomization")
DEFAULT_TEST = "randomization"
DEFAULT_CORRECTION = "holm"
CORRECTIONS = {"holm": "holm", "bonferroni": "bonferroni", "bh": "fdr_bh", "none": None}
DEFAULT_SAMPLES = 10_000
STOP_HITS = 400  # sequential Monte Carlo: stop at this many null statistics >= the observed one
RESOLUTION = 20  # smallest attainable Bonferroni-corrected p = alpha / RESOLUTION
_CHUNK = 4096


def check_correction(correction: str) -> None:
    """ValueError naming the declared corrections unless ``correction`` is one of them."""
    if correction not in CORRECTIONS:
        raise ValueError(f"unknown correction {correction!r}; use one of {sorted(CORRECTIONS)}")


def check_test_options(test: str, correction: str) -> None:
    """The paired test and the correction against the declared choices (``TESTS``, ``CORRECTIONS``), before any
    work: ValueError naming the unknown value and the choices."""
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; use one of {TESTS}")
    check_correction(correction)


class PairedStats(NamedTuple):
    n: int
    mean_baseline: float
    mean_system: float
    delta: float
    ci_low: float
    ci_high: float
    d_z: float
    wins: int
    ties: int
    losses: int
    p_t: float
    p_wilcoxon: float
    p_randomization: float


# ---------------------------------------------------------------------------------------------
# weights (one language, micro, macro)


def strata_sizes(langs: Sequence[str]) -> tuple[int, ...]:
    """Sizes of consecutive runs of equal labels; ``langs`` must be sorted (grouped)."""
    sizes: list[int] = []
    prev = object()
    for lang in langs:
        if lang != prev:
            sizes.append(0)
            prev = lang
        sizes[-1] += 1
    return tuple(sizes)


def macro_weights(sizes: Sequence[int]) -> np.ndarray:
    """``1 / (L * n_l)`` for each query of stratum l: the weighted sum is the mean over strata."""
    sizes = [int(s) for s in sizes]
    if not sizes or min(sizes) <= 0:
        return np.zeros(0)
    return np.concatenate([np.full(s, 1.0 / (len(sizes) * s)) for s in sizes])


# ---------------------------------------------------------------------------------------------
# classical tests


def paired_t(diff: np.ndarray) -> float:
    """Two-sided p of the paired t-test (``scipy.stats.ttest_rel``); 1.0 when every difference is 0.

    Constant non-zero differences give p = 0 at any n (the t statistic is infinite): a known trap
    of the t-test at tiny n; compare with the randomisation test's p."""
    from scipy import stats

    if len(diff) < 2 or np.all(diff == diff[0]):
        return 1.0 if np.all(diff == 0) or len(diff) < 2 else 0.0
    return float(stats.ttest_1samp(diff, 0.0).pvalue)


def wilcoxon(diff: np.ndarray) -> float:
    """Two-sided p of the Wilcoxon signed-rank test (``scipy.stats.wilcoxon``, zeros dropped)."""
    from scipy import stats

    if np.count_nonzero(diff) == 0:
        return 1.0
    return float(stats.wilcoxon(diff, zero_method="wilcox").pvalue)


def weighted_se(diff: np.ndarray, sizes: Sequence[int]) -> tuple[float, float]:
    """(standard error, degrees of freedom) of the macro mean over strata of the given sizes
    (Welch-Satterthwaite df); one stratum gives the ordinary ``s / sqrt(n)`` and ``n - 1``."""
    parts, terms = [], []
    off = 0
    L = len(sizes)
    for s in sizes:
        d = diff[off : off + s]
        off += s
        var = float(d.var(ddof=1)) if s > 1 else float("nan")
        parts.append(var / (L * L * s))
        terms.append((var / (L * L * s), s - 1))
    v = float(sum(parts))
    if not math.isfinite(v):
        return float("nan"), float("nan")
    den = sum(t * t / df for t, df in terms if df > 0 and t > 0)
    df = v * v / den if den > 0 else float(sum(s - 1 for s in sizes))
    return math.sqrt(v), df


def stratified_t(diff: np.ndarray, sizes: Sequence[int]) -> float:
    """Two-sided p of the macro mean over its stratified standard error (t, Welch df)."""
    from scipy import stats

    mean = float(macro_weights(sizes) @ diff)
    se, df = weighted_se(diff, sizes)
    if not math.isfinite(se):
        return float("nan")
    if se == 0:
        return 1.0 if mean == 0 else 0.0
    return float(2 * stats.t.sf(abs(mean / se), df))


def cohens_dz(diff: np.ndarray, sizes: Sequence[int] | None = None) -> float:
    """Mean difference over the standard deviation of the differences.

    Constant differences: ``±inf`` when non-zero, ``nan`` when all are 0 (not 0: no variation to
    scale by).  With ``sizes`` (macro mean): the macro mean over the pooled within-language SD."""
    if len(diff) < 2:
        return float("nan")
    if sizes is None or len(sizes) == 1:
        mean, sd = float(diff.mean()), float(diff.std(ddof=1))
    else:
        mean = float(macro_weights(sizes) @ diff)
        off, var = 0, []
        for s in sizes:
            var.append(float(diff[off : off + s].var(ddof=1)) if s > 1 else 0.0)
            off += s
        sd = math.sqrt(float(np.mean(var)))
    if sd > 0:
        return mean / sd
    return float("nan") if mean == 0 else math.copysign(float("inf"), mean)


# ---------------------------------------------------------------------------------------------
# randomisation (sign flips): exact or sequential Monte Carlo, many comparisons at once


def samples_for_family(family: int, alpha: float = 0.05, minimum: int = DEFAULT_SAMPLES) -> int:
    """Monte Carlo draws so that ``family / (draws + 1)`` (the smallest Bonferroni-corrected p)
    is at most ``alpha / RESOLUTION``."""
    need = math.ceil(RESOLUTION * max(family, 1) / alpha)
    return max(int(minimum), need)


def corrected_floor(family: int, max_samples: int, exact_n: int | None = None) -> float:
    """Smallest attainable Bonferroni-corrected p of the randomisation test."""
    floor = 1.0 / (max_samples + 1) if exact_n is None else 2.0 / 2**exact_n
    return min(1.0, family * floor)


def _signs_exact(n: int) -> np.ndarray:
    codes = np.arange(2**n, dtype=np.int64)[:, None] >> np.arange(n, dtype=np.int64)[None, :]
    return 1.0 - 2.0 * (codes & 1).astype(np.float64)


def _signs_chunk(n: int, seed: int, index: int, rows: int) -> np.ndarray:
    """Rows of random signs, float32; chunk ``index`` depends only on (n, seed, index)."""
    rng = np.random.default_rng([seed, n, index])
    packed = rng.integers(0, 256, size=(rows, (n + 7) // 8), dtype=np.uint8)
    bits = np.unpackbits(packed, axis=1, count=n)
    return 1.0 - 2.0 * bits.astype(np.float32)


def signflip_pvalues(
    x: np.ndarray,
    max_samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
    stop_hits: int = STOP_HITS,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Two-sided sign-flip p-values of ``|sum_i x_i|`` for every column of ``x`` (shape (n, C);
    ``x = weights * differences``).  Returns (p, draws used per column, exact?)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    n, c = x.shape
    observed = np.abs(x.sum(axis=0))
    p = np.ones(c)
    used = np.zeros(c, dtype=np.int64)
    scale = np.maximum(np.abs(x).sum(axis=0), 1e-300)
    active = ~np.all(x == 0, axis=0)  # all-zero differences: p = 1
    if n == 0 or not active.any():
        return p, used, True
    if 2**n <= max_samples:
        signs = _signs_exact(n)
        null = np.abs(signs @ x[:, active])
        tol = 1e-12 * scale[active]
        p[active] = np.count_nonzero(null >= observed[active] - tol, axis=0) / len(signs)
        used[active] = len(signs)
        return p, used, True
    hits = np.zeros(c, dtype=np.int64)
    done = ~active
    drawn, index = 0, 0
    xs = x.astype(np.float32)
    tol = 1e-5 * scale  # float32 rounding of the null sums
    while drawn < max_samples and not done.all():
        rows = min(_CHUNK, max_samples - drawn)
        signs = _signs_chunk(n, seed, index, rows)
        cols = np.flatnonzero(~done)
        exceed = np.abs(signs @ xs[:, cols]) >= (observed[cols] - tol[cols])
        total = hits[cols] + np.count_nonzero(exceed, axis=0)
        reached = total >= stop_hits
        if reached.any():  # the stop_hits-th exceedance falls in this chunk: find where
            cum = hits[cols[reached]][None, :] + np.cumsum(exceed[:, reached], axis=0, dtype=np.int64)
            stop = cols[reached]
            used[stop] = drawn + np.argmax(cum >= stop_hits, axis=0) + 1
            p[stop] = stop_hits / used[stop]
            done[stop] = True
        hits[cols[~reached]] = total[~reached]
        drawn += rows
        index += 1
    rest = np.flatnonzero(~done)
    p[rest] = (hits[rest] + 1) / (drawn + 1)
    used[rest] = drawn
    return p, used, False


def randomization(
    diff: np.ndarray,
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
    weights: np.ndarray | None = None,
) -> float:
    """Two-sided paired randomisation (sign-flip) test of weighted mean difference 0 (one comparison)."""
    diff = np.asarray(diff, dtype=np.float64)
    if len(diff) == 0:
        return 1.0
    w = np.full(len(diff), 1.0 / len(diff)) if weights is None else np.asarray(weights, dtype=np.float64)
    return float(signflip_pvalues(w * diff, samples, seed)[0][0])


# ---------------------------------------------------------------------------------------------
# stratified bootstrap


@lru_cache(maxsize=16)
def bootstrap_matrix(sizes: tuple[int, ...], samples: int = DEFAULT_SAMPLES, seed: int = DEFAULT_SEED) -> np.ndarray:
    """(samples, n) float64 weights: row b times a difference vector is the macro mean of the b-th
    resample (queries drawn with replacement within each stratum)."""
    n = int(sum(sizes))
    out = np.zeros((samples, n))
    off = 0
    L = len(sizes)
    rows = np.arange(samples, dtype=np.int64)[:, None]
    for k, s in enumerate(sizes):
        rng = np.random.default_rng([seed, 1, s, k])
        idx = rng.integers(0, s, size=(samples, s)) + rows * s
        counts = np.bincount(idx.ravel(), minlength=samples * s).reshape(samples, s)
        out[:, off : off + s] = counts / (L * s)
        off += s
    out.setflags(write=False)
    return out


def percentile_ci(means: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over axis 0 (nan where any resample is non-finite)."""
    a = (1 - level) / 2
    with np.errstate(invalid="ignore"):  # inf resamples (a ratio over a zero gain): masked below
        lo, hi = np.quantile(means, [a, 1 - a], axis=0)
    bad = ~np.all(np.isfinite(means), axis=0)
    lo, hi = np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)
    return lo, hi


def bootstrap_ci(
    diff: np.ndarray,
    level: float = 0.95,
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
    sizes: Sequence[int] | None = None,
) -> tuple[float, float]:
    """Paired bootstrap percentile CI of the (macro, when ``sizes`` has several strata) mean difference."""
    diff = np.asarray(diff, dtype=np.float64)
    if len(diff) == 0:
        return (float("nan"), float("nan"))
    m = bootstrap_matrix(tuple(sizes) if sizes else (len(diff),), samples, seed)
    lo, hi = percentile_ci(m @ diff, level)
    return float(lo), float(hi)


# ---------------------------------------------------------------------------------------------
# equivalence and power


def tost(mean: float, se: float, df: float, margin: float) -> float:
    """p of the TOST equivalence test of ``-margin < true mean < margin`` (max of the two
    one-sided t tests); 1.0 when the margin is not positive or the standard error is unknown."""
    from scipy import stats

    if not (margin > 0) or not math.isfinite(se) or not math.isfinite(mean):
        return 1.0
    if se == 0:
        return 0.0 if abs(mean) < margin else 1.0
    p_low = stats.t.sf((mean + margin) / se, df)  # H0: mean <= -margin
    p_high = stats.t.cdf((mean - margin) / se, df)  # H0: mean >= +margin
    return float(max(p_low, p_high))


def min_detectable_effect(se: float, df: float, alpha: float, power: float = 0.8) -> float:
    """Smallest true difference a two-sided test at level ``alpha`` detects with ``power``."""
    from scipy import stats

    if not math.isfinite(se) or not math.isfinite(df) or df <= 0:
        return float("nan")
    return float((stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)) * se)


# ---------------------------------------------------------------------------------------------
# one comparison, and corrections


def paired_stats(
    baseline: np.ndarray,
    system: np.ndarray,
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
    sizes: Sequence[int] | None = None,
) -> PairedStats:
    """Every statistic of one comparison.  ``sizes`` (language sizes, pairs sorted by language)
    makes it the macro mean with stratified tests; p_wilcoxon is then nan (no stratified version)."""
    baseline = np.asarray(baseline, dtype=np.float64)
    system = np.asarray(system, dtype=np.float64)
    if baseline.shape != system.shape:
        raise ValueError(f"paired values differ in length: {baseline.shape} vs {system.shape}")
    if not (np.all(np.isfinite(baseline)) and np.all(np.isfinite(system))):
        raise ValueError("paired values must be finite (found nan or inf)")
    diff = system - baseline
    n = len(diff)
    strat = sizes is not None and len(sizes) > 1
    sizes = tuple(sizes) if strat else (n,)
    w = macro_weights(sizes) if n else np.zeros(0)
    lo, hi = bootstrap_ci(diff, level, samples, seed, sizes)
    return PairedStats(
        n=n,
        mean_baseline=float(w @ baseline) if n else float("nan"),
        mean_system=float(w @ system) if n else float("nan"),
        delta=float(w @ diff) if n else float("nan"),
        ci_low=lo,
        ci_high=hi,
        d_z=cohens_dz(diff, sizes),
        wins=int((diff > 0).sum()),
        ties=int((diff == 0).sum()),
        losses=int((diff < 0).sum()),
        p_t=stratified_t(diff, sizes) if strat else paired_t(diff),
        p_wilcoxon=float("nan") if strat else wilcoxon(diff),
        p_randomization=randomization(diff, samples, seed, w) if n else 1.0,
    )


def correct(p_values: np.ndarray | list[float], method: str = DEFAULT_CORRECTION) -> np.ndarray:
    """Adjusted p-values across a family (statsmodels' multipletests); ``none`` returns them as is.
    Non-finite p-values (rows without a test) stay nan and are not counted in the family."""
    check_correction(method)
    p = np.asarray(p_values, dtype=np.float64)
    if CORRECTIONS[method] is None or len(p) == 0:
        return p
    from statsmodels.stats.multitest import multipletests

    out = np.full(len(p), np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method=CORRECTIONS[method])[1]
    return out
