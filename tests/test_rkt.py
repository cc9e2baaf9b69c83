"""R@kt against hand-computed cases covering every quirk of the official eval_xor_retrieve.py."""

import pytest

from xqg_bench.evaluate.rkt import (
    LangScore,
    Prediction,
    budget_string,
    evaluate_top_k_hit,
    macro_average,
    query_hit,
    rkt_label,
)
from xqg_bench.evaluate.tokenize import word_tokenize


def test_word_tokenize_matches_nltk_conventions():
    # Treebank conventions + Punkt sentence splitting (abbreviation "Mr." is not a sentence end)
    assert word_tokenize('Mr. Smith paid $5, didn\'t he? "Yes."') == [
        "Mr.",
        "Smith",
        "paid",
        "$",
        "5",
        ",",
        "did",
        "n't",
        "he",
        "?",
        "``",
        "Yes",
        ".",
        "''",
    ]
    assert word_tokenize("The U.S. Dollar (USD) is used.") == [
        "The",
        "U.S.",
        "Dollar",
        "(",
        "USD",
        ")",
        "is",
        "used",
        ".",
    ]
    # a sentence-final period is split off; a mid-text abbreviation keeps it
    assert word_tokenize("It costs 3.5 euros. Done") == ["It", "costs", "3.5", "euros", ".", "Done"]


def test_punctuation_tokenisation_can_break_an_answer():
    # "d’Ivoire" is split by the tokenizer, so the raw answer never matches the joined string
    ctx = ["The Côte d’Ivoire uses the franc."]
    assert budget_string(ctx, 100) == "The Côte d ’ Ivoire uses the franc ."
    assert query_hit(["Côte d’Ivoire"], ctx, 100) is False
    # ...while an answer written with the tokenizer's spacing of "(USD)" matches
    assert query_hit(["( USD )"], ["Dollar (USD) here."], 100) is True
    assert query_hit(["(USD)"], ["Dollar (USD) here."], 100) is False


def test_substring_inside_a_word_counts_and_case_matters():
    assert query_hit(["Fin"], ["Finland uses the euro."], 100) is True  # substring of a token
    assert query_hit(["finland"], ["Finland uses the euro."], 100) is False  # case-sensitive
    assert query_hit(["uses the"], ["Finland uses the euro."], 100) is True  # spans tokens


def test_yes_no_answers_are_dropped_and_yes_no_only_queries_skipped():
    assert query_hit(["yes"], ["yes yes"], 100) is None
    assert query_hit(["no", "yes"], ["no"], 100) is None
    assert query_hit(["Yes"], ["Yes it is"], 100) is True  # only exact lower-case yes/no are special
    assert query_hit(["yes", "euro"], ["yes"], 100) is False  # yes dropped, euro absent


def test_token_budget_truncates_across_passages():
    p1 = "a b c d ."  # 5 tokens
    p2 = "euro f g ."  # 4 tokens
    assert query_hit(["euro"], [p1, p2], 5) is False  # budget exhausted by p1
    assert query_hit(["euro"], [p1, p2], 6) is True  # first token of p2 fits
    # passages after the one that fills the budget are not even tokenized
    assert budget_string([p1, p2, "never"], 7) == "a b c d . euro f"
    # budget larger than the ranking: everything is used
    assert budget_string([p1], 1000) == "a b c d ."
    # an answer straddling the cut does not count
    assert query_hit(["euro f g"], [p1, p2], 7) is False
    assert query_hit(["euro f"], [p1, p2], 7) is True


def test_evaluate_top_k_hit_per_language_missing_predictions_and_macro_average():
    gold = {"q1": ["euro"], "q2": ["yen"], "q3": ["yes"], "q4": ["rouble"], "q5": ["won"]}
    preds = [
        Prediction("q1", "fi", ["The euro ."]),
        Prediction("q2", "ja", ["The dollar ."]),
        Prediction("q3", "ja", ["yes"]),  # yes/no only: not counted
        Prediction("q4", "fi", ["No rouble here"]),  # language comes from the prediction
        Prediction("zz", "ko", ["won"]),  # not in gold: skipped, ko has no count and is dropped
        # q5 has no prediction: it drops out of the denominator
    ]
    res = evaluate_top_k_hit(preds, gold, 2000)
    assert res == {"fi": LangScore(2, 2), "ja": LangScore(1, 0)}
    assert macro_average(res) == pytest.approx((100.0 + 0.0) / 2)


def test_rkt_labels():
    assert rkt_label(2000) == "R@2kt" and rkt_label(5000) == "R@5kt" and rkt_label(200) == "R@200t"


def test_ir_measures_measure_agrees_with_direct_computation():
    import ir_measures

    from xqg_bench.evaluate.measures import counted_query_ids, rkt_measure

    texts = {"d1": "a b c d .", "d2": "euro f g .", "d3": "yen"}
    answers = {"q1": ["euro"], "q2": ["yen"], "q3": ["no"]}
    run = {"q1": {"d1": 2.0, "d2": 1.0}, "q2": {"d3": 0.5, "d1": 0.5}, "q3": {"d1": 1.0}}
    qrels = [ir_measures.Qrel(q, "d1", 1) for q in run]
    m5 = rkt_measure(5, answers, lambda ids: [texts[i] for i in ids])
    m6 = rkt_measure(6, answers, lambda ids: [texts[i] for i in ids])
    got = {(r.query_id, str(r.measure)): r.value for r in ir_measures.iter_calc([m5, m6], qrels, run)}
    # q2: tie at 0.5 broken by docid: d1 then d3 -> "a b c d . yen"
    want = {("q1", "R@5t"): 0.0, ("q1", "R@6t"): 1.0, ("q2", "R@5t"): 0.0, ("q2", "R@6t"): 1.0}
    # ir-measures fills 0 for every qrels query the measure yields nothing for (q3, yes/no-only)
    assert got == {**want, ("q3", "R@5t"): 0.0, ("q3", "R@6t"): 0.0}
    # restricting qrels to the queries the official script counts reproduces it exactly
    counted = [q for q in qrels if q.query_id in counted_query_ids(answers)]
    got = {(r.query_id, str(r.measure)): r.value for r in ir_measures.iter_calc([m5, m6], counted, run)}
    assert got == want


def test_budget_string_fast_path_equals_token_list_definition():
    """The memoised path (joined passages) gives the official string: tokens concatenated, first N kept."""
    import random

    from xqg_bench.evaluate.tokenize import word_tokenize

    rng = random.Random(7)
    words = ["Paris", "is", "the", "capital", "(", "France", ")", "’s", "1,000", "km.", "don't", "", " "]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randrange(0, 12))) for _ in range(40)]
    for _ in range(300):
        ctxs = rng.sample(texts, rng.randrange(0, 8))
        n = rng.randrange(0, 40)
        tokens: list[str] = []
        for t in ctxs:
            tokens += word_tokenize(t)
            if len(tokens) >= n:
                break
        want = " ".join(tokens[:n])
        assert budget_string(ctxs, n) == want
        assert budget_string(ctxs, n, tokenize=word_tokenize) == want
