"""Ranking stability: KTU and RBO against repro_eval's definitions, summaries with CIs."""

import random

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau

from xqg_bench.statistics.robustness import robustness_table, stability_table
from xqg_bench.statistics.stability import ktau_union, rbo, stability_per_query, stability_summary, with_stability


def _repro_eval_ktu(orig, rep):  # repro_eval.measure.document_order._ktau_union, one topic
    union = sorted(set(orig + rep))
    return kendalltau([union.index(d) for d in orig], [union.index(d) for d in rep]).correlation


def _repro_eval_rbo(run, ideal, p, depth):  # repro_eval.measure.document_order._rbo (the default, misinfo=True)
    run_set, ideal_set, score, norm, weight = set(), set(), 0.0, 0.0, 1.0
    for i in range(depth):
        if i < len(run):
            run_set.add(run[i])
        if i < len(ideal):
            ideal_set.add(ideal[i])
        score += weight * len(ideal_set & run_set) / (i + 1)
        norm += weight
        weight *= p
    return score / norm


def test_ktu_and_rbo_equal_repro_evals_definitions():
    rng = random.Random(0)
    docs = [f"d{i:03d}" for i in range(300)]
    for _ in range(40):
        a = rng.sample(docs, 50)
        b = rng.sample(sorted(set(a[:30]) | set(docs[100:200])), 50)
        assert ktau_union(a, b) == pytest.approx(_repro_eval_ktu(a, b), abs=1e-12)
        assert rbo(a, b, 0.8, 50) == pytest.approx(_repro_eval_rbo(b, a, 0.8, 50), abs=1e-12)
    assert ktau_union(a, a) == rbo(a, a) == 1.0
    assert rbo(a, [d for d in docs if d not in a][:50]) == 0.0


def test_stability_per_condition_and_language_joins_the_robustness_rows():
    rng = np.random.default_rng(1)
    langs = {f"{lang}{i}": lang for lang in ("ja", "ko") for i in range(20)}
    docs = [f"d{i:03d}" for i in range(100)]

    def ranking(perm):
        return [(docs[j], float(100 - r)) for r, j in enumerate(perm)]

    clean = {q: ranking(rng.permutation(100)[:30]) for q in langs}
    same = {q: list(v) for q, v in clean.items()}
    noisy = {q: ranking(rng.permutation(100)[:30]) for q in langs}
    stab = stability_per_query({"baseline": clean, "xqg": clean}, {"p": {"baseline": same, "xqg": noisy}}, langs, 30)
    assert set(stab.measure) == {"KTU@30", "RBO(p=0.8)"} and len(stab) == 2 * 2 * 40
    summary = stability_summary(stab, samples=500, seed=1).set_index(["system", "measure", "lang"])
    assert summary.loc[("baseline", "RBO(p=0.8)", "all"), "mean"] == pytest.approx(1.0, abs=1e-12)
    assert summary.loc[("xqg", "RBO(p=0.8)", "all"), "ci_high"] < 0.5
    rows = [(s, c, q, lang, "nDCG@10", rng.random()) for s in ("baseline", "xqg") for c in ("clean", "p")
            for q, lang in langs.items()]  # fmt: skip
    per_query = pd.DataFrame(rows, columns=["system", "condition", "query_id", "lang", "measure", "value"])
    rob = with_stability(
        robustness_table(per_query, "baseline", "xqg", samples=500), summary.reset_index(), "baseline", "xqg"
    )
    assert np.allclose(rob.rbo_baseline, 1.0) and (rob.ktu_system < 0.5).all() and len(rob) == 3
    assert list(stability_table(rob).lang) == ["ja", "ko", "all"]


def test_array_form_equals_the_reference_definitions_exactly():
    """ranking_stability computes KTU and RBO on arrays; the values are those of ktau_union and rbo."""
    import random

    from xqg_bench.statistics.stability import _pair

    rng = random.Random(11)
    pool = [f"doc{i}" for i in range(60)] + ["Z", "a", "ä", "日本"]
    for _ in range(400):
        k = rng.randrange(0, 25)
        a, b = rng.sample(pool, k), rng.sample(pool, k)
        if rng.random() < 0.3:
            head = a[: k // 2]  # the same documents, the top half reordered
            rng.shuffle(head)
            b = head + a[k // 2 :]
        ktu, overlap = _pair(a, b, 0.8)
        want_ktu, want_rbo = ktau_union(a, b, k), rbo(a, b, 0.8, k)
        assert (ktu == want_ktu) or (np.isnan(ktu) and np.isnan(want_ktu))
        assert (overlap == want_rbo) or (np.isnan(overlap) and np.isnan(want_rbo))
