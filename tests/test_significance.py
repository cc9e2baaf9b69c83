"""Significance tests against scipy / statsmodels / exact enumeration, and simulations."""

import itertools

import numpy as np
import pytest
from scipy import stats

from xqg_bench.statistics.significance import (
    CORRECTIONS,
    STOP_HITS,
    TESTS,
    bootstrap_ci,
    check_test_options,
    cohens_dz,
    correct,
    paired_stats,
    paired_t,
    randomization,
    wilcoxon,
)


@pytest.fixture
def pair():
    rng = np.random.default_rng(5)
    a = rng.random(200)
    b = np.clip(a + rng.normal(0.03, 0.1, 200), 0, 1)
    return a, b


def test_t_and_wilcoxon_equal_scipy(pair):
    a, b = pair
    assert abs(paired_t(b - a) - stats.ttest_rel(b, a).pvalue) < 1e-12
    assert abs(wilcoxon(b - a) - stats.wilcoxon(b, a).pvalue) < 1e-12


def test_randomization_exact_enumeration_by_hand():
    d = np.array([0.5, -0.2, 0.3, 0.0, 0.4, 0.1])
    obs = abs(d.mean())
    hits = sum(abs(np.mean(np.array(s) * d)) >= obs - 1e-12 for s in itertools.product((1, -1), repeat=len(d)))
    assert randomization(d, samples=10_000) == hits / 2 ** len(d)


def test_monte_carlo_randomization_agrees_with_exact_within_mc_error():
    rng = np.random.default_rng(1)
    d = rng.normal(0.1, 1.0, 16)  # 2**16 = 65,536 sign vectors: enumerate them for the truth
    exact = randomization(d, samples=2**16)
    mc = randomization(d, samples=10_000, seed=3)
    draws = min(10_000, STOP_HITS / exact)  # sequential Monte Carlo stops at STOP_HITS exceedances
    se = np.sqrt(exact * (1 - exact) / draws)
    assert abs(mc - exact) < 4 * se + 1e-4
    # and scipy's permutation test (samples type, sign flips) agrees too
    res = stats.permutation_test(
        (d,), lambda x: np.mean(x), permutation_type="samples", n_resamples=np.inf, alternative="two-sided"
    )
    assert abs(res.pvalue - exact) < 1e-9


def test_holm_bonferroni_bh_equal_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.001, 0.04, 0.03, 0.2, 0.012, 0.5, 0.049])
    for ours, theirs in (("holm", "holm"), ("bonferroni", "bonferroni"), ("bh", "fdr_bh")):
        np.testing.assert_allclose(correct(p, ours), multipletests(p, method=theirs)[1], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(correct(p, "none"), p)
    with pytest.raises(ValueError, match="unknown correction"):
        correct(p, "sidak-ish")


def test_check_test_options_accepts_the_declared_choices_only():
    for test in TESTS:
        for correction in CORRECTIONS:
            check_test_options(test, correction)
    with pytest.raises(ValueError, match=r"unknown test 'ttest'; use one of \('t', 'wilcoxon', 'randomization'\)"):
        check_test_options("ttest", "holm")
    with pytest.raises(ValueError, match="unknown correction 'sidak'; use one of"):
        check_test_options("t", "sidak")


def test_an_experiment_with_an_unknown_test_fails_before_any_work(tmp_path):
    from dataclasses import replace

    from xqg_bench.experiment.config import Statistics
    from xqg_bench.experiment.pipeline import RunConfig, Runtime, run_experiment

    exp = replace(RunConfig(variants=()).experiment(), statistics=Statistics(test="ttest"))
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="unknown test 'ttest'"):
        run_experiment(exp, Runtime(output_dir=str(out)))
    assert not out.exists()


def test_bootstrap_ci_covers_the_true_mean_at_the_nominal_rate():
    rng = np.random.default_rng(11)
    covered, trials = 0, 300
    for t in range(trials):
        d = rng.exponential(1.0, 60) - 1.0  # skewed, true mean 0
        lo, hi = bootstrap_ci(d, 0.95, samples=2000, seed=t)
        covered += lo <= 0.0 <= hi
    rate = covered / trials
    assert 0.90 <= rate <= 0.985, rate  # nominal 0.95; percentile intervals run slightly narrow on n=60


def test_effect_sizes_and_counts(pair):
    a, b = pair
    s = paired_stats(a, b, samples=2000)
    d = b - a
    assert s.n == 200 and s.wins + s.ties + s.losses == 200
    assert s.delta == pytest.approx(d.mean()) and s.d_z == pytest.approx(d.mean() / d.std(ddof=1))
    assert s.ci_low < s.delta < s.ci_high
    assert np.isnan(cohens_dz(np.zeros(5)))  # no variation: nan, not 0
    assert cohens_dz(np.full(5, 0.2)) == np.inf and cohens_dz(np.full(5, -0.2)) == -np.inf
    same = paired_stats(a, a, samples=2000)
    assert same.p_t == same.p_wilcoxon == same.p_randomization == 1.0 and same.ties == 200


def test_did_test_keeps_its_false_positive_rate_under_the_null():
    from xqg_bench.statistics.compare import did_test

    rng = np.random.default_rng(2)
    rejections, trials = 0, 400
    for t in range(trials):
        n = 60
        quality = rng.random(n)
        bc = quality + rng.normal(0, 0.1, n)
        sc = bc + 0.1 + rng.normal(0, 0.1, n)  # a real gain...
        bp = quality - 0.2 + rng.normal(0, 0.1, n)
        sp = bp + 0.1 + rng.normal(0, 0.1, n)  # ...of the same size under perturbation: the null holds
        rejections += did_test(bc, sc, bp, sp, samples=1000, seed=t)["p_did"] < 0.05
    rate = rejections / trials
    assert 0.02 <= rate <= 0.085, rate


def test_did_test_detects_a_shrinking_gain_and_reports_effect_ratio():
    from xqg_bench.statistics.compare import did_test

    rng = np.random.default_rng(3)
    bc = rng.random(200)
    sc = bc + 0.2
    bp = bc - 0.3
    sp = bp + 0.05
    res = did_test(bc, sc, bp, sp, samples=2000)
    assert res["p_did"] < 0.01 and res["effect_ratio"] == pytest.approx(0.25)
    assert res["drop_baseline"] == pytest.approx(0.3) and res["drop_system"] == pytest.approx(0.45)


def test_compare_family_pairing_and_correction():
    import pandas as pd

    from xqg_bench.statistics.compare import compare

    rng = np.random.default_rng(4)
    rows = []
    for lang in ("ja", "ko"):
        for i in range(30):
            q = f"{lang}-{i}"
            base = rng.random()
            rows.append(("base", q, lang, "nDCG@10", base))
            if q != "ko-0":  # missing from the system: scores 0, counted
                rows.append(("xqg", q, lang, "nDCG@10", min(1.0, base + 0.2)))
    rows.append(("xqg", "extra-q", "ja", "nDCG@10", 1.0))  # not in the baseline: ignored, counted
    df = pd.DataFrame(rows, columns=["system", "query_id", "lang", "measure", "value"])
    res = compare(df, "base", samples=2000)
    assert list(res["lang"]) == ["ja", "ko", "all", "all (micro)"] and set(res["system"]) == {"xqg"}
    ko = res[res.lang == "ko"].iloc[0]
    assert ko.missing == 1 and ko.n == 30 and res[res.lang == "ja"].iloc[0].extra == 1
    from statsmodels.stats.multitest import multipletests

    np.testing.assert_allclose(res.p_adj, multipletests(res.p_randomization, method="holm")[1])
    assert (res.p == res.p_randomization).all() and (res.status == "ok").all()
    with pytest.raises(ValueError, match="not in the per-query data"):
        compare(df, "nope")


def _frame(diffs: dict[str, np.ndarray], base_seed: int = 0, measure: str = "nDCG@10", condition: str = "clean"):
    import pandas as pd

    rng = np.random.default_rng(base_seed)
    rows = []
    for lang, d in diffs.items():
        for i, x in enumerate(d):
            b = rng.random()
            rows.append(("base", condition, f"{lang}-{i:03d}", lang, measure, b))
            rows.append(("xqg", condition, f"{lang}-{i:03d}", lang, measure, b + x))
    return pd.DataFrame(rows, columns=["system", "condition", "query_id", "lang", "measure", "value"])


def test_all_row_is_the_macro_mean_with_an_exact_stratified_p_where_micro_disagrees_in_sign():
    from xqg_bench.evaluate.measures import language_table
    from xqg_bench.statistics.compare import compare

    diffs = {
        "ja": np.array([-3.0, -2.0]),
        "ko": np.array([0.5, 1.0, 0.2, 0.9, -0.4, 0.3, 0.6, 0.5, 0.1, 0.7, 0.4, 0.2]),
    }
    df = _frame(diffs)
    res = compare(df, "base", samples=20_000).set_index("lang")
    micro, macro = np.concatenate(list(diffs.values())).mean(), np.mean([d.mean() for d in diffs.values()])
    assert micro > 0 > macro  # pooled and per-language averages disagree in sign
    tables = {s: language_table(g) for s, g in df.groupby("system")}  # the XOR-Retrieve macro mean per system
    xor_delta = tables["xqg"].loc["avg", "nDCG@10"] - tables["base"].loc["avg", "nDCG@10"]
    assert res.loc["all", "delta"] == pytest.approx(macro) == pytest.approx(xor_delta)
    assert res.loc["all (micro)", "delta"] == pytest.approx(micro)
    # independent exact enumeration: every sign vector, statistic = |mean over languages of the flipped means|
    d = np.concatenate([diffs["ja"], diffs["ko"]])
    hits = 0
    for s in itertools.product((1.0, -1.0), repeat=len(d)):
        sd = np.array(s) * d
        hits += abs((sd[:2].mean() + sd[2:].mean()) / 2) >= abs(macro) - 1e-12
    assert res.loc["all", "mc_draws"] == 2 ** len(d)  # enumerated, not sampled
    assert res.loc["all", "p_randomization"] == pytest.approx(hits / 2 ** len(d), abs=1e-15)
    # the micro row tests the pooled mean: a different statistic, a different p
    assert res.loc["all (micro)", "p_randomization"] != res.loc["all", "p_randomization"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (np.nan, "non-finite value nan for system 'xqg', query 'ko-003', measure 'nDCG@10'"),
        (np.inf, "non-finite value inf"),
    ],
)
def test_non_finite_values_are_an_error_naming_system_query_and_measure(value, message):
    from xqg_bench.statistics.compare import compare

    df = _frame({"ja": np.full(5, 0.1), "ko": np.full(5, 0.1)})
    df.loc[(df.system == "xqg") & (df.query_id == "ko-003"), "value"] = value
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        compare(df, "base", samples=500)


def test_duplicated_rows_are_an_error():
    import pandas as pd

    from xqg_bench.statistics.compare import compare

    df = _frame({"ja": np.full(5, 0.1)})
    for system in ("base", "xqg"):
        dup = pd.concat([df, df[(df.system == system) & (df.query_id == "ja-002")]], ignore_index=True)
        with pytest.raises(ValueError, match=f"duplicated query 'ja-002' for system '{system}'"):
            compare(dup, "base", samples=500)


def test_clear_differences_are_significant_in_a_family_of_the_default_runs_size():
    """t and Wilcoxon both below alpha / family => significant under the default (randomisation) test.
    The family has the default run's size: 8 measures x 6 conditions x (7 languages + all + micro)."""
    import pandas as pd

    from xqg_bench.statistics.compare import compare

    rng = np.random.default_rng(7)
    langs = ["ar", "bn", "fi", "ja", "ko", "ru", "te"]
    frames = []
    for m in range(8):
        for c in range(6):
            effect = {lang: rng.choice([0.0, 0.0, rng.uniform(0.02, 0.12)]) for lang in langs}
            diffs = {lang: rng.normal(effect[lang], 0.15, 60) for lang in langs}
            frames.append(_frame(diffs, base_seed=m * 10 + c, measure=f"m{m}", condition=f"c{c}"))
    res = compare(pd.concat(frames, ignore_index=True), "base")
    family = len(res)
    assert family == res.attrs["family"] == 8 * 6 * 9
    clear = res[(res.p_t < 0.05 / family) & (res.p_wilcoxon < 0.05 / family)]
    borderline = clear[clear.p_t > 0.05 / family / 20]  # where a 10,000-sample Monte Carlo could not resolve p
    assert len(borderline) >= 3, len(borderline)
    assert clear.significant.all(), clear[~clear.significant][["p_t", "p_wilcoxon", "p_randomization", "p_adj"]]
    assert res.attrs["p_floor_adj"] <= 0.05 / 20


def test_warning_when_the_monte_carlo_cannot_resolve_the_corrected_p():
    from xqg_bench.statistics.compare import compare

    df = _frame({lang: np.random.default_rng(1).normal(0.1, 0.2, 40) for lang in ("ja", "ko", "te")})
    with pytest.warns(UserWarning, match="smallest attainable corrected p"):
        compare(df, "base", samples=500, max_samples=500)


def test_stratified_sign_flip_test_is_calibrated_under_the_null():
    from xqg_bench.statistics.significance import macro_weights, signflip_pvalues

    rng = np.random.default_rng(3)
    sizes, trials = (5, 12, 30), 2000
    sd = np.concatenate([np.full(s, v) for s, v in zip(sizes, (1.0, 0.3, 2.0), strict=True)])
    diffs = rng.standard_t(4, size=(sum(sizes), trials)) * sd[:, None]  # symmetric, heavy-tailed, unequal spreads
    p, _draws, exact = signflip_pvalues(diffs * macro_weights(sizes)[:, None], max_samples=4000, seed=5)
    assert not exact
    for a in (0.05, 0.2):
        rate = float(np.mean(p <= a))
        assert abs(rate - a) < 3.5 * np.sqrt(a * (1 - a) / trials), (a, rate)


def test_tost_false_positive_rate_at_the_margin_is_at_most_alpha():
    from xqg_bench.statistics.significance import macro_weights, tost, weighted_se

    rng = np.random.default_rng(9)
    sizes, margin, trials = (20, 45, 31), 0.1, 2000
    shift = np.concatenate([np.full(s, v) for s, v in zip(sizes, (0.05, 0.1, 0.15), strict=True)])  # macro = 0.1
    w = macro_weights(sizes)
    rejections = 0
    for sign in (1.0, -1.0):
        for _ in range(trials // 2):
            d = sign * shift + rng.normal(0, 0.3, len(shift))  # the true macro difference is exactly ±margin
            se, df = weighted_se(d, sizes)
            rejections += tost(float(w @ d), se, df, margin) < 0.05
    rate = rejections / trials
    assert rate <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / trials), rate
    # and equivalence is found when the truth is well inside the margin
    d = rng.normal(0.0, 0.3, sum(sizes))
    se, df = weighted_se(d, sizes)
    assert tost(float(w @ d), se, df, 0.2) < 0.05


def test_compare_declared_pairs_are_one_family():
    import numpy as np
    import pandas as pd

    from xqg_bench.statistics.compare import compare
    from xqg_bench.statistics.significance import correct

    rng = np.random.default_rng(3)
    rows = [(s, f"q{i}", "ja" if i % 2 else "ko", "nDCG@10", rng.random() + shift)
            for s, shift in (("a", 0.0), ("b", 0.1), ("c", 0.0), ("d", 0.05)) for i in range(40)]  # fmt: skip
    df = pd.DataFrame(rows, columns=["system", "query_id", "lang", "measure", "value"])
    res = compare(df, [], None, samples=300, pairs=[("a", "b"), ("c", "d")])
    assert list(dict.fromkeys(zip(res.baseline, res.system, strict=True))) == [("a", "b"), ("c", "d")]
    assert res.attrs["family"] == 2 * 4  # (ja, ko, all, all (micro)) per pairing
    assert np.allclose(res.p_adj, correct(res.p.to_numpy(), "holm"))
    # the cross product of baselines and systems is the same call with every pair listed
    cross = compare(df, ["a", "c"], ["b", "d"], samples=300)
    listed = compare(df, [], None, samples=300, pairs=[("a", "b"), ("a", "d"), ("c", "b"), ("c", "d")])
    pd.testing.assert_frame_equal(cross, listed)
    import pytest

    with pytest.raises(ValueError, match=r"system\(s\) \['e'\] not in the per-query data"):
        compare(df, [], None, pairs=[("a", "e")])
