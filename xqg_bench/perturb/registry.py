"""Perturbed query sets as ir_datasets entries, created lazily by pattern.

``<query-set ID>/<variant>`` (e.g. ``xqg-bench:mini/dev/ja/typo(kind=keyboard,n=1,seed=13)``) is a
dataset whose docs and qrels *are* its base's (the same handler objects, nothing copied) and whose
queries are the base queries perturbed: same query id, lang and answers, the perturbed ``text`` and
the ``original_text``.  Queries of languages the variant does not apply to keep their text.

The base is any ID ir_datasets' registry resolves — a registered ID of any package, an ID one of
its patterns builds (``xqg-bench:xor-tydi-sub(pool=1000,seed=0)/dev/ja``) or another variant — looked
up with ``ir_datasets.registry[...]``, the registry's public interface.  A query's language is its
``lang`` field, else the one its dataset declares for all its queries (``queries_lang()``); a query
set that says neither is refused with that fix (``query_lang``).
"""

import re
from collections.abc import Iterator
from typing import NamedTuple, Tuple  # noqa: UP035 - ir_datasets' exporters recognise typing.Tuple[str, ...] only

from ir_datasets.formats import BaseQueries

from xqg_bench.datasets import resolves, unknown_id_message
from xqg_bench.perturb.families import Perturbation, family_names, parse_variant

# The default variants: a typo severity sweep and the non-typo families (seed 13).
DEFAULT_VARIANTS: tuple[str, ...] = (
    "typo(kind=keyboard,n=1,seed=13)",
    "typo(kind=keyboard,n=2,seed=13)",
    "typo(kind=keyboard,n=3,seed=13)",
    "typo(kind=insert,n=1,seed=13)",
    "typo(kind=delete,n=1,seed=13)",
    "typo(kind=substitute,n=1,seed=13)",
    "typo(kind=swap,n=1,seed=13)",
    "layout(rate=1.0,seed=13)",
    "script(kind=nfd,rate=1.0,seed=13)",
    "script(kind=alef,rate=1.0,seed=13)",
    "script(kind=diacritics,rate=0.5,seed=13)",
    "script(kind=tatweel,rate=0.3,seed=13)",
    "script(kind=zwj,rate=1.0,seed=13)",
    "script(kind=kana,rate=1.0,seed=13)",
    "script(kind=halfwidth,rate=1.0,seed=13)",
    "script(kind=jamo,rate=1.0,seed=13)",
    "romanize(rate=1.0,seed=13)",
    "word(kind=drop,n=1,seed=13)",
    "word(kind=swap,n=1,seed=13)",
    "word(kind=dup,n=1,seed=13)",
    "codemix(rate=1.0,seed=13)",
    "codemix(lexicon=parallel,rate=1.0,seed=13)",
    "codemix(lexicon=both,rate=1.0,seed=13)",
)


class PerturbedQuery(NamedTuple):
    query_id: str
    text: str
    lang: str
    answers: Tuple[str, ...]  # noqa: UP006
    qtype: str
    original_text: str
    variant: str

    def default_text(self) -> str:
        return self.text


def query_lang(query: object, handler: BaseQueries, dataset_id: str) -> str:
    """A query's language: its ``lang`` field, else the language its dataset declares for all its queries
    (ir_datasets' ``queries_lang()``, as Mr. TyDi's per-language sets do); ValueError when neither says."""
    lang = getattr(query, "lang", None) or handler.queries_lang()
    if not lang:
        raise ValueError(
            f"{dataset_id}: query {query.query_id} has no language (variants and XOR-Retrieve's scores are per "  # type: ignore[attr-defined]
            "language); give its queries a `lang` field, or declare one language for the whole set with the "
            "queries handler's queries_lang() (e.g. TsvQueries(..., lang='ja')), as ir_datasets' own datasets do"
        )
    return str(lang)


def query_answers(query: object) -> tuple[str, ...]:
    """A query's answer strings (none when it has no ``answers`` field; one answer given as a string is one)."""
    answers = getattr(query, "answers", ())
    return (answers,) if isinstance(answers, str) else tuple(answers)


def perturb_texts(variant: Perturbation, queries: list[tuple[str, str, str]]) -> list[str]:
    """The perturbed text of each (query id, text, lang); queries of languages the variant does not apply
    to keep their text.  Encoder-aware variants attack the whole set at once (cached)."""
    if hasattr(variant, "attack_cached"):
        attacked = variant.attack_cached(queries)
        return [attacked.get(qid, text) for qid, text, _lang in queries]
    return [variant.apply(text, lang, qid) if variant.applicable(lang) else text for qid, text, lang in queries]


class PerturbedQueries(BaseQueries):
    def __init__(self, base: BaseQueries, variant: Perturbation, base_id: str = "") -> None:
        self._base = base
        self._variant = variant
        self._base_id = base_id

    def queries_iter(self) -> Iterator[PerturbedQuery]:
        base = list(self._base.queries_iter())
        langs = [query_lang(q, self._base, self._base_id) for q in base]
        texts = perturb_texts(self._variant, [(q.query_id, q.text, lang) for q, lang in zip(base, langs, strict=True)])
        for q, lang, text in zip(base, langs, texts, strict=True):
            yield PerturbedQuery(
                q.query_id, text, lang, query_answers(q), getattr(q, "qtype", ""), q.text,
                self._variant.spec,
            )  # fmt: skip

    def queries_cls(self) -> type:
        return PerturbedQuery

    def queries_namespace(self) -> str | None:
        return self._base.queries_namespace()

    def queries_lang(self) -> str | None:
        return self._base.queries_lang()


def _initializer(dataset_id: str, groups: tuple[str, ...]):  # type: ignore[no-untyped-def]
    import ir_datasets
    from ir_datasets.datasets.base import Dataset

    base_id, variant_text = groups
    variant = parse_variant(variant_text)  # ValueError naming an unknown family, option or value
    if variant.spec != variant_text:
        raise KeyError(f"{dataset_id}: write the variant canonically as {variant.spec!r}")
    try:
        base = ir_datasets.registry[base_id]  # registered IDs and every pattern (variants of variants too)
    except KeyError as e:
        raise KeyError(f"{dataset_id}: {unknown_id_message(base_id, e)}") from None
    if not base.has_queries():
        raise KeyError(f"{dataset_id}: {base_id} has no queries to perturb; give a query set (docs and queries)")
    handlers = [base.docs_handler()] if base.has_docs() else []
    handlers.append(PerturbedQueries(base.queries_handler(), variant, base_id))
    if base.has_qrels():
        handlers.append(base.qrels_handler())
    return Dataset(*handlers)


def pattern() -> str:
    """``(<base ID>)/(<variant>)``: the last ``/`` followed by a variant family's name (the base may hold
    ``/`` and parentheses, e.g. ``xqg-bench:xor-tydi-sub(pool=1000,seed=0)/dev/ja``, or be a variant)."""
    names = "|".join(sorted(family_names(), key=lambda n: (-len(n), n)))
    return rf"^(.+)/((?:{names})(?:\(.*\))?)$"


def register(registry) -> None:  # type: ignore[no-untyped-def]
    registry.register_pattern(pattern(), _initializer)


def unknown_variant(dataset_id: str) -> str | None:
    """Why ``<query set>/<family>(...)`` names no variant, when its query set resolves: an unknown family
    or option, with its own did-you-mean (``datasets.unknown_id_message`` asks; None otherwise)."""
    parent, _slash, last = dataset_id.rpartition("/")
    if parent and re.fullmatch(r"[a-z][a-z0-9_\-]*\(.*\)", last, flags=re.S) and resolves(parent):
        try:
            parse_variant(last)
        except ValueError as e:
            return f"{dataset_id}: {e}"
    return None


def variant_ids(base_ids: list[str], variants: tuple[str, ...] = DEFAULT_VARIANTS) -> list[str]:
    """Every loadable (query set, variant) ID where the variant applies to the set's language(s)."""
    out = []
    for base in base_ids:
        lang = base.rsplit("/", 1)[-1] if re.search(r"/[a-z]{2}$", base) else None
        for v in variants:
            p = parse_variant(v)
            if lang is None or p.applicable(lang):
                out.append(f"{base}/{p.spec}")
    return out
