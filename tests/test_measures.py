"""One measure list: R@kt names resolve to an ir_measures.define measure parameterised by the token budget, and the
scoring path, the ir-measures form and the official per-language script give the same values."""

import ir_measures
import pytest

from xqg_bench.evaluate.measures import (
    ANSWER_MEASURES,
    RKT,
    AnswerAt,
    QueryInfo,
    counted_query_ids,
    decimals,
    format_value,
    is_percent,
    measure_names,
    parse_measures,
    score_rankings,
    with_budgets,
)
from xqg_bench.evaluate.rkt import Prediction, evaluate_top_k_hit

TEXTS = {"d1": "a b c d .", "d2": "euro f g .", "d3": "yen", "d4": "no"}


def lookup(ids):  # type: ignore[no-untyped-def]
    return [TEXTS[i] for i in ids]


def test_rkt_names_resolve_to_the_declared_family_at_a_budget():
    assert ANSWER_MEASURES == (RKT,)
    r2k, r200, ndcg = parse_measures(["R@2kt", "R@200t", "nDCG@10"])
    assert r2k == AnswerAt(RKT, 2000) and r200 == AnswerAt(RKT, 200)
    assert str(r2k) == "R@2kt" and str(r200) == "R@200t" and str(ndcg) == "nDCG@10"
    assert parse_measures(["R@2000t"]) == [AnswerAt(RKT, 2000)]  # one measure, one canonical name
    assert str(parse_measures(["R@100"])[0]) == "R@100"  # ir-measures recall at rank 100, not R@kt
    # the define'd form is an ir-measures measure named as in tables
    m = r2k.define({"q1": ["euro"]}, lookup)
    assert isinstance(m, ir_measures.Measure) and str(m) == "R@2kt"
    with pytest.raises(ValueError, match=r"unknown measure 'R@2kx'.*R@2kt"):
        parse_measures(["R@2kx"])


def test_table_order_and_number_format_are_declared_once():
    assert measure_names(["nDCG@10", "R@5kt", "NDCG@10", "R@100", "R@200t", "R@5000t"]) == (
        "R@5kt", "R@200t", "nDCG@10", "R@100",
    )  # fmt: skip
    assert with_budgets(["R@100", "nDCG@10"], [200, 2000]) == ("R@200t", "R@2kt", "R@100", "nDCG@10")
    assert is_percent("R@2kt") and is_percent("R@200t") and not is_percent("R@100") and not is_percent("nDCG@10")
    assert (decimals("R@2kt"), decimals("R@2kt", compact=True)) == (2, 2)
    assert (decimals("nDCG@10"), decimals("nDCG@10", compact=True)) == (4, 3)
    assert format_value("R@2kt", 56.666666) == "56.67" and format_value("R@100", 0.93333) == "0.9333"


def test_scoring_path_define_form_and_official_script_agree():
    queries = [
        QueryInfo("q1", "fi", ("euro",)),
        QueryInfo("q2", "ja", ("yen",)),
        QueryInfo("q3", "ja", ("no",)),  # yes/no only: not counted
        QueryInfo("q4", "fi", ("rouble",)),
        QueryInfo("q5", "ko", ("won",)),  # not in the run: not counted
    ]
    rankings = {
        "q1": [("d1", 2.0), ("d2", 1.0)],
        "q2": [("d1", 0.5), ("d3", 0.5)],  # a tie, in the harness order (docid)
        "q3": [("d4", 1.0)],
        "q4": [("d2", 3.0), ("d3", 1.0)],
    }
    qrels = [ir_measures.Qrel("q1", "d2", 1), ir_measures.Qrel("q2", "d3", 1), ir_measures.Qrel("q4", "d9", 1)]
    names = ["R@5t", "R@6t", "R@2kt", "RR@10"]
    df, pairing = score_rankings(rankings, queries, qrels, lookup, names)
    got = {(r.query_id, r.measure): r.value for r in df.itertuples()}
    rkt = {k: v for k, v in got.items() if k[1] != "RR@10"}
    assert rkt == {
        ("q1", "R@5t"): 0.0, ("q1", "R@6t"): 100.0, ("q1", "R@2kt"): 100.0,
        ("q2", "R@5t"): 0.0, ("q2", "R@6t"): 100.0, ("q2", "R@2kt"): 100.0,
        ("q4", "R@5t"): 0.0, ("q4", "R@6t"): 0.0, ("q4", "R@2kt"): 0.0,
    }  # fmt: skip
    assert pairing.rkt_not_counted == 1 and pairing.missing_from_run == 1
    assert got[("q1", "RR@10")] == 0.5 and got[("q2", "RR@10")] == 0.5 and got[("q4", "RR@10")] == 0.0
    # the ir-measures form (ir_measures.define) over the same run, qrels restricted to the counted queries
    answers = {q.query_id: q.answers for q in queries}
    measures = [m.define(answers, lookup) for m in parse_measures(names[:3])]
    counted = [ir_measures.Qrel(q, "d1", 1) for q in sorted(counted_query_ids(answers) & set(rankings))]
    run = {q: dict(r) for q, r in rankings.items()}
    via_ir = {(m.query_id, str(m.measure)): 100.0 * m.value for m in ir_measures.iter_calc(measures, counted, run)}
    assert via_ir == rkt
    # the official per-language script: the same hits
    preds = [Prediction(q.query_id, q.lang, lookup([d for d, _s in rankings[q.query_id]])) for q in queries
             if q.query_id in rankings]  # fmt: skip
    for name, n in (("R@5t", 5), ("R@6t", 6), ("R@2kt", 2000)):
        per_lang = evaluate_top_k_hit(preds, answers, n)
        for lang, score in per_lang.items():
            mine = [v for (q, m), v in rkt.items() if m == name and answers[q] and q in {"q1", "q2", "q4"}
                    and next(x.lang for x in queries if x.query_id == q) == lang]  # fmt: skip
            assert score.count == len(mine) and score.score == sum(mine) / len(mine)


def test_no_qrels_scores_answer_based_measures_only():
    queries = [QueryInfo("q1", "fi", ("euro",))]
    df, _ = score_rankings({"q1": [("d2", 1.0)]}, queries, None, lookup, ["R@2kt", "nDCG@10"])
    assert list(df.measure) == ["R@2kt"] and list(df.value) == [100.0]
