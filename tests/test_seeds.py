"""Several draws of a stochastic variant: expansion, collapse of identical draws, per-query means, spread."""

import numpy as np
import pandas as pd
import pytest

from xqg_bench.perturb.families import parse_variant
from xqg_bench.statistics.seeds import average_draws, collapse_identical, expand_seeds, seed_spread


def test_expand_seeds_names_the_condition_without_its_seed():
    groups = expand_seeds([parse_variant("typo(kind=keyboard,n=2,seed=5)"), parse_variant("romanize(rate=1.0)")], 3)
    assert [d.spec for d in groups["typo(kind=keyboard,n=2)"]] == [
        f"typo(kind=keyboard,n=2,seed={s})" for s in (5, 6, 7)
    ]
    assert list(groups) == ["typo(kind=keyboard,n=2)", "romanize(rate=1.0)"]
    assert expand_seeds([parse_variant("typo(n=1,seed=5)")], 1) == {
        "typo(kind=keyboard,n=1,seed=5)": [parse_variant("typo(n=1,seed=5)")]
    }
    with pytest.raises(ValueError, match="differ only by their seed"):
        expand_seeds([parse_variant("typo(n=1,seed=5)"), parse_variant("typo(n=1,seed=9)")], 2)
    same = {d.spec: {"q1": "x"} for d in groups["romanize(rate=1.0)"]}
    diff = {d.spec: {"q1": d.spec} for d in groups["typo(kind=keyboard,n=2)"]}
    collapsed = collapse_identical(groups, same | diff)
    assert list(collapsed) == ["typo(kind=keyboard,n=2)", "romanize(rate=1.0,seed=13)"]
    assert len(collapsed["romanize(rate=1.0,seed=13)"]) == 1


def _draws():
    rng = np.random.default_rng(0)
    rows = []
    for cond in ("clean", "t(seed=1)", "t(seed=2)", "t(seed=3)"):
        for lang, size in (("ja", 4), ("ko", 6)):
            for i in range(size):
                for system in ("baseline", "xqg"):
                    rows.append((system, cond, f"{lang}{i}", lang, "nDCG@10", rng.random(), f"sig-{system}-{cond}"))
    return pd.DataFrame(rows, columns=["system", "condition", "query_id", "lang", "measure", "value", "signature"])


def test_average_draws_means_per_query_and_spread_between_draws():
    df = _draws()
    groups = {"t": ["t(seed=1)", "t(seed=2)", "t(seed=3)"], "clean": ["clean"]}
    avg = average_draws(df, groups)
    assert set(avg.condition) == {"clean", "t"} and len(avg) == len(df) // 2
    q = avg[(avg.condition == "t") & (avg.system == "xqg") & (avg.query_id == "ko3")].value.iloc[0]
    assert q == pytest.approx(
        df[(df.condition != "clean") & (df.system == "xqg") & (df.query_id == "ko3")].value.mean()
    )
    assert avg[avg.condition == "t"].signature.str.startswith("mean of 3 seeds: sig-").all()
    spread = seed_spread(df, groups, "baseline", "xqg").set_index("lang")
    per_draw = []
    for c in groups["t"]:
        sub = df[df.condition == c].groupby(["system", "lang"])["value"].mean().unstack("lang").mean(axis=1)
        per_draw.append(sub["xqg"] - sub["baseline"])
    assert spread.loc["all", "seeds"] == 3
    assert spread.loc["all", "gain_perturbed_seed_sd"] == pytest.approx(np.std(per_draw, ddof=1))
    assert spread.loc["all", "gain_perturbed_seed_max"] == pytest.approx(max(per_draw))
    with pytest.raises(ValueError, match="value in 2 of the 3 draws of t"):
        average_draws(df.drop(index=df.index[(df.condition == "t(seed=2)") & (df.query_id == "ja1")]), groups)
