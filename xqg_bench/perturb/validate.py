"""Is a perturbed query still text a real writer or system could produce?  Per-script rules of which
code point may follow which, and comparisons with the original query.

``problems(text, lang)`` lists what is wrong in a text on its own; ``introduced(text, original,
lang)`` counts, per class, the distinct problems the perturbation *introduced* (a problem — class
and context — already present in the original question is not held against the variant: real
questions carry their writers' slips, and a duplicated word carries them along) plus the classes
that need the original (a mark moved onto another base, a Hangul syllable outside KS X 1001, a
letter spliced into a native word).  ``perturb --report`` and the tests use
the same functions.  The classes (``CLASSES``):

- ``empty``: the query lost all its letters.
- ``detached-mark``: a combining mark at the start or after a space, digit or punctuation.
- ``brahmic-cluster`` (bn, te): a vowel sign, virama or length mark not right after a consonant
  (+ nukta) — two vowel signs, a vowel sign after a virama or an independent vowel (a virama
  after Bengali অ/এ is the normal spelling of the English "a" sound: অ্যাপল); a sign
  (candrabindu, anusvara, visarga) after a virama or at a word start; ZWJ/ZWNJ anywhere but after
  a virama (or between ra and virama: ra-phala ``র‍্য``).
- ``nukta`` (bn, te): a nukta after a consonant it cannot modify (Bengali ড ঢ য; Telugu క ఖ గ జ ఫ)
  or after anything else.
- ``haraka-carrier`` (ar): a haraka on a letter that does not carry it — on alef, alef maqsura
  (only tanween fath is written there), alef madda or wasla, or on no letter at all.
- ``haraka-initial`` (ar): sukun or shadda on the first letter of a word.
- ``haraka-stack`` (ar): two short vowels (or sukun) on one letter, shadda with sukun, a doubled
  shadda, or tanween anywhere but at the end of a word (tanween fath before a final alef or alef
  maqsura is the normal spelling).
- ``tatweel`` (ar): tatweel not between a dual-joining letter and a following letter — after
  ا د ذ ر ز و ؤ ة ء ى, at a word start or end (a prefix written apart, ``لـ`` ``الـ``, is normal).
- ``final-form`` (ar): ى or ة inside a word (they are written only at a word end).
- ``kana-start`` (ja): a small kana or the long-vowel mark ``ー`` that does not follow a kana of its
  own kind (at a word or run start, after kanji, Latin or punctuation; small hiragana after
  katakana and vice versa; っ may follow a kanji: 行った); a (semi-)voiced sound mark on no kana.
- ``hangul``: conjoining jamo that do not form a syllable, or a lone compatibility jamo glued to a
  syllable.
- ``hangul-rare`` (compared): a Hangul syllable outside the 2,350 of KS X 1001 that the original
  does not have (syllables that practically never occur in Korean text; 2 of ~70,000 syllables
  of the real train questions are outside).
- ``cyrillic-accent``: a combining accent on a Cyrillic letter that cannot carry it (stress marks
  go on vowels; breve only on и, diaeresis only on е).
- ``non-russian-letter`` (ru, compared): a Cyrillic letter outside the Russian alphabet that the
  original does not have (e.g. ѓ recomposed from г + combining acute).
- ``latin-in-word`` (ar bn te ru ko ja, compared): Latin letters with native letters right before
  and after them inside one word (Japanese: between two kanji or two katakana).
- ``kana-in-word`` (ja, compared): a typo-scale edit (no change longer than two code points) that
  puts one or two hiragana between two kanji or two katakana (a kana typo inside such a word).
- ``mark-moved`` (compared): a nukta, haraka or combining accent that now sits on a different base
  than in the original while no such mark was added.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from difflib import SequenceMatcher
from functools import lru_cache
from typing import NamedTuple

from xqg_bench.perturb.text import graphemes

CLASSES: dict[str, str] = {
    "empty": "the query lost all its letters",
    "detached-mark": "a combining mark on no letter",
    "brahmic-cluster": "vowel sign / virama / sign / ZWJ out of the Brahmic cluster grammar",
    "nukta": "nukta after a consonant it cannot modify",
    "haraka-carrier": "haraka on alef / alef maqsura / no letter",
    "haraka-initial": "sukun or shadda on a word's first letter",
    "haraka-stack": "two vowels on one letter, shadda+sukun, medial tanween",
    "tatweel": "tatweel not between a dual-joining letter and a letter",
    "final-form": "ى or ة inside a word",
    "kana-start": "small kana / ー / sound mark not after a kana of its kind",
    "hangul": "jamo not forming a syllable",
    "hangul-rare": "Hangul syllable outside KS X 1001",
    "cyrillic-accent": "combining accent on a Cyrillic letter that cannot carry it",
    "non-russian-letter": "Cyrillic letter outside the Russian alphabet",
    "latin-in-word": "Latin letters spliced inside a native word",
    "kana-in-word": "hiragana inserted inside a kanji or katakana word",
    "mark-moved": "a combining mark moved onto a different base",
}


class Problem(NamedTuple):
    cls: str
    index: int  # code point offset in the (NFC) text
    context: str  # the offending code point with one neighbour each side

    def key(self) -> tuple[str, str]:
        return (self.cls, self.context)


# ------------------------------------------------------------------------------------------ Brahmic


def _ranges(*spans: tuple[int, int] | int) -> frozenset[str]:
    out: set[str] = set()
    for s in spans:
        lo, hi = s if isinstance(s, tuple) else (s, s)
        out.update(chr(c) for c in range(lo, hi + 1))
    return frozenset(out)


class _Brahmic(NamedTuple):
    consonants: frozenset[str]
    vowels: frozenset[str]
    signs: frozenset[str]  # candrabindu, anusvara, visarga
    vowel_signs: frozenset[str]
    length_marks: dict[str, str]  # length mark -> the vowel sign it completes
    nukta: str
    nukta_bases: frozenset[str]
    virama: str
    virama_after_vowel: frozenset[str]  # Bengali অ্যা, এ্যা: the English "a" sound
    block: tuple[int, int]


BRAHMIC = {
    "bn": _Brahmic(
        consonants=_ranges((0x0995, 0x09A8), (0x09AA, 0x09B0), 0x09B2, (0x09B6, 0x09B9), 0x09DC, 0x09DD, 0x09DF,
                           0x09F0, 0x09F1),
        vowels=_ranges((0x0985, 0x098C), 0x098F, 0x0990, (0x0993, 0x0994), 0x09E0, 0x09E1),
        signs=_ranges((0x0981, 0x0983)),
        vowel_signs=_ranges((0x09BE, 0x09C4), 0x09C7, 0x09C8, 0x09CB, 0x09CC, 0x09E2, 0x09E3),
        length_marks={"\u09d7": "\u09c7"},
        nukta="\u09bc",
        nukta_bases=frozenset("ডঢয"),
        virama="\u09cd",
        virama_after_vowel=frozenset("অএ"),
        block=(0x0980, 0x09FF),
    ),
    "te": _Brahmic(
        consonants=_ranges((0x0C15, 0x0C28), (0x0C2A, 0x0C39), (0x0C58, 0x0C5A), 0x0C5D),
        vowels=_ranges((0x0C05, 0x0C0C), (0x0C0E, 0x0C10), (0x0C12, 0x0C14), 0x0C60, 0x0C61),
        signs=_ranges((0x0C00, 0x0C04)),
        vowel_signs=_ranges((0x0C3E, 0x0C44), (0x0C46, 0x0C48), (0x0C4A, 0x0C4C), 0x0C62, 0x0C63),
        length_marks={"\u0c55": "\u0c46", "\u0c56": "\u0c46"},
        nukta="\u0c3c",
        nukta_bases=frozenset("కఖగజఫ"),
        virama="\u0c4d",
        virama_after_vowel=frozenset(),
        block=(0x0C00, 0x0C7F),
    ),
}  # fmt: skip
ZWNJ, ZWJ = "\u200c", "\u200d"


def _brahmic_of(ch: str) -> _Brahmic | None:
    cp = ord(ch)
    for b in BRAHMIC.values():
        if b.block[0] <= cp <= b.block[1]:
            return b
    return None


def _brahmic(text: str, out: list[Problem]) -> None:
    for i, ch in enumerate(text):
        b = _brahmic_of(ch)
        if b is None and ch in (ZWJ, ZWNJ):
            b = next((x for x in (_brahmic_of(text[i - 1]) if i else None,) if x), None)
        if b is None:
            continue
        prev = text[i - 1] if i else ""
        nxt = text[i + 1] if i + 1 < len(text) else ""
        after_consonant = prev in b.consonants or (prev == b.nukta and i >= 2 and text[i - 2] in b.consonants)
        bad = None
        if ch == b.nukta:
            if prev not in b.nukta_bases:
                bad = "nukta"
        elif ch in b.vowel_signs or ch == b.virama:
            ra_phala = prev in (ZWJ, ZWNJ) and i >= 2 and text[i - 2] == "র"
            if not (after_consonant or ch == b.virama and (ra_phala or prev in b.virama_after_vowel)):
                bad = "brahmic-cluster"
        elif ch in b.length_marks:
            if prev != b.length_marks[ch]:
                bad = "brahmic-cluster"
        elif ch in b.signs:
            if not (after_consonant or prev in b.vowels or prev in b.vowel_signs or prev in b.length_marks):
                bad = "brahmic-cluster"
        elif ch in (ZWJ, ZWNJ):
            if not (prev == b.virama or (prev in b.consonants and nxt == b.virama)):
                bad = "brahmic-cluster"
        if bad:
            out.append(Problem(bad, i, text[max(0, i - 1) : i + 2]))


# ------------------------------------------------------------------------------------------- Arabic

FATHATAN, TANWEEN = "\u064b", "\u064b\u064c\u064d"
SHADDA, SUKUN = "\u0651", "\u0652"
SHORT_VOWELS = "\u064e\u064f\u0650"
HARAKAT = frozenset("\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652")
TATWEEL = "\u0640"
ALEFS = frozenset("اىآٱ")
# letters that join to the following letter (joining type D in ArabicShaping.txt); ى is dual-joining
# by Unicode but written only word-finally, so a tatweel after it is never produced
DUAL_JOINING = frozenset("بتثجحخسشصضطظعغفقكلمنهيئ")


def _arabic_letter(ch: str) -> bool:
    return "\u0621" <= ch <= "\u064a" and ch != TATWEEL or "\u0671" <= ch <= "\u06d3"


def _arabic(text: str, out: list[Problem]) -> None:
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        ctx = text[max(0, i - 1) : i + 2]
        if ch in HARAKAT:
            i += 1
            continue
        # the harakat on this base
        j = i + 1
        while j < n and text[j] in HARAKAT:
            j += 1
        marks = text[i + 1 : j]
        if _arabic_letter(ch) or ch == TATWEEL:
            k = i - 1
            while k >= 0 and text[k] in HARAKAT:
                k -= 1
            word_start = k < 0 or not (_arabic_letter(text[k]) or text[k] == TATWEEL)
            nxt = text[j] if j < n else ""
            word_end = not (_arabic_letter(nxt) or nxt == TATWEEL)
            if marks:
                mctx = text[max(0, i - 1) : j + 1]
                if ch in ALEFS and (ch in "آٱ" or marks != FATHATAN):
                    out.append(Problem("haraka-carrier", i, mctx))
                if word_start and (SHADDA in marks or SUKUN in marks) and ch != TATWEEL:
                    out.append(Problem("haraka-initial", i, mctx))
                vowels = [m for m in marks if m in SHORT_VOWELS or m in TANWEEN or m == SUKUN]
                if len(vowels) > 1 or marks.count(SHADDA) > 1 or (SHADDA in marks and SUKUN in marks):
                    out.append(Problem("haraka-stack", i, mctx))
                elif any(m in TANWEEN for m in marks) and not word_end:
                    after = text[j : j + 2]
                    final_alef = after[:1] in ("ا", "ى") and not (_arabic_letter(after[1:2]) or after[1:2] == TATWEEL)
                    if not (marks == FATHATAN and final_alef):
                        out.append(Problem("haraka-stack", i, mctx))
            if ch == TATWEEL:
                prev = text[k] if k >= 0 else ""
                joins = prev in DUAL_JOINING or prev == TATWEEL
                w = k  # a prefix of up to three letters written apart (لـ، الـ، بالـ) before a quote or a number
                while w > 0 and _arabic_letter(text[w - 1]):
                    w -= 1
                prefix = joins and word_end and k - w < 3
                if not (joins and (_arabic_letter(nxt) or nxt == TATWEEL) or prefix):
                    out.append(Problem("tatweel", i, ctx))
            elif ch in "ىة" and not word_end:
                out.append(Problem("final-form", i, ctx))
        elif marks:  # harakat on a space, digit, Latin letter or the start of the text
            out.append(Problem("haraka-carrier", i + 1, text[max(0, i) : j + 1]))
        i = j


# ----------------------------------------------------------------------------------------- Japanese

SMALL_HIRA = frozenset("ぁぃぅぇぉっゃゅょゎゕゖ")
SMALL_KATA = frozenset("ァィゥェォッャュョヮ") | _ranges((0x31F0, 0x31FF))  # not ヵ ヶ: counters (3ヶ月)
SMALL_HALF = _ranges((0xFF67, 0xFF6F))
CHOON, CHOON_HALF = "ー", "\uff70"


def _hira(ch: str) -> bool:
    return "\u3041" <= ch <= "\u309f"


def _kata(ch: str) -> bool:
    return "\u30a0" <= ch <= "\u30ff" or "\u31f0" <= ch <= "\u31ff"


def _half_kata(ch: str) -> bool:
    return "\uff66" <= ch <= "\uff9f"


def _han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or ch in ("々", "〆")


def _japanese(text: str, out: list[Problem]) -> None:
    for i, ch in enumerate(text):
        prev = text[i - 1] if i else ""
        ok = True
        if ch in SMALL_HIRA:  # っ also right after a kanji (okurigana: 行った)
            ok = _hira(prev) and prev not in "\u3099\u309a" or (ch == "っ" and _han(prev))
        elif ch in SMALL_KATA:
            ok = _kata(prev) and prev != "・"
        elif ch == CHOON:
            ok = (_hira(prev) or _kata(prev)) and prev != "・"
        elif ch == CHOON_HALF:
            ok = _half_kata(prev)
        elif ch in SMALL_HALF:
            ok = _half_kata(prev)
        elif ch in ("\uff9e", "\uff9f"):
            ok = _half_kata(prev) and prev not in ("\uff9e", "\uff9f", CHOON_HALF)
        elif ch in "\u3099\u309a":
            ok = (_hira(prev) or _kata(prev)) and prev not in "\u3099\u309a"
        if not ok:
            out.append(Problem("kana-start", i, text[max(0, i - 1) : i + 2]))


# ----------------------------------------------------------------------------------- Hangul, Cyrillic


def _hangul(text: str, out: list[Problem]) -> None:
    for i, ch in enumerate(text):
        if "\u1100" <= ch <= "\u11ff" or "\ua960" <= ch <= "\ua97f" or "\ud7b0" <= ch <= "\ud7ff":
            out.append(Problem("hangul", i, text[max(0, i - 1) : i + 2]))
        elif "\u3131" <= ch <= "\u318e":
            near = text[max(0, i - 1) : i + 2]
            if any("\uac00" <= c <= "\ud7a3" for c in near):
                out.append(Problem("hangul", i, near))


STRESS_VOWELS = frozenset("аеёиоуыэюяАЕЁИОУЫЭЮЯ")
RUSSIAN = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ")


def _cyrillic(text: str, out: list[Problem]) -> None:
    for i, ch in enumerate(text):
        if "\u0300" <= ch <= "\u036f" and i:
            k = i - 1
            while k > 0 and "\u0300" <= text[k] <= "\u036f":
                k -= 1
            base = text[k]
            if not "\u0400" <= base <= "\u04ff":
                continue
            ok = (
                (ch in "\u0300\u0301" and base in STRESS_VOWELS and k == i - 1)
                or (ch == "\u0306" and base in "иИ")
                or (ch == "\u0308" and base in "еЕ")
            )
            if not ok:
                out.append(Problem("cyrillic-accent", i, text[max(0, i - 1) : i + 2]))


# ------------------------------------------------------------------------------------------- public


def problems(text: str, lang: str) -> list[Problem]:
    """Every problem of ``text`` (NFC-normalised first) on its own, by the rules above."""
    text = unicodedata.normalize("NFC", text)
    out: list[Problem] = []
    if not text.strip() or not any(unicodedata.category(c)[0] == "L" for c in text):
        out.append(Problem("empty", 0, ""))
    for i, ch in enumerate(text):  # a mark at the start, after a space, digit or punctuation
        prev = text[i - 1] if i else " "
        if unicodedata.category(ch)[0] == "M" and unicodedata.category(prev)[0] not in "LM" and prev not in ZWNJ + ZWJ:
            out.append(Problem("detached-mark", i, text[max(0, i - 1) : i + 2]))
    _brahmic(text, out)
    _arabic(text, out)
    _japanese(text, out)
    _hangul(text, out)
    _cyrillic(text, out)
    return out


def _script(ch: str) -> str:
    if "a" <= ch.lower() <= "z" or "\u00c0" <= ch <= "\u024f" or "\uff21" <= ch <= "\uff5a":
        return "Latin" if ch.isalpha() else ""
    if _han(ch):
        return "Han"
    if ch in "・･＝":  # word separators in katakana names
        return ""
    if _kata(ch) or _half_kata(ch):
        return "Katakana"
    if _hira(ch):
        return "Hiragana"
    return "native" if unicodedata.category(ch)[0] in "LM" else ""


def _spliced(text: str, lang: str, cls: str) -> list[tuple[str, str]]:
    """(cls, run with its neighbours) for every run of one script spliced inside a word."""
    runs: list[tuple[str, int, int]] = []
    for i, ch in enumerate(text):
        s = _script(ch)
        if (unicodedata.category(ch)[0] == "M" or ch in (CHOON, CHOON_HALF)) and runs:  # marks and ー: no script
            runs[-1] = (runs[-1][0], runs[-1][1], i + 1)
        elif runs and runs[-1][0] == s and runs[-1][2] == i:
            runs[-1] = (s, runs[-1][1], i + 1)
        else:
            runs.append((s, i, i + 1))
    out = []
    for (left, _a, _b), (mid, s, e), (right, _c, _d) in zip(runs, runs[1:], runs[2:], strict=False):
        if not (left and right):
            continue
        if cls == "latin-in-word" and mid == "Latin":
            inside = left == right and left in ("Han", "Katakana") if lang == "ja" else left == right == "native"
        else:
            continue
        if inside:  # keyed by the run and its neighbours' scripts (a neighbour typed another way is no news)
            out.append((cls, f"{left}|{text[s:e]}|{right}"))
    return out


def _kana_in_word(text: str, original: str) -> int:
    """Edits that put one or two hiragana (and nothing else) between two kanji or two katakana in
    place of nothing or of a kanji/katakana (a hiragana particle typed as another one is fine)."""
    found = 0
    ops = [op for op in SequenceMatcher(None, original, text, autojunk=False).get_opcodes() if op[0] != "equal"]
    if any(max(i2 - i1, j2 - j1) > 2 for _op, i1, i2, j1, j2 in ops):
        return 0  # words moved, not typed: a hiragana word between two kanji words is a sentence
    for op, i1, i2, j1, j2 in ops:
        new, old = text[j1:j2], original[i1:i2]
        hira_for_hira = bool(old) and all(map(_hira, old))
        if op in ("insert", "replace") and 0 < len(new) <= 2 and all(map(_hira, new)) and not hira_for_hira:
            left, right = text[j1 - 1 : j1], text[j2 : j2 + 1]
            if not (left and right):
                continue
            found += all(_han(c) for c in (left, right)) or all("\u30a1" <= c <= "\u30fa" for c in (left, right))
    return found


MOVABLE_MARKS = frozenset("\u09bc\u0c3c") | HARAKAT | _ranges((0x0300, 0x036F))


def _mark_pairs(text: str) -> dict[str, Counter[str]]:
    pairs: dict[str, Counter[str]] = {}
    base = ""
    for ch in text:
        if ch in MOVABLE_MARKS:
            pairs.setdefault(ch, Counter())[base] += 1
        elif unicodedata.category(ch)[0] != "M":
            base = ch
    return pairs


@lru_cache(maxsize=1)
def ksx1001_syllables() -> frozenset[str]:
    """The 2,350 precomposed Hangul syllables of KS X 1001 (two-byte EUC-KR codes)."""
    return frozenset(chr(c) for c in range(0xAC00, 0xD7A4) if len(chr(c).encode("euc_kr")) == 2)


@lru_cache(maxsize=1024)
def _problem_keys(text: str, lang: str) -> tuple[tuple[str, str], ...]:
    return tuple(p.key() for p in problems(text, lang))


def introduced(text: str, original: str, lang: str) -> Counter[str]:
    """Problem classes -> how many the perturbation introduced (absent from ``original``)."""
    text = unicodedata.normalize("NFC", text)
    original = unicodedata.normalize("NFC", original)
    if text == original:
        return Counter()
    # a problem counts when its (class, context) is not in the original: a duplicated word that
    # carries its writer's slip brings nothing new
    had = set(_problem_keys(original, lang))  # the same original is compared with many candidates
    found: Counter[str] = Counter(cls for cls, ctx in {p.key() for p in problems(text, lang)} - had)
    if lang == "ko":
        rare = ksx1001_syllables()
        found["hangul-rare"] += len({c for c in text if "\uac00" <= c <= "\ud7a3" and c not in rare} - set(original))
    if lang == "ru":
        odd = {c for c in text if "\u0400" <= c <= "\u04ff" and c.isalpha() and c not in RUSSIAN}
        found["non-russian-letter"] += len(odd - set(original))
    if lang in ("ar", "bn", "te", "ru", "ko", "ja"):
        cls = "latin-in-word"
        found[cls] += len(set(_spliced(text, lang, cls)) - set(_spliced(original, lang, cls)))
    if lang == "ja":
        found["kana-in-word"] += _kana_in_word(text, original)
    now_pairs, had_pairs = _mark_pairs(text), _mark_pairs(original)
    for mark, bases in now_pairs.items():
        before = had_pairs.get(mark, Counter())
        if sum(bases.values()) <= sum(before.values()):
            found["mark-moved"] += sum((bases - before).values())
    return +found


def invalid_classes(text: str, original: str, lang: str) -> list[str]:
    """The sorted classes of problems ``text`` has that ``original`` had not (empty: valid)."""
    return sorted(introduced(text, original, lang))


DIGRAPH_SECONDS = frozenset("ぁぃぅぇぉゃゅょゎァィゥェォャュョヮ")  # not っ/ッ: a kana of its own


def edit_units(text: str, lang: str) -> list[str]:
    """The units a keystroke changes, as counted by ``net_edits``: extended grapheme clusters, with a
    Japanese kana and the small kana after it (きゃ, シェ) as one unit."""
    units = graphemes(text)
    if lang != "ja":
        return units
    out: list[str] = []
    for u in units:
        if u[0] in DIGRAPH_SECONDS and out and (_hira(out[-1][-1]) or _kata(out[-1][-1])):
            out[-1] += u
        else:
            out.append(u)
    return out


def net_edits(original: str, text: str, lang: str = "") -> int:
    """Net edits from ``original`` to ``text``: the optimal-string-alignment distance on ``edit_units``
    (insert, delete, substitute, swap of two adjacent units: 1 each)."""
    a = edit_units(unicodedata.normalize("NFC", original), lang)
    b = edit_units(unicodedata.normalize("NFC", text), lang)
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]
