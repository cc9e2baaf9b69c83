"""Robustness tables, seeds, severity plots on synthetic per-query data."""

import numpy as np
import pandas as pd

from xqg_bench.robustness import over_seeds, robustness_table, severity_plot, worst_case, write_robustness


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
