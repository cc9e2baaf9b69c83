"""CLDR data, read in one place from the tables Babel ships: localised names of territories, currencies,
languages and time-zone cities in English and the XOR-TyDi languages, and per territory its currencies
(current and former), languages (official status, population shares) and time zones; and the sentence
templates these names are put into (``cldr_templates.json``).

Used by the embedded benchmark's builder (``mini_build``: ``territories``, ``templates()["mini"]``), the ``cldr``
query generator (``xqg.cldr_generator``: ``gazetteer``, ``templates()["generator"]``) and code-mixing
(``perturb.codemix``: ``gazetteer``).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from xqg_bench.datasets.xor_tydi import LANGS

if TYPE_CHECKING:
    from babel import Locale

# CLDR territory codes that are not territories (unknown region, EU, eurozone, UN, outlying Oceania, pseudo)
NOT_TERRITORIES = ("ZZ", "EU", "EZ", "UN", "QO", "XA", "XB")
TEMPLATES_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cldr_templates.json")


@lru_cache(maxsize=1)
def templates() -> dict:
    """The sentence templates: ``mini`` (passages, questions and continent names of the embedded benchmark) and
    ``generator`` (the queries of the cldr generator)."""
    try:
        with open(TEMPLATES_PATH, encoding="utf-8") as f:
            data = json.load(f)
        data["mini"]["continents"], data["mini"]["passages"], data["mini"]["questions"]  # noqa: B018
        data["generator"]["kinds"], data["generator"]["pair"]  # noqa: B018
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(
            f"{TEMPLATES_PATH}: cannot read the sentence templates ({e!r}); reinstall the package"
        ) from None
    return data


@lru_cache(maxsize=1)
def locales() -> dict[str, Locale]:
    """English and the XOR-TyDi languages, in that order."""
    from babel import Locale

    return {lang: Locale.parse(lang) for lang in ("en", *LANGS)}


def currency_name(code: str, lang: str = "en") -> str:
    import babel.numbers

    return babel.numbers.get_currency_name(code, locale=lang)


def language_name(code: str, lang: str = "en") -> str | None:
    return locales()[lang].languages.get(code)


def city_name(zone: str, lang: str = "en") -> str | None:
    """The exemplar city of a time zone (LookupError for a zone the installed tz database does not know)."""
    import babel.dates

    return babel.dates.get_timezone_location(zone, locale=lang, return_city=True)


class Entity(NamedTuple):
    kind: str
    key: str  # CLDR code (territory, currency, language) or zone (city)
    names: dict[str, str]  # lang -> localised name
    territory: str | None = None  # for cities


@dataclass(frozen=True)
class Territory:
    code: str
    names: dict[str, str]  # lang -> localised name (incl. "en")
    currency: str | None  # current ISO 4217 code
    former: tuple[tuple[str, int, int], ...]  # (code, from_year, to_year), oldest first
    official: tuple[str, ...]  # language codes, official status
    spoken: tuple[tuple[str, float], ...]  # (language code, population percent)
    zones: tuple[str, ...]  # IANA zones
    cities: tuple[str, ...]  # English city names, one per zone, de-duplicated
    city_names: dict[str, dict[str, str]]  # english city -> lang -> localised


@lru_cache(maxsize=1)
def territories() -> tuple[Territory, ...]:
    """Every territory named in English and all XOR-TyDi languages, sorted by territory code."""
    from babel.core import get_global

    locs = locales()
    en = locs["en"]
    zones_by_territory = get_global("territory_zones")
    currencies = get_global("territory_currencies")
    languages = get_global("territory_languages")
    out = []
    for code in sorted(en.territories):
        if not (len(code) == 2 and code.isalpha()):
            continue
        if code in NOT_TERRITORIES:
            continue
        if not all(code in loc.territories for loc in locs.values()):
            continue
        names = {lang: loc.territories[code] for lang, loc in locs.items()}
        history = currencies.get(code, [])
        current = [c for c, _s, end, tender in history if end is None and tender]
        cur = current[-1] if current else None
        former = tuple(
            (c, start[0], end[0])
            for c, start, end, tender in history
            if end is not None and tender and c != cur and start is not None
        )
        langs = languages.get(code, {})
        official = tuple(
            sorted(
                lang for lang, info in langs.items() if info.get("official_status") == "official" and "_" not in lang
            )
        )
        spoken = tuple(
            sorted(
                (
                    (lang, float(info.get("population_percent") or 0.0))
                    for lang, info in langs.items()
                    if "_" not in lang
                ),
                key=lambda x: (-x[1], x[0]),
            )
        )
        zones = tuple(zones_by_territory.get(code, ()))
        cities: list[str] = []
        city_names: dict[str, dict[str, str]] = {}
        for zone in zones:
            city_en = city_name(zone)
            if not city_en or city_en in city_names or "," in city_en:
                continue
            cities.append(city_en)
            city_names[city_en] = {lang: city_name(zone, lang) for lang in LANGS}  # type: ignore[misc]
        out.append(
            Territory(
                code=code,
                names=names,
                currency=cur,
                former=former,
                official=official,
                spoken=spoken,
                zones=zones,
                cities=tuple(cities),
                city_names=city_names,
            )
        )
    return tuple(out)


@lru_cache(maxsize=1)
def gazetteer() -> tuple[dict[str, Entity], re.Pattern[str]]:
    """English name -> entity (territory, currency, language, city), and one regex that finds any of the names
    in English text."""
    from babel.core import get_global

    locs = locales()
    en = locs["en"]
    by_name: dict[str, Entity] = {}

    def add(name: str | None, entity: Entity) -> None:
        if name and len(name) >= 3 and name not in by_name:
            by_name[name] = entity

    for code in sorted(en.territories):
        if len(code) == 2 and code.isalpha() and all(code in loc.territories for loc in locs.values()):
            add(en.territories[code], Entity("territory", code, {lg: locs[lg].territories[code] for lg in LANGS}))
    for code in sorted(get_global("all_currencies")):
        add(currency_name(code), Entity("currency", code, {lg: currency_name(code, lg) for lg in LANGS}))
    for code in sorted(en.languages):
        if "_" in code or not all(code in locs[lg].languages for lg in LANGS):
            continue
        add(en.languages[code], Entity("language", code, {lg: locs[lg].languages[code] for lg in LANGS}))
    for zone, territory in sorted(get_global("zone_territories").items()):
        if not (len(territory) == 2 and territory.isalpha()):
            continue
        try:
            city = city_name(zone)
            names = {lg: city_name(zone, lg) for lg in LANGS}
        except LookupError:  # a CLDR zone the installed tz database does not know
            continue
        if city and "/" not in city and all(n and "/" not in n for n in names.values()):
            add(city, Entity("city", zone, names, territory))  # type: ignore[arg-type]
    alternatives = sorted(by_name, key=lambda s: (-len(s), s))
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(a) for a in alternatives) + r")(?!\w)")
    return by_name, pattern
