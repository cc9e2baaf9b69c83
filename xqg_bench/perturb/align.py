"""A code-mixing lexicon aligned from line-aligned parallel questions (native / English).

Method (deterministic, no training): every pair contributes its native units — word n-grams of 1-3
words (Japanese: 1-4 Janome tokens), Korean particles and Arabic proclitics (و ف ب ل ك) stripped —
and its English units — content words (not in :data:`EN_STOP`, 4+ letters) and runs of 2-3
capitalised words (``United States``, ``World War``).  Each native unit is linked to the English unit
with the highest Dice coefficient ``2·c(n,e) / (c(n) + c(e))`` over the pairs (ties: more
co-occurrences, then the English string), and the link is kept only if

- it co-occurs in at least ``min_count`` pairs with Dice >= ``min_dice``;
- a name (capitalised English) also sounds like the native unit (anyascii transliteration similarity
  >= ``min_sim``) unless the link is strong (>= 4 pairs, Dice >= 0.6: 日本 -> Japan);
- a common noun (lowercase English) has >= 3 pairs and Dice >= 0.6;
- no shorter or longer native n-gram containing it links to the same English with a higher Dice
  (the span that *is* the name wins: ``アメリカ`` rather than ``アメリカの``);
- the native unit is not a stopword, a number, or one character.

At most ``max_entries`` links per language are kept (by co-occurrence count, then Dice, then the
strings).  See ``scripts/build_codemix_lexicon.py``.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Sequence

import regex

from xqg_bench.core.textfile import utf8_lines
from xqg_bench.perturb.codemix import FI_ENDINGS, KO_PARTICLES, WORD, _cldr_names, _Matcher
from xqg_bench.perturb.romanize import japanese_tokens

EN_FUNCTION = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up very was we were
    what when where which while who whom whose why will with would you your yours yourself yourselves""".split()
)
EN_STOP = EN_FUNCTION | frozenset(
    """many much long first last name named called known number numbers year years time times
    located location born died start started begin began made make makes used use using become became
    there largest biggest highest best most least main major total average current currently often usually
    kind type types different same other another part parts mean means meaning created found founded
    happen happened happens take took come came give given held hold get got still does done every
    place places state states area areas something someone anyone
    old older new newest late early big small high low large great today ever never always""".split()
)
LETTER = regex.compile(r"\p{L}")
EN_WORD = regex.compile(r"[A-Za-z][A-Za-z'\-]*")
AR_CLITIC = regex.compile(r"^(?:وب|فب|وك|و|ف|ب|ك)(?=ال)|^(?:ول|فل|ل)(?=ل)")


# endings that never end a name: stripped from units (র, ই, য়, లు ... end words too: আনোয়ার, অধ্যায়, శ్రీరాములు)
BN_STRIP = ("দের", "েরই", "\u09df\u09c7\u09b0", "\u09af\u09bc\u09c7\u09b0", "এর", "ের", "তে", "কে", "ে")
FI_STRIP = tuple(e for e in FI_ENDINGS if e not in ("a", "ä"))  # Norja, Kiina, Venäjä end in them
TE_STRIP = ("లోని", "లోనే", "లోకి", "నుండి", "నుంచి", "లో", "తో", "పై")


def _stems(unit: str, lang: str) -> set[str]:
    """The unit with a Korean particle, Bengali case ending, Telugu postposition or Finnish case ending
    removed — every such reading (the stem kept >= 2 syllables / 3 / 4 code points), or the unit itself
    if it has none — as the code-mixing matcher puts them back; so the forms of one word are counted
    together (Ruotsi, Ruotsin -> Ruotsi)."""
    endings, keep = {"ko": (KO_PARTICLES, 2), "bn": (BN_STRIP, 3), "te": (TE_STRIP, 3), "fi": (FI_STRIP, 4)}[lang]
    stems = {
        unit[: -len(p)]
        for p in endings
        if unit.endswith(p) and len(unit) - len(p) >= keep and not unit[-len(p) - 1].isspace()
    }
    return stems or {unit}


def native_units(line: str, lang: str, stop: frozenset[str], base_stop: frozenset[str] = frozenset()) -> set[str]:
    """Word n-grams of a native question as they are written (words joined by one space or hyphen;
    Japanese: Janome tokens), Korean particles stripped from the end, Arabic proclitics from the start."""
    if lang == "ja":
        spans, nouns, pos = [], [], 0
        for t in japanese_tokens(line):
            spans.append((pos, pos + len(t.surface)))
            nouns.append(t.part_of_speech.startswith("名詞"))
            pos += len(t.surface)
        longest = 4
    else:
        spans = [m.span() for m in WORD.finditer(line)]
        longest = 3
    units = set()
    for i in range(len(spans)):
        for j in range(i, min(i + longest, len(spans))):
            if lang != "ja" and j > i and line[spans[j - 1][1] : spans[j][0]] not in (" ", "-"):
                break
            if lang == "ja" and not nouns[j]:  # names and compounds: runs of noun tokens only
                break
            words = [line[a:b] for a, b in spans[i : j + 1]]
            first, last = words[0].lower(), words[-1].lower()
            if not all(LETTER.search(w) for w in words) or first in stop or last in stop:
                if j > i or first in base_stop:  # frequent words may still be names on their own
                    continue
            unit = line[spans[i][0] : spans[j][1]]
            forms = _stems(unit, lang) if lang in ("ko", "bn", "te", "fi") else {unit}
            if lang == "ar" and len(words[0]) > 4:
                forms = {AR_CLITIC.sub("", unit)}
            units |= {f for f in forms if len(f) >= (2 if lang in ("ja", "ko") else 3)}
    return units


def frequent_words(lines: Sequence[str], lang: str, share: float = 0.03) -> frozenset[str]:
    """Words in more than ``share`` of the questions: the function words and question frame of the
    language (Finnish oli, Telugu ఏది), which never start or end a lexicon entry."""
    if lang == "ja":
        counts = Counter(w for line in lines for w in {t.surface for t in japanese_tokens(line)})
    else:
        counts = Counter(w for line in lines for w in {w.lower() for w in WORD.findall(line)})
    return frozenset(w for w, c in counts.items() if c > share * len(lines))


def english_units(line: str) -> set[str]:
    words = [w.strip("'-") for w in EN_WORD.findall(line)]
    content = [len(w) >= 4 and w.islower() and w not in EN_STOP for w in words]
    units = {w for w, ok in zip(words, content, strict=True) if ok}

    def cap(w: str) -> bool:
        return len(w) >= 2 and w[0].isupper() and w.lower() not in EN_FUNCTION

    for i in range(len(words)):
        if not cap(words[i]) or (i == 0 and words[0].lower() in EN_STOP):
            continue
        units.add(words[i])
        for n in (2, 3):
            gram = words[i : i + n]
            if len(gram) == n and all(cap(w) for w in gram):
                units.add(" ".join(gram))
    return units


def _contains(outer: str, inner: str, lang: str) -> bool:
    """``inner`` is a run of whole words (Japanese: a substring) of ``outer``."""
    if lang == "ja":
        return inner in outer and inner != outer
    return inner != outer and f" {inner} " in f" {outer.replace('-', ' ')} "


def _candidate(native: str, english: str, lang: str) -> bool:
    """A pair worth scoring: not a number, not already English, no more native words than English ones,
    and a common noun only for a single native word."""
    if native.isdigit() or _spelled_alike(native, english) or native.lower() in english.lower().split():
        return False
    if lang != "fi" and regex.search(r"[A-Za-z]", native):
        return False
    if lang == "ja":
        return True
    words = len(regex.findall(r"[ \-]", native)) + 1
    return words <= english.count(" ") + 1 and (english[0].isupper() or words == 1)


def _spelled_alike(native: str, english: str) -> bool:
    """The native unit already is the English word (Finnish ``Baudelairen``): replacing it mixes nothing."""
    a, b = native.lower(), english.lower()
    return a == b or (a.startswith(b) and len(a) - len(b) <= 4) or b.startswith(a + " ")


def similarity(native: str, english: str) -> float:
    from anyascii import anyascii

    a = regex.sub(r"[^a-z]", "", anyascii(native).lower())
    b = regex.sub(r"[^a-z]", "", english.lower())
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() if a and b else 0.0


def align(
    pairs: Iterable[tuple[str, str]],
    lang: str,
    stop: Iterable[str] = (),
    min_count: int = 3,
    min_dice: float = 0.5,
    min_sim: float = 0.4,
    max_entries: int = 500,
) -> dict[str, str]:
    """native form -> English, from (native question, English question) pairs (see the module doc)."""
    pairs = sorted(dict(pairs).items())  # a question repeated in the data counts once
    base = frozenset(w.lower() for w in stop)
    stopset = base | frequent_words([n for n, _ in pairs], lang)
    rows: list[tuple[set[str], set[str]]] = []
    for n, e in pairs:
        low = f" {e.lower()} "
        # a unit written the same in the English question is a shared name, not something to switch
        native = {u for u in native_units(n, lang, stopset, base) if f" {u.lower()} " not in low}
        rows.append((native, english_units(e)))
    c_n: Counter[str] = Counter(u for ns, _ in rows for u in ns)
    c_e: Counter[str] = Counter(u for _, es in rows for u in es)
    joint: Counter[tuple[str, str]] = Counter()
    for ns, es in rows:
        for n in ns:
            if c_n[n] >= min_count:
                for e in es:
                    if c_e[e] >= min_count:
                        joint[(n, e)] += 1
    scored: dict[str, list[tuple[float, int, str]]] = {}
    best_native: dict[str, float] = {}  # English unit -> its highest Dice with any native unit
    for (n, e), c in sorted(joint.items()):
        if c >= min_count and _candidate(n, e, lang):
            dice = 2 * c / (c_n[n] + c_e[e])
            scored.setdefault(n, []).append((dice, c, e))
            best_native[e] = max(best_native.get(e, 0.0), dice)
    links: dict[str, tuple[float, int, str]] = {}
    for n, cands in sorted(scored.items()):
        top = max(d for d, _, _ in cands)
        # among the near-best, the longest English span (New York over York), then Dice, count, string
        near = [x for x in cands if x[0] >= 0.9 * top]
        dice, c, e = min(near, key=lambda x: (-x[2].count(" "), -x[0], -x[1], x[2]))
        if dice < min_dice or dice < 0.8 * best_native[e]:  # the native unit is (nearly) the best one for e
            continue
        if e[0].isupper():
            if not (c >= 4 and dice >= 0.6) and similarity(n, e) < min_sim:
                continue
        elif c < 4 or dice < 0.7 or dice < best_native[e]:  # a common noun: the clear translation only
            continue
        links[n] = (dice, c, e)
    # the span that is the name: drop a link when a containing or contained n-gram links to the same
    # English with a higher Dice, or when a part of it links to an English word that is not in its own
    by_char: dict[str, set[str]] = {}  # a character -> the links that contain it (candidates only)
    for m in links:
        for ch in set(m):
            by_char.setdefault(ch, set()).add(m)
    kept = {}
    for n, (dice, c, e) in sorted(links.items()):
        near = sorted(by_char[n[0]] | set().union(*(by_char[ch] for ch in set(n))) - {n})
        inside = [m for m in near if _contains(n, m, lang)]
        outside = [m for m in near if _contains(m, n, lang)]
        stems = [m for m in near if m.startswith(n) or n.startswith(m)]  # Ruotsi / Ruots
        if any(links[m][2] == e and (links[m][0], len(m)) > (dice, len(n)) for m in inside + outside + stems):
            continue
        if any(links[m][2] not in e for m in inside):
            continue
        kept[n] = (dice, c, e)
    ranked = sorted(kept.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0]))[:max_entries]
    return {n: e for n, (_, _, e) in sorted(ranked)}


def read_pairs(directory: str, lang: str) -> list[tuple[str, str]]:
    """Line-aligned pairs from ``<lang>-en.<lang>.txt`` and ``<lang>-en.en.txt``; a clear error if they differ."""
    import os

    native_path = os.path.join(directory, f"{lang}-en.{lang}.txt")
    english_path = os.path.join(directory, f"{lang}-en.en.txt")
    for path in (native_path, english_path):
        if not os.path.isfile(path):
            raise ValueError(
                f"{path}: no such file; the translations directory must hold <l>-en.<l>.txt and <l>-en.en.txt"
            )
    native = [line.rstrip("\n") for _, line in utf8_lines(native_path)]
    english = [line.rstrip("\n") for _, line in utf8_lines(english_path)]
    if len(native) != len(english):
        raise ValueError(
            f"{native_path} has {len(native)} lines but {english_path} has {len(english)}: the files must be "
            "line-aligned (one question per line, its translation on the same line of the other file)"
        )
    return list(zip(native, english, strict=True))


def cldr_blocklist(
    pairs: Iterable[tuple[str, str]], lang: str, min_seen: int = 3, min_confirmed: float = 0.3
) -> list[str]:
    """CLDR forms (as the code-mixing matcher finds them) that the parallel questions contradict: seen
    in >= ``min_seen`` native questions, and the English question has the CLDR English name in fewer
    than ``min_confirmed`` of them (Arabic ماهي "what is" vs the island Mahé)."""

    matcher = _Matcher(lang, _cldr_names().get(lang, {}))
    seen: Counter[str] = Counter()
    confirmed: Counter[str] = Counter()
    for native, english in sorted(dict(pairs).items()):
        forms = set()
        for start, end, prefix, ending, name in matcher.matches(native):
            form = native[start + len(prefix) : end - len(ending)]
            forms.add((form, name.lower() in english.lower()))
        for form, ok in forms:
            seen[form] += 1
            confirmed[form] += ok
    return sorted(f for f, n in seen.items() if n >= min_seen and confirmed[f] < min_confirmed * n)


def build(directory: str, langs: Sequence[str], stopwords: dict[str, frozenset[str]]) -> dict:
    """The lexicon file's content: per language the aligned lexicon and the CLDR blocklist."""
    lexicon, blocklist = {}, {}
    for lang in langs:
        pairs = read_pairs(directory, lang)
        lexicon[lang] = align(pairs, lang, stopwords.get(lang, ()))
        blocklist[lang] = cldr_blocklist(pairs, lang)
    return {"lexicon": lexicon, "cldr_blocklist": blocklist}
