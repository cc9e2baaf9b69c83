"""Validity report of a perturbed query set, per language: how many questions the variant applies to
and changed, how many net edits it made against the ``n`` it was asked for, and what it broke
(the classes of ``xqg_bench.perturb.validate``); and the listing and side-by-side examples of
variant IDs (the ``perturb`` command: ``listed_ids``, ``examples``, ``report_rows``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from xqg_bench.datasets import load_dataset
from xqg_bench.datasets.mini import NAME
from xqg_bench.datasets.mini_build import XOR_LANGS
from xqg_bench.datasets.xor_tydi import read_queries
from xqg_bench.perturb.families import parse_variant
from xqg_bench.perturb.registry import DEFAULT_VARIANTS, PerturbedQuery, variant_ids
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


# ------------------------------------------------------------------------------- listing, examples, report


def default_query_sets() -> list[str]:
    """The query sets variants are listed and reported on by default: the embedded dev set, whole and per language."""
    return [f"{NAME}/dev"] + [f"{NAME}/dev/{lang}" for lang in XOR_LANGS]


def variant_specs(variants: Sequence[str] | None = None) -> tuple[str, ...]:
    """The canonical strings of ``variants`` (ValueError naming a bad one); default: the default variants."""
    return tuple(parse_variant(v).spec for v in variants) if variants else DEFAULT_VARIANTS


def listed_ids(query_sets: Sequence[str] | None = None, variants: Sequence[str] | None = None) -> list[str]:
    """Every loadable variant ID: each variant (default: the default ones) of each query set (default:
    :func:`default_query_sets`) whose language it applies to."""
    return variant_ids(list(query_sets or default_query_sets()), variant_specs(variants))


def examples(dataset_id: str, count: int = 8) -> list[PerturbedQuery]:
    """``count`` questions of a variant ID spread evenly over it (original and perturbed text side by side)."""
    queries = list(load_dataset(dataset_id).queries_iter())
    if not queries or not hasattr(queries[0], "original_text"):
        raise ValueError(f"{dataset_id} is not a variant ID; list them with `perturb --list`")
    step = max(1, len(queries) // count)
    return queries[::step][:count]


def format_example(q: PerturbedQuery) -> str:
    return f"{q.query_id} [{q.lang}]\n  original:  {q.original_text}\n  perturbed: {q.text}"


def report_rows(
    ids: Sequence[str] | None = None,
    query_sets: Sequence[str] | None = None,
    variants: Sequence[str] | None = None,
    questions: str | None = None,
) -> Iterator[Validity]:
    """Validity rows, as they are computed (a report over a large query set takes a while): of the variant
    ``ids``; else of every variant of ``query_sets``; else of every variant of each embedded dev language.
    With ``questions`` (an XOR-Retrieve JSONL file): of each variant applied to its questions instead (rows
    of the languages it applies to)."""
    specs = variant_specs(variants)
    if questions:
        qs = list(read_queries(questions, "train"))
        for v in specs:
            p = parse_variant(v)
            out = [
                (q.lang, q.text, p.apply(q.text, q.lang, q.query_id) if p.applicable(q.lang) else q.text) for q in qs
            ]
            yield from (r for r in validity_of(f"{questions}/{v}", v, out) if r.applicable)
        return
    if not ids:
        ids = listed_ids(query_sets, specs)
        if not query_sets:  # per language only (the whole dev set repeats them)
            ids = [i for i in ids if i.startswith(f"{NAME}/dev/") and i.count("/") == 3]
    for ds_id in ids:
        yield from validity(ds_id)
