"""XOR-Retrieve's official R@kt (R@2kt, R@5kt), reproduced exactly.

Reference: ``evals/eval_xor_retrieve.py`` of the XOR-TyDi release.  For each *prediction* item
(id, lang, ranked passage texts): skip it when its id has no gold answers; drop answers that are
exactly ``"yes"`` or ``"no"`` and skip it if none remain; otherwise count it for the language
given *by the prediction*; concatenate ``word_tokenize`` of the ranked passages until at least N
tokens, keep the first N, join with single spaces, and score a hit if any remaining answer is a
case-sensitive substring.  Per-language score = 100 * hits / count; the reported number is the
plain mean over languages.  Predictions missing for a gold id simply do not count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from statistics import mean
from typing import NamedTuple

from xqg_bench.core.tokenizer import cached_tokens, joined_tokens
from xqg_bench.datasets.records import span_answers

OFFICIAL_BUDGETS: tuple[int, ...] = (2000, 5000)


def cached_word_tokenize(text: str) -> list[str]:
    """``word_tokenize`` memoised per passage text (passages recur across queries and budgets)."""
    return list(cached_tokens(text))


class Prediction(NamedTuple):
    """One item of the official predictions file: ``{"id", "lang", "ctxs": [text, ...]}``."""

    id: str
    lang: str
    ctxs: Sequence[str]


class LangScore(NamedTuple):
    count: int
    hits: int

    @property
    def score(self) -> float:
        return 100.0 * self.hits / self.count


def budget_string(
    ctxs: Iterable[str], max_tokens: int, tokenize: Callable[[str], list[str]] = cached_word_tokenize
) -> str:
    """The first ``max_tokens`` tokens of the ranked passages, joined with single spaces."""
    if tokenize is cached_word_tokenize:  # the same string, built from each passage's joined tokens
        parts: list[str] = []
        have = 0
        for text in ctxs:
            toks = cached_tokens(text)
            if not toks:
                continue
            if have + len(toks) >= max_tokens:
                parts.append(" ".join(toks[: max_tokens - have]))
                break
            parts.append(joined_tokens(text))
            have += len(toks)
        return " ".join(parts)
    tokens: list[str] = []
    for text in ctxs:
        tokens += tokenize(text)
        if len(tokens) >= max_tokens:
            break
    return " ".join(tokens[:max_tokens])


def query_hit(answers: Iterable[str], ctxs: Iterable[str], max_tokens: int) -> bool | None:
    """Per-query R@kt: True/False, or None when the official script would not count the query."""
    spans = span_answers(answers)
    if not spans:
        return None
    joined = budget_string(ctxs, max_tokens)
    return any(a in joined for a in spans)


def evaluate_top_k_hit(
    predictions: Iterable[Prediction], gold_answers: Mapping[str, Sequence[str]], max_tokens: int
) -> dict[str, LangScore]:
    """Per-language (count, hits), as the official ``evaluate_top_k_hit``."""
    counts: dict[str, list[int]] = {}
    for item in predictions:
        counts.setdefault(item.lang, [0, 0])
        if item.id not in gold_answers:
            continue
        hit = query_hit(gold_answers[item.id], item.ctxs, max_tokens)
        if hit is None:
            continue
        counts[item.lang][0] += 1
        counts[item.lang][1] += int(hit)
    return {lang: LangScore(c, h) for lang, (c, h) in counts.items() if c > 0}


def macro_average(per_lang: Mapping[str, LangScore]) -> float:
    """The official reported number: plain mean of the per-language scores."""
    return mean(s.score for s in per_lang.values())


def rkt_label(max_tokens: int) -> str:
    """``R@2kt`` for 2000, ``R@200t`` for 200 (the name used in tables)."""
    if max_tokens % 1000 == 0:
        return f"R@{max_tokens // 1000}kt"
    return f"R@{max_tokens}t"
