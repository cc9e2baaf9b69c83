"""An offline stand-in for the mT5 xQG generator: target-language queries from CLDR names.

It reads a passage, finds the CLDR entities it mentions by their English names (territories,
cities, currencies, languages), and writes short queries about them in each target language with
the *localised* CLDR names and query templates that differ from the test questions' templates.
No neural model: it demonstrates the augmentation path offline.  It is not mT5 and its queries are
not what mT5 would write; numbers with it say nothing about the released generator.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.datasets.cldr import Entity, gazetteer, templates
from xqg_bench.xqg import XQG_LANGS
from xqg_bench.xqg.base import GeneratedQueries, QueryGenerator, passage_seed


def mentioned_entities(text: str) -> list[Entity]:
    """Entities in order of first mention (longest name wins at a position)."""
    by_name, pattern = gazetteer()
    seen: dict[tuple[str, str], Entity] = {}
    for m in pattern.finditer(text):
        e = by_name[m.group(1)]
        seen.setdefault((e.kind, e.key), e)
    return list(seen.values())


def candidate_queries(entities: Sequence[Entity], lang: str) -> list[str]:
    """Queries about the entities with the generator's templates (``cldr_templates.json``: per entity kind and
    language, none of them a test-question template; a city with the territory it is in)."""
    kinds, pair = templates()["generator"]["kinds"], templates()["generator"]["pair"]
    out: list[str] = []
    territories = {e.key: e for e in entities if e.kind == "territory"}
    for e in entities:
        for template in kinds[e.kind][lang]:
            out.append(template.format(x=e.names[lang]))
        if e.kind == "city" and e.territory in territories:
            out.append(pair.format(city=e.names[lang], territory=territories[e.territory].names[lang]))
    return list(dict.fromkeys(out))  # de-duplicated, order kept


class CldrGenerator(QueryGenerator):
    spec = "cldr(version=1)"

    def generate(self, docs: Sequence[DprW100Doc], langs: Sequence[str], n: int, seed: int) -> list[GeneratedQueries]:
        out = []
        for doc in docs:
            entities = mentioned_entities(f"{doc.title}. {doc.text}")
            per_lang: GeneratedQueries = {}
            for lang in langs:
                if lang not in XQG_LANGS:
                    raise ValueError(f"the cldr generator writes {XQG_LANGS}, not {lang!r}")
                cands = candidate_queries(entities, lang)
                rng = random.Random(passage_seed(seed, doc.doc_id, self.spec, lang))
                per_lang[lang] = rng.sample(cands, min(n, len(cands)))
            out.append(per_lang)
        return out
