"""Build the embedded cross-lingual benchmark ``xqg-bench:mini`` from Unicode CLDR data.

Everything here is derived deterministically from the CLDR tables that ``babel`` ships:
territory names, currencies (current and historical), official and spoken languages with
population shares, and time-zone exemplar cities, each localised in English and in the seven
XOR-TyDi languages.  The corpus is English (like XOR-Retrieve's English Wikipedia); questions
are written in ar, bn, fi, ja, ko, ru, te with the *localised* entity names; answers are the
English strings that occur in the gold passages.

This is a small, synthetic stand-in for XOR-TyDi that runs offline in minutes.  It is *not*
XOR-TyDi: numbers on it are not comparable with published XOR-Retrieve numbers.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.datasets.records import XorQuery
from xqg_bench.tokenizer import joined_tokens

MINI_VERSION = "1"
XOR_LANGS: tuple[str, ...] = ("ar", "bn", "fi", "ja", "ko", "ru", "te")
DEV_PER_TYPE = 12  # dev questions per question type per language
TRAIN_PER_LANG = 200  # cap on train questions per language
MAX_CITIES = 8  # cities listed in a "places" passage
MIN_WORDS, MAX_WORDS = 60, 120  # passage length, like the 100-word chunks of XOR-TyDi's corpus


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


def _stable_hash(*parts: str) -> int:
    """A process-independent hash (never Python's salted ``hash``)."""
    h = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(h[:8], "big")


def _pick(options: list[str] | tuple[str, ...], *key: str) -> str:
    return options[_stable_hash(*key) % len(options)]


def _join_en(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + f" and {items[-1]}"


@lru_cache(maxsize=1)
def load_territories() -> tuple[Territory, ...]:
    """Read CLDR (via babel) into Territory records, sorted by territory code."""
    import babel.dates
    import babel.numbers
    from babel import Locale
    from babel.core import get_global

    locales = {lang: Locale.parse(lang) for lang in ("en",) + XOR_LANGS}
    en = locales["en"]
    zones_by_territory = get_global("territory_zones")
    currencies = get_global("territory_currencies")
    languages = get_global("territory_languages")
    out = []
    for code in sorted(en.territories):
        if not (len(code) == 2 and code.isalpha()):
            continue
        if code in ("ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"):
            continue
        if not all(code in loc.territories for loc in locales.values()):
            continue
        names = {lang: loc.territories[code] for lang, loc in locales.items()}
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
            city_en = babel.dates.get_timezone_location(zone, locale="en", return_city=True)
            if not city_en or city_en in city_names or "," in city_en:
                continue
            loc_names = {
                lang: babel.dates.get_timezone_location(zone, locale=lang, return_city=True) for lang in XOR_LANGS
            }
            cities.append(city_en)
            city_names[city_en] = loc_names
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


def _currency_name(code: str, lang: str = "en") -> str:
    import babel.numbers

    return babel.numbers.get_currency_name(code, locale=lang)


def _language_name(code: str, lang: str = "en") -> str | None:
    from babel import Locale

    return Locale.parse(lang).languages.get(code)


def _continent(zones: tuple[str, ...]) -> str | None:
    names = {
        "Africa": "Africa",
        "America": "the Americas",
        "Antarctica": "Antarctica",
        "Asia": "Asia",
        "Atlantic": "the Atlantic Ocean",
        "Australia": "Oceania",
        "Europe": "Europe",
        "Indian": "the Indian Ocean",
        "Pacific": "the Pacific Ocean",
    }
    for zone in zones:
        head = zone.split("/")[0]
        if head in names:
            return names[head]
    return None


# ---------------------------------------------------------------------------------------------
# Passages


def _money_passage(t: Territory, users: dict[str, list[str]]) -> DprW100Doc | None:
    if t.currency is None:
        return None
    name = t.names["en"]
    cur = _currency_name(t.currency)
    key = (t.code, "money")
    s = [
        _pick(
            [
                f"The official currency of {name} is the {cur} (ISO 4217 code {t.currency}).",
                f"{name} uses the {cur}, whose ISO 4217 code is {t.currency}, as its legal tender.",
                f"Legal tender in {name} is the {cur}, abbreviated {t.currency} in international trade.",
            ],
            *key,
            "open",
        )
    ]
    if t.cities:
        s.append(
            _pick(
                [
                    f"Shops and banks in {t.cities[0]} quote prices in the {cur}.",
                    f"In {t.cities[0]}, wages, rents and taxes are paid in the {cur}.",
                    f"Prices in {t.cities[0]} are displayed in the {cur}.",
                ],
                *key,
                "city",
            )
        )
    if t.former:
        parts = [f"the {_currency_name(c)} ({c}) from {a} to {b}" for c, a, b in t.former[-3:]]
        s.append(f"Before the {cur}, the territory used {_join_en(parts)}.")
    else:
        s.append(
            _pick(
                [
                    f"CLDR records no earlier legal tender for {name} before the {cur}.",
                    f"No predecessor currency is recorded for {name}; the {cur} has been used throughout.",
                ],
                *key,
                "noformer",
            )
        )
    others = [u for u in users.get(t.currency, []) if u != name]
    if others:
        shown = others[:4]
        more = len(others) - len(shown)
        tail = f" and {more} other territories" if more > 0 else ""
        s.append(f"The {cur} is also used in {', '.join(shown)}{tail}.")
    else:
        s.append(f"No other territory uses the {cur}, which is issued for {name} alone.")
    s.append(
        _pick(
            [
                "Coins and banknotes are issued by the national monetary authority, and the exchange rate "
                "is monitored by international markets.",
                "Monetary policy, including interest rates and the supply of banknotes and coins, is set "
                "by the responsible central bank.",
                "Exchange offices and commercial banks convert foreign money at published daily rates, and "
                "card payments are widely accepted.",
            ],
            *key,
            "fill1",
        )
    )
    s.append(
        _pick(
            [
                "Historical changes of currency usually followed political events such as independence, "
                "monetary unions or periods of high inflation.",
                "Like many economies, it has seen redenominations and reforms of its money over the "
                "last two centuries.",
                "Travellers are advised to carry some cash, since smaller merchants may not accept cards.",
            ],
            *key,
            "fill2",
        )
    )
    return DprW100Doc(f"{t.code}-money", " ".join(s), f"Economy of {name}")


def _people_passage(t: Territory, official_count: dict[str, int]) -> DprW100Doc | None:
    name = t.names["en"]
    key = (t.code, "people")
    official = [(c, n) for c, n in ((c, _language_name(c)) for c in t.official) if n]
    off = [n for _c, n in official]
    spoken = [(n, p) for n, p in ((_language_name(c), p) for c, p in t.spoken) if n and p > 0][:5]
    if not off and not spoken:
        return None
    s = []
    if off:
        verb = "is the official language" if len(off) == 1 else "are the official languages"
        s.append(f"{_join_en(off)} {verb} of {name}.")
    else:
        s.append(f"{name} has no official language recorded in CLDR.")
    if spoken:
        shares = [f"{n} by about {p:g}%" for n, p in spoken]
        s.append(f"Estimates of the share of the population speaking each language are: {_join_en(shares)}.")
    s.append(
        _pick(
            [
                "Official languages are used in government, courts and public education, while other languages "
                "are common in homes, markets and local media.",
                "School instruction, official documents and national broadcasting mostly use the official "
                "languages, though many residents are multilingual.",
                "Language policy has shifted over time with migration, trade and education, and many people speak "
                "more than one language in daily life.",
            ],
            *key,
            "fill1",
        )
    )
    s.append(
        _pick(
            [
                "Census figures differ between sources, and the percentages overlap because bilingual speakers "
                "are counted once for each language they speak.",
                "The figures count first and second language speakers together, so they may add up to more than "
                "one hundred percent.",
                "Such estimates come from censuses and surveys and are rounded; speakers of several languages are "
                "counted more than once.",
            ],
            *key,
            "fill2",
        )
    )
    if t.cities and off:
        s.append(f"In {t.cities[0]}, public signs and official business use {_join_en(off)}.")
    rare = [n for c, n in official if official_count.get(c, 0) <= 2]
    if rare:
        verb = "has" if len(rare) == 1 else "have"
        s.append(f"Outside {name}, {_join_en(rare)} {verb} official status in few or no other territories.")
    s.append(
        _pick(
            [
                "Sign languages and minority languages are also used by smaller communities.",
                "Regional dialects vary in vocabulary and pronunciation across the territory.",
                "Loanwords from trade languages are common in everyday speech.",
            ],
            *key,
            "fill3",
        )
    )
    if len(" ".join(s).split()) > MAX_WORDS:
        s.pop()  # the last filler sentence
    return DprW100Doc(f"{t.code}-people", " ".join(s), f"Languages of {name}")


def _places_passage(t: Territory) -> DprW100Doc | None:
    if not t.cities:
        return None
    name = t.names["en"]
    key = (t.code, "places")
    cont = _continent(t.zones)
    cities = list(t.cities[:MAX_CITIES])
    s = []
    if cont:
        s.append(
            _pick(
                [f"{name} is a territory in {cont}.", f"{name} lies in {cont}.", f"{name} is located in {cont}."],
                *key,
                "open",
            )
        )
    if len(cities) == 1:
        s.append(f"Its reference city for timekeeping is {cities[0]}, which gives its name to the local time zone.")
    else:
        s.append(
            f"Cities used as references for its time zones include {_join_en(cities)}, "
            f"so {name} spans {len(t.zones)} time zones."
        )
    s.append(
        _pick(
            [
                f"Local time in {cities[0]} follows the zone {t.zones[0]} of the IANA time zone database.",
                f"The IANA time zone database lists {cities[0]} under the identifier {t.zones[0]}.",
            ],
            *key,
            "zone",
        )
    )
    s.append(
        _pick(
            [
                "Transport links connect the main cities by road and air, and the larger ports handle regional trade.",
                "Population is concentrated in and around the main urban centres, while rural areas "
                "are more sparsely settled.",
                "The climate varies with altitude and distance from the sea, which shapes where people live "
                "and how they farm.",
            ],
            *key,
            "fill1",
        )
    )
    s.append(
        _pick(
            [
                "Daylight saving time rules have changed several times, following decisions of the local government.",
                "Clocks in the territory are set by the local authorities, who may adopt or abandon "
                "daylight saving time.",
                "Time zone boundaries often follow administrative borders rather than exact meridians.",
            ],
            *key,
            "fill2",
        )
    )
    s.append(
        _pick(
            [
                "Tourism, services and public administration employ much of the urban workforce.",
                "Historic districts, markets and museums attract visitors to the older quarters.",
                "Universities and hospitals are concentrated in the largest cities.",
            ],
            *key,
            "fill3",
        )
    )
    return DprW100Doc(f"{t.code}-places", " ".join(s), f"Geography of {name}")


def _currency_passage(code: str, user_names: list[str], former_users: list[str]) -> DprW100Doc:
    cur = _currency_name(code)
    key = (code, "currency")
    s = [
        f"The {cur} is a currency with the ISO 4217 code {code}.",
        _pick(
            [
                f"Prices, wages and public accounts are expressed in the {cur} wherever it is legal tender.",
                f"Where the {cur} circulates, banks hold deposits and grant loans denominated in it.",
            ],
            *key,
            "open",
        ),
    ]
    if user_names:
        verb = "territory" if len(user_names) == 1 else "territories"
        s.append(f"It is legal tender in {len(user_names)} {verb}.")
    if former_users:
        s.append(f"It was formerly used in {len(former_users)} other territories before being replaced.")
    s.append(
        _pick(
            [
                "Its banknotes and coins carry portraits, landmarks and national symbols, and they are "
                "redesigned from time to time to deter counterfeiting.",
                "The currency is divided into smaller units for coins, although low-value coins are "
                "rarely used in practice.",
                "Its value against other currencies is determined by markets or by a fixed peg, depending on "
                "the policy of the issuing authority.",
            ],
            *key,
            "fill1",
        )
    )
    s.append(
        _pick(
            [
                "Currency codes of ISO 4217 use two letters for the country and a third letter for the "
                "unit, a convention adopted by banks worldwide.",
                "International payments refer to the currency by its three-letter code, which the ISO 4217 "
                "standard assigns.",
                "Financial markets publish its exchange rates daily against the major reserve currencies.",
            ],
            *key,
            "fill2",
        )
    )
    s.append(
        _pick(
            [
                "Collectors value older issues, especially commemorative coins and notes with printing errors.",
                "Inflation has at times eroded its purchasing power, prompting new denominations.",
                "Electronic payments now account for a growing share of transactions in it.",
            ],
            *key,
            "fill3",
        )
    )
    return DprW100Doc(f"currency-{code}", " ".join(s), cur)


def build_docs() -> tuple[DprW100Doc, ...]:
    terrs = load_territories()
    users: dict[str, list[str]] = defaultdict(list)
    former_users: dict[str, list[str]] = defaultdict(list)
    official_count: dict[str, int] = defaultdict(int)
    for t in terrs:
        if t.currency:
            users[t.currency].append(t.names["en"])
        for c, _a, _b in t.former:
            former_users[c].append(t.names["en"])
        for lang in t.official:
            official_count[lang] += 1
    docs: list[DprW100Doc] = []
    for t in terrs:
        for doc in (_money_passage(t, users), _people_passage(t, official_count), _places_passage(t)):
            if doc is not None:
                docs.append(doc)
    for code in sorted(users):
        docs.append(_currency_passage(code, users[code], former_users.get(code, [])))
    return tuple(docs)


# ---------------------------------------------------------------------------------------------
# Questions

# Per-language question templates.  {city}, {country}, {currency} are localised CLDR names.
TEMPLATES: dict[str, dict[str, str]] = {
    "city_country": {
        "ar": "في أي دولة تقع مدينة {city}؟",
        "bn": "{city} শহরটি কোন দেশে অবস্থিত?",
        "fi": "Missä maassa sijaitsee kaupunki {city}?",
        "ja": "{city}はどこの国にある都市ですか？",
        "ko": "{city}은(는) 어느 나라에 있는 도시입니까?",
        "ru": "В какой стране находится город {city}?",
        "te": "{city} నగరం ఏ దేశంలో ఉంది?",
    },
    "city_currency": {
        "ar": "ما العملة المستخدمة في مدينة {city}؟",
        "bn": "{city} শহরে কোন মুদ্রা ব্যবহৃত হয়?",
        "fi": "Mitä valuuttaa käytetään kaupungissa {city}?",
        "ja": "{city}ではどの通貨が使われていますか？",
        "ko": "{city}에서는 어떤 통화를 사용합니까?",
        "ru": "Какая валюта используется в городе {city}?",
        "te": "{city} నగరంలో ఏ కరెన్సీ వాడతారు?",
    },
    "city_former_currency": {
        "ar": "ما العملة التي كانت مستخدمة في مدينة {city} قبل {currency}؟",
        "bn": "{currency} চালুর আগে {city} শহরে কোন মুদ্রা ব্যবহৃত হত?",
        "fi": "Mikä valuutta oli käytössä kaupungissa {city} ennen valuuttaa {currency}?",
        "ja": "{city}で{currency}の前に使われていた通貨は何ですか？",
        "ko": "{city}에서 {currency} 이전에 사용된 통화는 무엇입니까?",
        "ru": "Какая валюта использовалась в городе {city} до валюты «{currency}»?",
        "te": "{currency} కంటే ముందు {city} నగరంలో ఏ కరెన్సీ వాడేవారు?",
    },
    "city_language": {
        "ar": "ما هي اللغة الرسمية في مدينة {city}؟",
        "bn": "{city} শহরের সরকারি ভাষা কী?",
        "fi": "Mikä on virallinen kieli kaupungissa {city}?",
        "ja": "{city}の公用語は何ですか？",
        "ko": "{city}의 공용어는 무엇입니까?",
        "ru": "Какой язык является официальным в городе {city}?",
        "te": "{city} నగరంలో అధికార భాష ఏది?",
    },
    "currency_country": {
        "ar": "أي دولة عملتها {currency}؟",
        "bn": "কোন দেশের মুদ্রা {currency}?",
        "fi": "Minkä maan valuutta on {currency}?",
        "ja": "{currency}を通貨としている国はどこですか？",
        "ko": "통화가 {currency}인 나라는 어디입니까?",
        "ru": "{currency} — валюта какой страны?",
        "te": "{currency} ఏ దేశపు కరెన్సీ?",
    },
}
QUESTION_TYPES: tuple[str, ...] = tuple(TEMPLATES)


class _Candidate(NamedTuple):
    qtype: str
    subject: str  # stable subject key (e.g. territory code + city)
    fields: dict[str, str]
    answers: tuple[str, ...]
    gold: tuple[str, ...]


def _candidates(lang: str, terrs: tuple[Territory, ...], doc_ids: set[str]) -> list[_Candidate]:
    """Every question that can be asked in ``lang``; answers are English CLDR names."""
    out: list[_Candidate] = []
    cur_users: dict[str, int] = defaultdict(int)
    official_count: dict[str, int] = defaultdict(int)
    city_owner: dict[str, set[str]] = defaultdict(set)
    for t in terrs:
        if t.currency:
            cur_users[t.currency] += 1
        for lg in t.official:
            official_count[lg] += 1
        for c in t.cities:
            city_owner[t.city_names[c][lang]].add(t.code)
    for t in terrs:
        country_loc = t.names[lang]
        if country_loc == t.code:
            continue
        money, people, places = f"{t.code}-money", f"{t.code}-people", f"{t.code}-places"
        cur_en = _currency_name(t.currency) if t.currency else None
        cur_loc = _currency_name(t.currency, lang) if t.currency else None
        cur_loc_ok = bool(cur_loc) and cur_loc != t.currency
        for i, city in enumerate(t.cities[:MAX_CITIES]):
            city_loc = t.city_names[city][lang]
            if not city_loc or "/" in city_loc or len(city_owner[city_loc]) != 1 or city_loc == country_loc:
                continue  # missing, a raw tz path (CLDR fallback), ambiguous, or the country's own name
            if lang != "fi" and city_loc == city:
                continue  # not localised: CLDR fell back to English
            subject = f"{t.code}/{city}"
            if places in doc_ids:
                out.append(_Candidate("city_country", subject, {"city": city_loc}, (t.names["en"],), (places,)))
            if i != 0:
                continue  # the money and people passages name only the first city
            if cur_en and money in doc_ids:
                out.append(_Candidate("city_currency", subject, {"city": city_loc}, (cur_en,), (money,)))
            if t.former and cur_loc_ok and money in doc_ids:
                prev = _currency_name(t.former[-1][0])
                fields = {"city": city_loc, "currency": cur_loc or ""}
                out.append(_Candidate("city_former_currency", subject, fields, (prev,), (money,)))
            rare = [n for n in (_language_name(lg) for lg in t.official if official_count[lg] <= 3) if n]
            if rare and people in doc_ids:
                out.append(_Candidate("city_language", subject, {"city": city_loc}, tuple(rare), (people,)))
        if t.currency and cur_users[t.currency] == 1 and cur_loc_ok and money in doc_ids:
            out.append(_Candidate("currency_country", t.code, {"currency": cur_loc or ""}, (t.names["en"],), (money,)))
    return out


def _tokenized_texts(docs: tuple[DprW100Doc, ...]) -> dict[str, str]:
    """doc id -> joined tokens (memoised: scoring R@kt reuses them)."""
    return {d.doc_id: joined_tokens(d.text) for d in docs}


def build_queries() -> tuple[tuple[XorQuery, ...], tuple[XorQuery, ...], dict[str, tuple[str, ...]]]:
    """Return (dev queries, train queries, query_id -> gold doc ids)."""
    terrs = load_territories()
    docs = build_docs()
    doc_ids = {d.doc_id for d in docs}
    joined = _tokenized_texts(docs)
    dev: list[XorQuery] = []
    train: list[XorQuery] = []
    gold: dict[str, tuple[str, ...]] = {}
    for lang in XOR_LANGS:
        cands = _candidates(lang, terrs, doc_ids)
        seen_text: set[str] = set()
        by_type: dict[str, list[_Candidate]] = defaultdict(list)
        for c in cands:
            by_type[c.qtype].append(c)
        lang_dev: list[tuple[_Candidate, str]] = []
        lang_train: list[tuple[_Candidate, str]] = []
        for qtype in QUESTION_TYPES:
            ranked = sorted(
                by_type[qtype], key=lambda c: (_stable_hash(MINI_VERSION, lang, qtype, c.subject), c.subject)
            )
            kept = []
            for c in ranked:
                text = TEMPLATES[qtype][lang].format(**c.fields)
                # keep answers that survive the official tokenisation of a gold passage; drop questions
                # that give an answer away (e.g. Finnish "Bangladeshin taka" contains "Bangladesh")
                answers = tuple(a for a in c.answers if any(a in joined[g] for g in c.gold))
                if text in seen_text or not answers or any(a in text for a in c.answers):
                    continue
                seen_text.add(text)
                kept.append((c._replace(answers=answers) if answers != c.answers else c, text))
            lang_dev.extend(kept[:DEV_PER_TYPE])
            lang_train.extend(kept[DEV_PER_TYPE:])
        lang_train.sort(key=lambda ct: _stable_hash(MINI_VERSION, "train", lang, ct[0].qtype, ct[0].subject))
        lang_train = lang_train[:TRAIN_PER_LANG]
        for split, items, sink in (("dev", lang_dev, dev), ("train", lang_train, train)):
            items = sorted(items, key=lambda ct: (QUESTION_TYPES.index(ct[0].qtype), ct[0].subject))
            for i, (c, text) in enumerate(items):
                qid = f"mini-{split}-{lang}-{i:04d}"
                sink.append(XorQuery(qid, text, lang, c.answers, c.qtype))
                gold[qid] = c.gold
    return tuple(dev), tuple(train), gold


@dataclass(frozen=True)
class MiniBenchmark:
    docs: tuple[DprW100Doc, ...]
    dev: tuple[XorQuery, ...]
    train: tuple[XorQuery, ...]
    gold: dict[str, tuple[str, ...]]
    fingerprint: str

    @property
    def version(self) -> str:
        return MINI_VERSION


def _fingerprint(parts: Iterable[object]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(json.dumps(part, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


@lru_cache(maxsize=1)
def build_mini() -> MiniBenchmark:
    """Build (once per process) the whole embedded benchmark."""
    docs = build_docs()
    dev, train, gold = build_queries()
    fp = _fingerprint(
        [["version", MINI_VERSION]]
        + [list(d) for d in docs]
        + [[q.query_id, q.text, q.lang, list(q.answers), q.qtype] for q in dev + train]
        + [[qid, list(g)] for qid, g in sorted(gold.items())]
    )
    return MiniBenchmark(docs, dev, train, gold, fp)
