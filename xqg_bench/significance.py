"""Paired significance tests, effect sizes and multiple-comparison corrections.

Per-query values of a baseline and a system, paired by query id, go in; differences are
``system - baseline``.  Tests: paired t (scipy), Wilcoxon signed-rank (scipy), paired
randomisation by sign flipping (exact enumeration when 2**n <= samples, otherwise seeded Monte
Carlo with ``(hits + 1) / (samples + 1)``), and a paired bootstrap percentile CI of the mean
difference.  As in sacrebleu, the sign and resample matrices depend only on (n, samples, seed), so
they are built once and reused for every comparison of the same query set.  Corrections come from
statsmodels' ``multipletests`` (Holm, Bonferroni, Benjamini-Hochberg).
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import NamedTuple

import numpy as np

TESTS = ("t", "wilcoxon", "randomization")
CORRECTIONS = {"holm": "holm", "bonferroni": "bonferroni", "bh": "fdr_bh", "none": None}
DEFAULT_SAMPLES = 10_000
DEFAULT_SEED = 13


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


def paired_t(diff: np.ndarray) -> float:
    """Two-sided p of the paired t-test (``scipy.stats.ttest_rel``); 1.0 when every difference is 0."""
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


@lru_cache(maxsize=32)
def sign_matrix(n: int, samples: int = DEFAULT_SAMPLES, seed: int = DEFAULT_SEED) -> tuple[np.ndarray, bool]:
    """(signs of shape (k, n) in {-1, +1}, exact?).  Exact: all 2**n sign vectors."""
    if n <= 20 and 2**n <= samples:
        grid = np.array(list(itertools.product((1.0, -1.0), repeat=n)), dtype=np.float64)
        return grid, True
    rng = np.random.default_rng(seed)
    # float32 halves memory and doubles BLAS speed; sums of n values stay exact to ~1e-7 relative
    return (rng.integers(0, 2, size=(samples, n), dtype=np.int8) * 2 - 1).astype(np.float32), False


def randomization(diff: np.ndarray, samples: int = DEFAULT_SAMPLES, seed: int = DEFAULT_SEED) -> float:
    """Two-sided paired randomisation (sign-flip) test of mean difference 0."""
    n = len(diff)
    if n == 0 or np.all(diff == 0):
        return 1.0
    signs, exact = sign_matrix(n, samples, seed)
    observed = abs(diff.mean())
    null = np.abs(signs @ diff.astype(signs.dtype)) / n
    tol = (1e-12 if exact else 1e-5) * max(1.0, observed)  # float32 rounding in the Monte Carlo case
    hits = int(np.count_nonzero(null >= observed - tol))
    return hits / len(signs) if exact else (hits + 1) / (len(signs) + 1)


@lru_cache(maxsize=32)
def resample_matrix(n: int, samples: int = DEFAULT_SAMPLES, seed: int = DEFAULT_SEED) -> np.ndarray:
    return np.random.default_rng(seed + 1).integers(0, n, size=(samples, n))


def bootstrap_ci(
    diff: np.ndarray, level: float = 0.95, samples: int = DEFAULT_SAMPLES, seed: int = DEFAULT_SEED
) -> tuple[float, float]:
    """Paired bootstrap percentile CI of the mean difference."""
    if len(diff) == 0:
        return (float("nan"), float("nan"))
    means = diff[resample_matrix(len(diff), samples, seed)].mean(axis=1)
    alpha = (1 - level) / 2
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    return float(lo), float(hi)


def cohens_dz(diff: np.ndarray) -> float:
    """Mean difference over the standard deviation of the differences (0 when they do not vary)."""
    if len(diff) < 2:
        return 0.0
    sd = diff.std(ddof=1)
    return float(diff.mean() / sd) if sd > 0 else 0.0


def paired_stats(
    baseline: np.ndarray,
    system: np.ndarray,
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> PairedStats:
    baseline = np.asarray(baseline, dtype=np.float64)
    system = np.asarray(system, dtype=np.float64)
    if baseline.shape != system.shape:
        raise ValueError(f"paired values differ in length: {baseline.shape} vs {system.shape}")
    diff = system - baseline
    lo, hi = bootstrap_ci(diff, level, samples, seed)
    return PairedStats(
        n=len(diff),
        mean_baseline=float(baseline.mean()) if len(diff) else float("nan"),
        mean_system=float(system.mean()) if len(diff) else float("nan"),
        delta=float(diff.mean()) if len(diff) else float("nan"),
        ci_low=lo,
        ci_high=hi,
        d_z=cohens_dz(diff),
        wins=int((diff > 0).sum()),
        ties=int((diff == 0).sum()),
        losses=int((diff < 0).sum()),
        p_t=paired_t(diff),
        p_wilcoxon=wilcoxon(diff),
        p_randomization=randomization(diff, samples, seed),
    )


def correct(p_values: np.ndarray | list[float], method: str = "holm") -> np.ndarray:
    """Adjusted p-values across a family (statsmodels' multipletests); ``none`` returns them as is."""
    if method not in CORRECTIONS:
        raise ValueError(f"unknown correction {method!r}; use one of {sorted(CORRECTIONS)}")
    p = np.asarray(p_values, dtype=np.float64)
    if CORRECTIONS[method] is None or len(p) == 0:
        return p
    from statsmodels.stats.multitest import multipletests

    return multipletests(p, method=CORRECTIONS[method])[1]
