"""CLDR names as data: English name -> entity (territory, city, currency, language) with its localised
names in the XOR-TyDi languages, read once from Babel's CLDR tables.

Used by the ``cldr`` query generator (``xqg.cldr_generator``) and by code-mixing (``perturb.codemix``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from xqg_bench.datasets.xor_tydi import LANGS


class Entity(NamedTuple):
    kind: str
    key: str  # CLDR code (territory, currency, language) or zone (city)
    names: dict[str, str]  # lang -> localised name
    territory: str | None = None  # for cities


@lru_cache(maxsize=1)
def gazetteer() -> tuple[dict[str, Entity], re.Pattern[str]]:
    """English name -> entity, and one regex that finds any of the names in English text."""
    import babel.dates
    import babel.numbers
    from babel import Locale
    from babel.core import get_global

    locs = {lang: Locale.parse(lang) for lang in ("en", *LANGS)}
    en = locs["en"]
    by_name: dict[str, Entity] = {}

    def add(name: str | None, entity: Entity) -> None:
        if name and len(name) >= 3 and name not in by_name:
            by_name[name] = entity

    for code in sorted(en.territories):
        if len(code) == 2 and code.isalpha() and all(code in loc.territories for loc in locs.values()):
            add(en.territories[code], Entity("territory", code, {lg: locs[lg].territories[code] for lg in LANGS}))
    for code in sorted(get_global("all_currencies")):
        names = {lg: babel.numbers.get_currency_name(code, locale=lg) for lg in LANGS}
        add(babel.numbers.get_currency_name(code, locale="en"), Entity("currency", code, names))
    for code in sorted(en.languages):
        if "_" in code or not all(code in locs[lg].languages for lg in LANGS):
            continue
        add(en.languages[code], Entity("language", code, {lg: locs[lg].languages[code] for lg in LANGS}))
    for zone, territory in sorted(get_global("zone_territories").items()):
        if not (len(territory) == 2 and territory.isalpha()):
            continue
        try:
            city = babel.dates.get_timezone_location(zone, locale="en", return_city=True)
            names = {lg: babel.dates.get_timezone_location(zone, locale=lg, return_city=True) for lg in LANGS}
        except LookupError:  # a CLDR zone the installed tz database does not know
            continue
        if city and "/" not in city and all(n and "/" not in n for n in names.values()):
            add(city, Entity("city", zone, names, territory))
    alternatives = sorted(by_name, key=lambda s: (-len(s), s))
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(a) for a in alternatives) + r")(?!\w)")
    return by_name, pattern
