"""Perturbed query sets as ir_datasets entries, created lazily by pattern.

``<query-set ID>/<variant>`` (e.g. ``xqg-bench:mini/dev/ja/typo(kind=keyboard,n=1,seed=13)``)
is a dataset whose docs and qrels *are* its base's (the same handler objects, nothing copied)
and whose queries are the base queries perturbed: same query id, lang and answers, the perturbed
``text`` and the ``original_text``.  Queries of languages the variant does not apply to keep
their text.
"""

import re
from collections.abc import Iterator
from typing import NamedTuple, Tuple  # noqa: UP035 - ir_datasets' exporters recognise typing.Tuple[str, ...] only

from ir_datasets.formats import BaseQueries

from xqg_bench.perturb.families import Perturbation, parse_variant

PATTERN = r"^(xqg-bench:[a-z0-9\-]+/(?:dev|train|test)(?:/[a-z]{2})?)/([a-z]+(?:\(.*\))?)$"

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


def perturb_texts(variant: Perturbation, queries: list[tuple[str, str, str]]) -> list[str]:
    """The perturbed text of each (query id, text, lang); queries of languages the variant does not apply
    to keep their text.  Encoder-aware variants attack the whole set at once (cached)."""
    if hasattr(variant, "attack_cached"):
        attacked = variant.attack_cached(queries)
        return [attacked.get(qid, text) for qid, text, _lang in queries]
    return [variant.apply(text, lang, qid) if variant.applicable(lang) else text for qid, text, lang in queries]


class PerturbedQueries(BaseQueries):
    def __init__(self, base: BaseQueries, variant: Perturbation) -> None:
        self._base = base
        self._variant = variant

    def queries_iter(self) -> Iterator[PerturbedQuery]:
        default_lang = self._base.queries_lang()
        base = list(self._base.queries_iter())
        langs = [getattr(q, "lang", None) or default_lang for q in base]
        texts = perturb_texts(self._variant, [(q.query_id, q.text, lang) for q, lang in zip(base, langs, strict=True)])
        for q, lang, text in zip(base, langs, texts, strict=True):
            yield PerturbedQuery(
                q.query_id, text, lang, tuple(getattr(q, "answers", ())), getattr(q, "qtype", ""), q.text,
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
    if re.fullmatch(r"[a-z]{2,3}", variant_text):  # not a variant (families have longer names): a language code
        raise KeyError(_unknown_language(dataset_id, base_id, variant_text))
    variant = parse_variant(variant_text)
    if variant.spec != variant_text:
        raise KeyError(f"{dataset_id}: write the variant canonically as {variant.spec!r}")
    if base_id not in ir_datasets.registry._registered:
        parent, _slash, code = base_id.rpartition("/")
        if parent in ir_datasets.registry._registered and re.fullmatch(r"[a-z]{2,3}", code):
            raise KeyError(_unknown_language(base_id, parent, code))
        raise KeyError(
            f"{dataset_id}: the query set {base_id!r} is not registered; see `python -m xqg_bench.run datasets`"
        )
    base = ir_datasets.registry[base_id]
    if not base.has_queries():
        raise KeyError(f"{base_id} has no queries to perturb")
    handlers = [base.docs_handler()] if base.has_docs() else []
    handlers.append(PerturbedQueries(base.queries_handler(), variant))
    if base.has_qrels():
        handlers.append(base.qrels_handler())
    return Dataset(*handlers)


# Codes people type for the XOR languages: country codes and ISO 639-2/3 codes.
_LANG_ALIASES = {
    "jp": "ja", "jpn": "ja", "kr": "ko", "kor": "ko", "ara": "ar", "sa": "ar", "ben": "bn", "bd": "bn", "bng": "bn",
    "fin": "fi", "suo": "fi", "rus": "ru", "tel": "te", "in": "te",
}  # fmt: skip


def _unknown_language(dataset_id: str, base_id: str, code: str) -> str:
    """The error for ``<query set>/<code>`` naming the closest registered per-language query set."""
    import difflib

    import ir_datasets

    langs = sorted(i.rsplit("/", 1)[1] for i in ir_datasets.registry._registered if i.startswith(base_id + "/"))
    guess = _LANG_ALIASES.get(code) if _LANG_ALIASES.get(code) in langs else None
    guess = guess or next(iter(difflib.get_close_matches(code, langs, n=1, cutoff=0.5)), None)
    hint = f" (did you mean {base_id + '/' + guess!r}?)" if guess else ""
    have = f"; its languages are {', '.join(langs)}" if langs else ""
    return f"unknown language {code!r} in {dataset_id!r}{hint}{have} (ISO 639-1 codes, e.g. ja, not jp)"


def register(registry) -> None:  # type: ignore[no-untyped-def]
    registry.register_pattern(PATTERN, _initializer)


def split_id(dataset_id: str) -> tuple[str, str] | None:
    m = re.match(PATTERN, dataset_id)
    return (m.group(1), m.group(2)) if m else None


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
