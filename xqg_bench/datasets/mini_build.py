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

from xqg_bench.core.tokenizer import joined_tokens
from xqg_bench.datasets.cldr import LANGS, Territory, currency_name, language_name, templates, territories
from xqg_bench.datasets.records import XorQuery

MINI_VERSION = "1"
XOR_LANGS: tuple[str, ...] = LANGS
DEV_PER_TYPE = 12  # dev questions per question type per language
TRAIN_PER_LANG = 200  # cap on train questions per language
MAX_CITIES = 8  # cities listed in a "places" passage
MIN_WORDS, MAX_WORDS = 60, 120  # passage length, like the 100-word chunks of XOR-TyDi's corpus


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


def _continent(zones: tuple[str, ...]) -> str | None:
    names = templates()["mini"]["continents"]
    for zone in zones:
        head = zone.split("/")[0]
        if head in names:
            return names[head]
    return None


# ---------------------------------------------------------------------------------------------
# Passages


def _sentence(passage: str, slot: str, subject: str, **fields: object) -> str:
    """The template ``passage.slot`` filled in; a list of templates is a choice, picked by a stable hash of
    (subject, passage, slot)."""
    template = templates()["mini"]["passages"][passage][slot]
    if isinstance(template, list):
        template = _pick(template, subject, passage, slot)
    return template.format(**fields)


def _money_passage(t: Territory, users: dict[str, list[str]]) -> DprW100Doc | None:
    if t.currency is None:
        return None
    name = t.names["en"]
    cur = currency_name(t.currency)

    def say(slot: str, **fields: object) -> str:
        return _sentence("money", slot, t.code, **{"name": name, "cur": cur, **fields})

    s = [say("open", code=t.currency)]
    if t.cities:
        s.append(say("city", city=t.cities[0]))
    if t.former:
        parts = [say("former_item", cur=currency_name(c), code=c, start=a, end=b) for c, a, b in t.former[-3:]]
        s.append(say("former", former=_join_en(parts)))
    else:
        s.append(say("noformer"))
    others = [u for u in users.get(t.currency, []) if u != name]
    if others:
        shown = others[:4]
        more = len(others) - len(shown)
        s.append(say("shared", others=", ".join(shown), more=say("shared_more", more=more) if more > 0 else ""))
    else:
        s.append(say("alone"))
    s.append(say("fill1"))
    s.append(say("fill2"))
    return DprW100Doc(f"{t.code}-money", " ".join(s), say("title"))


def _people_passage(t: Territory, official_count: dict[str, int]) -> DprW100Doc | None:
    name = t.names["en"]

    def say(slot: str, **fields: object) -> str:
        return _sentence("people", slot, t.code, name=name, **fields)

    official = [(c, n) for c, n in ((c, language_name(c)) for c in t.official) if n]
    off = [n for _c, n in official]
    spoken = [(n, p) for n, p in ((language_name(c), p) for c, p in t.spoken) if n and p > 0][:5]
    if not off and not spoken:
        return None
    s = []
    if off:
        s.append(say("official_one" if len(off) == 1 else "official_many", languages=_join_en(off)))
    else:
        s.append(say("no_official"))
    if spoken:
        shares = [say("share_item", language=n, percent=p) for n, p in spoken]
        s.append(say("shares", shares=_join_en(shares)))
    s.append(say("fill1"))
    s.append(say("fill2"))
    if t.cities and off:
        s.append(say("city", city=t.cities[0], languages=_join_en(off)))
    rare = [n for c, n in official if official_count.get(c, 0) <= 2]
    if rare:
        s.append(say("rare_one" if len(rare) == 1 else "rare_many", languages=_join_en(rare)))
    s.append(say("fill3"))
    if len(" ".join(s).split()) > MAX_WORDS:
        s.pop()  # the last filler sentence
    return DprW100Doc(f"{t.code}-people", " ".join(s), say("title"))


def _places_passage(t: Territory) -> DprW100Doc | None:
    if not t.cities:
        return None
    name = t.names["en"]

    def say(slot: str, **fields: object) -> str:
        return _sentence("places", slot, t.code, name=name, **fields)

    cont = _continent(t.zones)
    cities = list(t.cities[:MAX_CITIES])
    s = []
    if cont:
        s.append(say("open", continent=cont))
    if len(cities) == 1:
        s.append(say("one_city", city=cities[0]))
    else:
        s.append(say("cities", cities=_join_en(cities), zones=len(t.zones)))
    s.append(say("zone", city=cities[0], zone=t.zones[0]))
    s.append(say("fill1"))
    s.append(say("fill2"))
    s.append(say("fill3"))
    return DprW100Doc(f"{t.code}-places", " ".join(s), say("title"))


def _currency_passage(code: str, user_names: list[str], former_users: list[str]) -> DprW100Doc:
    cur = currency_name(code)

    def say(slot: str, **fields: object) -> str:
        return _sentence("currency", slot, code, **{"cur": cur, "code": code, **fields})

    s = [say("intro"), say("open")]
    if user_names:
        s.append(say("users_one" if len(user_names) == 1 else "users_many", count=len(user_names)))
    if former_users:
        s.append(say("former", count=len(former_users)))
    s.append(say("fill1"))
    s.append(say("fill2"))
    s.append(say("fill3"))
    return DprW100Doc(f"currency-{code}", " ".join(s), say("title"))


def build_docs() -> tuple[DprW100Doc, ...]:
    terrs = territories()
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
# Questions (templates()["mini"]["questions"]: per question type and language; {city}, {currency} are
# localised CLDR names)


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
        cur_en = currency_name(t.currency) if t.currency else None
        cur_loc = currency_name(t.currency, lang) if t.currency else None
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
                prev = currency_name(t.former[-1][0])
                fields = {"city": city_loc, "currency": cur_loc or ""}
                out.append(_Candidate("city_former_currency", subject, fields, (prev,), (money,)))
            rare = [n for n in (language_name(lg) for lg in t.official if official_count[lg] <= 3) if n]
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
    terrs = territories()
    docs = build_docs()
    doc_ids = {d.doc_id for d in docs}
    joined = _tokenized_texts(docs)
    dev: list[XorQuery] = []
    train: list[XorQuery] = []
    gold: dict[str, tuple[str, ...]] = {}
    questions: dict[str, dict[str, str]] = templates()["mini"]["questions"]
    question_types = tuple(questions)
    for lang in XOR_LANGS:
        cands = _candidates(lang, terrs, doc_ids)
        seen_text: set[str] = set()
        by_type: dict[str, list[_Candidate]] = defaultdict(list)
        for c in cands:
            by_type[c.qtype].append(c)
        lang_dev: list[tuple[_Candidate, str]] = []
        lang_train: list[tuple[_Candidate, str]] = []
        for qtype in question_types:
            ranked = sorted(
                by_type[qtype], key=lambda c: (_stable_hash(MINI_VERSION, lang, qtype, c.subject), c.subject)
            )
            kept = []
            for c in ranked:
                text = questions[qtype][lang].format(**c.fields)
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
            items = sorted(items, key=lambda ct: (question_types.index(ct[0].qtype), ct[0].subject))
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
