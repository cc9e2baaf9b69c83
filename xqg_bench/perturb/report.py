"""Validity report of a perturbed query set, per language: how many questions the variant applies to
and changed, how many net edits it made against the ``n`` it was asked for, and what it broke
(the classes of ``xqg_bench.perturb.validate``)."""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from xqg_bench.datasets import load_dataset
from xqg_bench.perturb.families import parse_variant
from xqg_bench.perturb.text import graphemes, script_of
from xqg_bench.perturb.validate import introduced, net_edits


class Validity(NamedTuple):
    dataset_id: str
    lang: str
    queries: int
    applicable: int  # questions of a language the variant applies to
    changed: int  # applicable questions whose text changed
    mean_net_edits: float  # grapheme edits (OSA distance), mean over changed questions
    requested: int | None  # the ``n`` asked for (typos), else None
    long_enough: int  # applicable questions with at least 3n places the typo kind can edit
    exact: int  # of those, the ones with exactly n net grapheme edits
    script_preserved: int  # applicable questions whose dominant letter script is unchanged
    invalid: int  # applicable questions with at least one introduced problem
    invalid_by_class: dict[str, int]  # problem class -> questions with it


JAPANESE = frozenset({"HAN", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "HALFWIDTH"})


def dominant_script(text: str) -> str:
    """The most frequent letter script (kanji, hiragana and katakana count as one: Japanese)."""
    scripts = (script_of(g[0]) for g in graphemes(text) if g[0].isalpha())
    counts = Counter("JAPANESE" if s in JAPANESE else s for s in scripts)
    return counts.most_common(1)[0][0] if counts else "NONE"


def is_invalid(text: str, lang: str, original: str) -> bool:
    """Whether ``text`` has a problem ``original`` had not (see ``validate.introduced``)."""
    return bool(introduced(text, original, lang))


def validity_of(dataset_id: str, variant: str, queries: list[tuple[str, str, str]]) -> list[Validity]:
    """Per-language rows for (lang, original, perturbed) triples of one variant."""

    v = parse_variant(variant)
    n = int(v.params["n"]) if v.name == "typo" else None  # type: ignore[arg-type]
    rows = []
    for lang in sorted({lg for lg, _o, _t in queries}):
        qs = [(o, t) for lg, o, t in queries if lg == lang]
        # edits are counted from the text the variant starts from (Russian typos: stress marks removed)
        app = [(v.normalise(o, lang), t) for o, t in qs if v.applicable(lang)]
        changed = [(o, t) for o, t in app if t != o]
        edits = [net_edits(o, t, lang) for o, t in changed]
        long_enough = [(o, t) for o, t in app if n and v.editable(o, lang) >= 3 * n]  # type: ignore[attr-defined]
        exact = sum(net_edits(o, t, lang) == n for o, t in long_enough)
        classes: Counter[str] = Counter()
        bad = 0
        for o, t in changed:
            found = introduced(t, o, lang)
            bad += bool(found)
            classes.update(set(found))
        rows.append(
            Validity(
                dataset_id, lang, len(qs), len(app), len(changed), sum(edits) / len(edits) if edits else 0.0, n,
                len(long_enough), exact, sum(dominant_script(t) == dominant_script(o) for o, t in app), bad,
                dict(sorted(classes.items())),
            )
        )  # fmt: skip
    return rows


def validity(dataset_id: str) -> list[Validity]:
    """Per-language validity rows of a perturbed query set ``<query set>/<variant>``."""

    qs = list(load_dataset(dataset_id).queries_iter())
    if not qs or not hasattr(qs[0], "original_text"):
        raise ValueError(f"{dataset_id} is not a perturbed query set (<query set>/<variant>)")
    return validity_of(dataset_id, qs[0].variant, [(q.lang, q.original_text, q.text) for q in qs])


HEADER = (
    "| variant ID | lang | queries | applicable | changed | net edits (mean) | requested n "
    "| exactly n (long enough) | script preserved | invalid | invalid by class |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
)


def format_row(v: Validity) -> str:
    exact = f"{v.exact}/{v.long_enough}" if v.requested else "-"
    classes = ", ".join(f"{k} {c}" for k, c in v.invalid_by_class.items()) or "-"
    return (
        f"| {v.dataset_id} | {v.lang} | {v.queries} | {v.applicable} | {v.changed} | {v.mean_net_edits:.2f} "
        f"| {v.requested or '-'} | {exact} | {v.script_preserved}/{v.applicable} | {v.invalid} | {classes} |"
    )
