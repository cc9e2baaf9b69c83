"""Robustness tables, seeds, severity plots on synthetic per-query data."""

import numpy as np
import pandas as pd
import pytest

from xqg_bench.statistics.robustness import (
    legend,
    over_seeds,
    robustness_table,
    severity_plot,
    verdict_table,
    worst_case,
    write_robustness,
)


def synthetic():
    rng = np.random.default_rng(0)
    rows = []
    conds = ["clean", "word(kind=drop,n=1,seed=1)", "word(kind=drop,n=2,seed=1)", "word(kind=drop,n=1,seed=2)"]
    for c_i, cond in enumerate(conds):
        for lang in ("ja", "ko"):
            for i in range(30):
                base = rng.random() - 0.1 * c_i
                rows.append(("baseline", cond, f"{lang}{i}", lang, "nDCG@10", base))
                rows.append(("xqg", cond, f"{lang}{i}", lang, "nDCG@10", base + 0.2 - 0.05 * c_i))
    return pd.DataFrame(rows, columns=["system", "condition", "query_id", "lang", "measure", "value"])


def test_robustness_rows_seeds_worst_case_and_files(tmp_path):
    df = synthetic()
    rob = robustness_table(df, "baseline", "xqg", samples=500)
    assert len(rob) == 3 * 3  # 3 perturbed conditions x (2 languages + all)
    row = rob[(rob.condition == "word(kind=drop,n=1,seed=1)") & (rob.lang == "all")].iloc[0]
    assert row.gain_clean > row.gain_perturbed and abs(row.effect_ratio - row.gain_perturbed / row.gain_clean) < 1e-12
    seeds = over_seeds(rob[rob.lang == "all"])
    n1 = seeds[seeds.variant == "word(kind=drop,n=1)"].iloc[0]
    assert n1.seeds == 2 and n1.gain_perturbed_sd >= 0
    assert set(worst_case(rob).who) == {"baseline", "system"}
    paths = write_robustness(rob, str(tmp_path), "r")
    assert "Over seeds" in open(paths["robustness.md"]).read()


def test_severity_plot_for_any_family_swept_by_n_or_rate(tmp_path):
    df = synthetic()
    assert severity_plot(df, str(tmp_path / "s.png"), ["nDCG@10"])
    assert open(tmp_path / "s.png", "rb").read(4) == b"\x89PNG"
    only_clean = df[df.condition == "clean"]
    assert not severity_plot(only_clean, str(tmp_path / "none.png"), ["nDCG@10"])


def test_bootstrap_cis_of_did_and_effect_ratio_cover_at_the_nominal_rate():
    from xqg_bench.statistics.robustness import FIGURES, resample_robustness

    rng = np.random.default_rng(21)
    sizes, trials = (40, 70, 55), 400
    gain = np.array([0.25, 0.15, 0.2])  # per language; the macro clean gain is 0.2
    true_did, true_er = -0.06, 0.7  # perturbed gain = 0.7 x clean gain in every language
    quads = []
    for _ in range(trials):
        parts = []
        for s, g in zip(sizes, gain, strict=True):
            q = rng.random(s)
            bc = q + rng.normal(0, 0.1, s)
            sc = bc + g + rng.normal(0, 0.25, s)
            bp = q - 0.2 + rng.normal(0, 0.1, s)
            sp = bp + 0.7 * g + rng.normal(0, 0.25, s)
            parts.append(np.stack([bc, sc, bp, sp], axis=1))
        quads.append((np.concatenate(parts), sizes))
    stats = resample_robustness(quads, samples=2000, cap=2000, seed=1, level=0.95)
    assert set(FIGURES) <= set(stats[0])
    for name, truth in (("did", true_did), ("effect_ratio", true_er)):
        rate = np.mean([s[f"{name}_ci_low"] <= truth <= s[f"{name}_ci_high"] for s in stats])
        assert abs(rate - 0.95) < 3.5 * np.sqrt(0.05 * 0.95 / trials), (name, rate)


def _quad_frame(sizes, gain_clean, gain_pert, seed=0, sd=0.2):
    rng = np.random.default_rng(seed)
    rows = []
    for lang, size in sizes.items():
        for i in range(size):
            q = rng.random()
            for cond, gain, shift in (("clean", gain_clean, 0.0), ("typo(n=1)", gain_pert, -0.2)):
                b = q + shift + rng.normal(0, 0.05)
                rows.append(("baseline", cond, f"{lang}{i:03d}", lang, "nDCG@10", b))
                rows.append(("xqg", cond, f"{lang}{i:03d}", lang, "nDCG@10", b + gain + rng.normal(0, sd)))
    return pd.DataFrame(rows, columns=["system", "condition", "query_id", "lang", "measure", "value"])


def test_verdicts_kept_lost_inconclusive_and_the_effect_ratio_not_estimable():
    sizes = {"ja": 150, "ko": 90, "te": 120}
    kept = robustness_table(_quad_frame(sizes, 0.3, 0.3, sd=0.1), "baseline", "xqg", samples=1000)
    assert (kept.verdict == "gain kept").all() and (kept.er_status == "estimable").all()
    lost = robustness_table(_quad_frame(sizes, 0.3, 0.05, sd=0.1), "baseline", "xqg", samples=1000)
    assert (lost.verdict == "gain lost").all() and (lost.did < 0).all()
    unsure = robustness_table(_quad_frame({"ja": 12, "ko": 9}, 0.3, 0.2, sd=0.4), "baseline", "xqg", samples=1000)
    row = unsure[unsure.lang == "all"].iloc[0]
    assert row.verdict == "inconclusive" and row.questions_to_settle > row.n and row.mde > abs(row.did)
    none = robustness_table(_quad_frame(sizes, 0.0, 0.1, sd=0.3), "baseline", "xqg", samples=1000)
    row = none[none.lang == "all"].iloc[0]
    assert row.er_status.startswith("not estimable: clean gain CI") and np.isnan(row.effect_ratio)
    assert "not estimable" in verdict_table(none).loc[3, "ER [CI]"]
    # equivalence shown but no clean gain to keep (an absolute margin makes the TOST pass)
    flat = _quad_frame(sizes, 0.0, 0.0, sd=0.1)
    nothing = robustness_table(flat, "baseline", "xqg", samples=1000, margins={"nDCG@10": 0.1})
    assert (nothing.verdict == "no clean gain").all() and (nothing.margin == 0.1).all()
    # every figure has its CI around it, the macro 'all' row is the mean of the language rows
    for figure in ("drop_baseline", "drop_system", "gain_clean", "gain_perturbed", "did"):
        assert (kept[f"{figure}_ci_low"] <= kept[figure]).all() and (kept[figure] <= kept[f"{figure}_ci_high"]).all()
        assert kept[kept.lang == "all"][figure].iloc[0] == pytest.approx(kept[kept.lang != "all"][figure].mean())


def test_a_condition_missing_a_language_is_reported_not_zero_filled():
    df = _quad_frame({"ja": 30, "ko": 30}, 0.3, 0.3)
    df = df[~((df.condition != "clean") & (df.lang == "ko"))]  # the perturbed run lacks Korean entirely
    rob = robustness_table(df, "baseline", "xqg", samples=500)
    ko = rob[rob.lang == "ko"].iloc[0]
    assert ko.n == 0 and ko.status.startswith("not compared: no queries in ko") and ko.verdict == "not compared"
    all_row = rob[rob.lang == "all"].iloc[0]
    ja = rob[rob.lang == "ja"].iloc[0]
    assert all_row.status.startswith("incomplete") and all_row.drop_baseline == pytest.approx(ja.drop_baseline)
    assert "Rows not compared (a language missing for a system or condition): 1" in legend(rob)


def test_shuffled_input_gives_byte_identical_robustness_files(tmp_path):
    df = _quad_frame({"ja": 25, "ko": 18, "te": 31}, 0.3, 0.2)
    outs = []
    for k, frame in enumerate([df, df.sample(frac=1.0, random_state=3)]):
        paths = write_robustness(robustness_table(frame, "baseline", "xqg", samples=500), str(tmp_path / str(k)), "r")
        outs.append({ext: open(p, "rb").read() for ext, p in paths.items()})
    assert outs[0] == outs[1]


def test_robustness_on_the_questions_a_variant_changed():
    """Unchanged questions are left out of a condition's robustness rows (clean and perturbed alike)."""
    df = synthetic()
    cond = "word(kind=drop,n=1,seed=1)"
    changed = {f"ja{i}" for i in range(10)}  # the variant touched 10 Japanese questions and no Korean one
    rob = robustness_table(df, "baseline", "xqg", samples=300, changed={cond: changed})
    rows = rob[rob.condition == cond].set_index("lang")
    assert rows.loc["ja", "n"] == 10 and rows.loc["ja", "of"] == 30
    assert rows.loc["ko", "n"] == 0 and rows.loc["ko", "status"] == "not compared: the variant changed no ko question"
    assert rows.loc["all", "status"].startswith("incomplete: mean over 1 of 2 languages")
    sub = df[df.query_id.isin(changed) & (df.measure == "nDCG@10")]
    mean = sub.groupby(["system", "condition"])["value"].mean()
    gain_clean = mean["xqg", "clean"] - mean["baseline", "clean"]
    assert abs(rows.loc["ja", "gain_clean"] - gain_clean) < 1e-12
    # conditions not listed keep every question
    other = rob[(rob.condition == "word(kind=drop,n=2,seed=1)") & (rob.lang == "ja")].iloc[0]
    assert other.n == 30 and other.of == 30


def test_effect_ratio_interval_survives_resamples_with_a_zero_clean_gain():
    """0/1 measures at small n: a few resamples have no clean gain; the ER interval is taken over the others."""
    rows = []
    for i in range(20):
        for cond, hit in (("clean", i < 6), ("typo(kind=keyboard,n=1,seed=1)", i < 3)):
            rows.append(("baseline", cond, f"q{i:02d}", "ja", "R@2kt", 0.0))
            rows.append(("xqg", cond, f"q{i:02d}", "ja", "R@2kt", 100.0 * hit))
    df = pd.DataFrame(rows, columns=["system", "condition", "query_id", "lang", "measure", "value"])
    rob = robustness_table(df, "baseline", "xqg", samples=4000)
    row = rob[rob.lang == "ja"].iloc[0]
    assert row.er_status == "estimable" and row.effect_ratio == 0.5
    assert 0 < row.effect_ratio_ci_resamples < 4000  # some resamples had a zero clean gain, and were left out
    assert np.isfinite(row.effect_ratio_ci_low) and row.effect_ratio_ci_low <= 0.5 <= row.effect_ratio_ci_high
    assert row.gain_clean_ci_low == np.round(row.gain_clean_ci_low, 12)


def test_several_pairings_in_one_table_and_one_family():
    from xqg_bench.statistics.significance import correct

    one = _quad_frame({"ja": 40, "ko": 30}, 0.3, 0.1, sd=0.2)
    other = _quad_frame({"ja": 40, "ko": 30}, 0.3, 0.3, seed=5, sd=0.2)
    other["system"] = other["system"].map({"baseline": "base2", "xqg": "xqg2"})
    df = pd.concat([one, other], ignore_index=True)
    pairs = [("baseline", "xqg"), ("base2", "xqg2")]
    both = robustness_table(df, samples=500, pairs=pairs, max_samples=3000)
    assert list(dict.fromkeys(zip(both.baseline, both.system, strict=True))) == pairs
    assert list(both.columns[:4]) == ["measure", "condition", "baseline", "system"]
    assert both.attrs["family"] == 2 * 2 * 3  # 2 pairings x (2 languages + all) x (DiD, TOST)
    # each pairing's figures are those of its own table; the correction sees the whole family
    for b, s in pairs:
        alone = robustness_table(df, b, s, samples=500, max_samples=3000)  # the same Monte Carlo resolution
        mine = both[(both.baseline == b) & (both.system == s)].reset_index(drop=True)
        for col in ("n", "did", "did_ci_low", "did_ci_high", "gain_clean", "effect_ratio", "p_did", "p_tost"):
            assert np.allclose(mine[col], alone[col], equal_nan=True), col
    p = np.concatenate([both.p_did, both.p_tost])
    assert np.allclose(np.concatenate([both.p_did_adj, both.p_tost_adj]), correct(p, "holm"))
    assert (both[both.system == "xqg"].verdict == "gain lost").any()
    md = verdict_table(both)
    assert list(md.columns[:3]) == ["condition", "baseline", "system"]
    assert set(zip(worst_case(both).baseline, worst_case(both).system, strict=True)) == set(pairs)
    with pytest.raises(ValueError, match="needs baseline and system, or pairs"):
        robustness_table(df)
