"""Several random draws of a stochastic query variant, averaged per query before testing.

``--seeds S`` turns a variant carrying ``seed=s`` into S draws with seeds s, s+1, ..., s+S-1.  Each
draw is searched and scored as its own variant (its own files under ``variants/``; the query
embedding cache is keyed by text, so a draw that repeats a text costs nothing and adding a seed
costs one draw).  The paired tests then see one condition per variant — named by the variant
without its seed — whose per-query values are the mean over the draws; the spread between draws
is reported beside the robustness figures.  Draws whose perturbed texts are all identical (a
deterministic variant) collapse to the first draw, under its own name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from xqg_bench.core.spec import format_spec
from xqg_bench.perturb.families import Perturbation, parse_variant
from xqg_bench.statistics.compare import ALL


def condition_name(variant: Perturbation) -> str:
    """The variant's canonical string without its seed (the averaged condition)."""
    return format_spec(variant.name, {k: v for k, v in variant.params.items() if k != "seed"}, order=variant.keys)


def expand_seeds(variants: Sequence[Perturbation], seeds: int) -> dict[str, list[Perturbation]]:
    """condition -> its draws.  One draw (the variant itself) when ``seeds`` is 1 or it has no seed."""
    if seeds < 1:
        raise ValueError(f"--seeds must be at least 1 (got {seeds})")
    out: dict[str, list[Perturbation]] = {}
    for v in variants:
        if seeds == 1 or "seed" not in v.params:
            out[v.spec] = [v]
            continue
        first = int(v.params["seed"])  # type: ignore[call-overload]
        draws = [
            parse_variant(format_spec(v.name, {**v.params, "seed": first + k}, order=v.keys)) for k in range(seeds)
        ]
        name = condition_name(v)
        if name in out:
            raise ValueError(
                f"variants {out[name][0].spec} and {v.spec} differ only by their seed; list one with --seeds"
            )
        out[name] = draws
    return out


def collapse_identical(groups: Mapping[str, list[Perturbation]], texts: Mapping[str, Mapping[str, str]]) -> dict:
    """Draws whose query texts (``texts[draw spec]``) are all the same keep only the first draw."""
    out: dict[str, list[Perturbation]] = {}
    for name, draws in groups.items():
        if len(draws) > 1 and all(texts[d.spec] == texts[draws[0].spec] for d in draws[1:]):
            out[draws[0].spec] = draws[:1]
        else:
            out[name] = list(draws)
    return out


def average_draws(per_query: pd.DataFrame, groups: Mapping[str, list[str]]) -> pd.DataFrame:
    """Per-query values of each multi-draw condition averaged over its draws (``groups``: condition ->
    draw specs); other rows unchanged.  Every (system, query, measure) must have a value in every draw."""
    keep = [per_query[~per_query["condition"].isin([d for ds in groups.values() if len(ds) > 1 for d in ds])]]
    for name, draws in sorted(groups.items()):
        if len(draws) < 2:
            continue
        sub = per_query[per_query["condition"].isin(draws)]
        g = sub.groupby(["system", "query_id", "lang", "measure"], sort=True)
        counts = g["value"].count()
        short = counts[counts != len(draws)]
        if len(short):
            system, qid, _lang, measure = short.index[0]
            raise ValueError(
                f"query {qid!r} of system {system!r} has a {measure} value in {int(short.iloc[0])} of the {len(draws)} "
                f"draws of {name}; every draw must score the same queries"
            )
        mean = g["value"].mean().reset_index().assign(condition=name)
        if "signature" in sub.columns:
            sigs = sub.groupby("system")["signature"].agg(lambda s: " + ".join(sorted(set(s))))
            label = f"mean of {len(draws)} seeds: "
            mean["signature"] = mean["system"].map(lambda s, sigs=sigs, label=label: label + sigs[s])
        keep.append(mean[[c for c in per_query.columns if c in mean.columns]])
    return pd.concat(keep, ignore_index=True)


def seed_spread(per_query: pd.DataFrame, groups: Mapping[str, list[str]], baseline: str, system: str) -> pd.DataFrame:
    """Per (condition, measure, language | ``all`` macro): the number of draws and the mean, SD, min
    and max over draws of each draw's perturbed gain (system - baseline) and perturbed means."""
    rows = []
    for name, draws in sorted(groups.items()):
        if len(draws) < 2:
            continue
        sub = per_query[per_query["condition"].isin(draws)]
        lang_means = sub.groupby(["measure", "condition", "system", "lang"])["value"].mean()
        macro = lang_means.groupby(["measure", "condition", "system"]).mean()
        table = pd.concat([lang_means.unstack("lang"), macro.rename(ALL)], axis=1)
        for measure, t in table.groupby(level="measure"):
            for lang in t.columns:
                per_draw = t[lang].unstack("system")
                gain = (per_draw[system] - per_draw[baseline]).to_numpy(dtype=np.float64)
                rows.append(
                    {
                        "measure": measure,
                        "condition": name,
                        "lang": lang,
                        "seeds": len(draws),
                        "gain_perturbed_seed_mean": float(gain.mean()),
                        "gain_perturbed_seed_sd": float(gain.std(ddof=1)),
                        "gain_perturbed_seed_min": float(gain.min()),
                        "gain_perturbed_seed_max": float(gain.max()),
                        "baseline_perturbed_seed_sd": float(per_draw[baseline].std(ddof=1)),
                        "system_perturbed_seed_sd": float(per_draw[system].std(ddof=1)),
                    }
                )
    return pd.DataFrame(rows)
