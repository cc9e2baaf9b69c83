"""R@kt: our evaluator vs a straightforward re-implementation of the official per-query loop.

    python benchmarks/rkt_speed.py [--queries 2000] [--depth 100]

Both score the same predictions (passages drawn from the embedded corpus, 100 per query) with the
same answers; the official loop re-tokenises every passage of every ranking, ours tokenises each
distinct passage once.  Prints both timings, the ratio measured in this one run, and checks that
the per-language numbers are identical.
"""

from __future__ import annotations

import argparse
import random
import time

from xqg_bench.datasets.mini_build import build_mini
from xqg_bench.evaluate.rkt import Prediction, _tokens, evaluate_top_k_hit
from xqg_bench.evaluate.tokenize import word_tokenize


def official_loop(results: list[Prediction], gt_answers: dict, max_token_num: int) -> dict:
    """The official evaluate_top_k_hit, written out (nltk.word_tokenize on every passage)."""
    per_lang: dict = {}
    for item in results:
        per_lang.setdefault(item.lang, {"count": 0, "hit": 0})
        if item.id not in gt_answers:
            continue
        span_answers = [a for a in gt_answers[item.id] if a not in ["yes", "no"]]
        if not span_answers:
            continue
        per_lang[item.lang]["count"] += 1
        tokens: list[str] = []
        for ctx_text in item.ctxs:
            tokens += word_tokenize(ctx_text)
            if len(tokens) >= max_token_num:
                break
        joined = " ".join(tokens[:max_token_num])
        if any(a in joined for a in span_answers):
            per_lang[item.lang]["hit"] += 1
    return {k: v for k, v in per_lang.items() if v["count"] > 0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--depth", type=int, default=100)
    ap.add_argument("--budget", type=int, default=5000)
    args = ap.parse_args()
    mini = build_mini()
    rng = random.Random(0)
    texts = [d.text for d in mini.docs]
    base = list(mini.dev)
    preds, gold = [], {}
    for i in range(args.queries):
        q = base[i % len(base)]
        qid = f"{q.query_id}#{i}"
        gold[qid] = list(q.answers)
        preds.append(Prediction(qid, q.lang, rng.sample(texts, args.depth)))
    _tokens.cache_clear()
    t = time.perf_counter()
    theirs = official_loop(preds, gold, args.budget)
    t_official = time.perf_counter() - t
    t = time.perf_counter()
    ours = evaluate_top_k_hit(preds, gold, args.budget)
    t_ours = time.perf_counter() - t
    same = {k: (v["count"], v["hit"]) for k, v in theirs.items()} == {k: (s.count, s.hits) for k, s in ours.items()}
    print(
        f"R@{args.budget}t on {args.queries} queries x {args.depth} passages: official loop {t_official:.2f} s, "
        f"ours {t_ours:.2f} s, speed-up {t_official / t_ours:.1f}x, identical numbers: {same}"
    )
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
