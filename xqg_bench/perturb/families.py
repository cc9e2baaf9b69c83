"""Query perturbations as values with canonical strings, seeded per query.

``typo(kind=keyboard,n=1,seed=13)``, ``layout(rate=1.0,seed=13)``, ``script(kind=alef,rate=0.5,seed=13)``,
``romanize(rate=1.0,seed=13)``, ``word(kind=drop,n=1,seed=13)``, ``codemix(rate=1.0,seed=13)``.  Each
query's randomness comes from (variant string, seed, query id) alone — never from order, process,
``PYTHONHASHSEED`` or threads.  Typos change the unit one keystroke changes (a code point, a Hangul
jamo, a kana) and are checked by ``validate`` never to leave an invalid cluster; Japanese keyboard
typos are kana input mistakes (kanji are not typed key by key and are left alone).
"""

from __future__ import annotations

import random
import unicodedata
from abc import ABC, abstractmethod
from functools import lru_cache
from typing import NamedTuple

import regex

from xqg_bench.perturb.keyboards import KO_COMPOUND, LAYOUTS, alphabet, neighbours, us_keys
from xqg_bench.perturb.text import (
    L_JAMO,
    T_JAMO,
    V_JAMO,
    hangul_compose,
    hangul_decompose,
    is_letter_cluster,
    script_runs,
)
from xqg_bench.perturb.validate import (
    BRAHMIC,
    DUAL_JOINING,
    HARAKAT,
    edit_units,
    introduced,
    ksx1001_syllables,
    net_edits,
)
from xqg_bench.spec import DEFAULT_SEED, Param, Range, canonical_spec, did_you_mean, parse_spec
from xqg_bench.xqg.generators import passage_seed

LANGS = ("ar", "bn", "fi", "ja", "ko", "ru", "te", "en")
STOPWORDS: dict[str, frozenset[str]] = {
    "ar": frozenset("في من على إلى ما هي هو أي التي الذي عن مع".split()),
    "bn": frozenset("কোন কী কি এর এ ও এবং শহরে দেশে".split()),
    "fi": frozenset("on ja mikä missä mitä minkä ennen kun se".split()),
    "ja": frozenset(["は", "の", "で", "に", "を", "が", "と", "ですか", "ですか？", "？", "か"]),
    "ko": frozenset("은 는 이 가 을 를 의 에서 에서는 무엇입니까? 어느".split()),
    "ru": frozenset("в во на и до какая какой какой-то является из с".split()),
    "te": frozenset("ఏ ఏది లో యొక్క మరియు".split()),
    "en": frozenset("the a an of in on is what which".split()),
}


# Parameters every family shares (declared once; each family's PARAMS lists its own, in canonical order).
SEED = Param(int, DEFAULT_SEED, "seed: a query's randomness comes from (variant, seed, query id) alone")
RATE = Param(float, 1.0, "probability of each eligible place (1.0: all)", check=Range(0, 1, lo_open=True))


class Perturbation(ABC):
    """A perturbation family: ``name``, its parameters ``PARAMS`` (``xqg_bench.spec.Param``: type, default,
    choices, check), converted and checked by the declaration whether built from a spec string
    (``parse_variant``) or in Python (``Typo("keyboard", 2, 13)``, ``Romanize(rate=0.5)``)."""

    name: str
    PARAMS: dict[str, Param]
    keys: tuple[str, ...]  # the parameter names in canonical order

    def __init_subclass__(cls, **kw: object) -> None:
        super().__init_subclass__(**kw)
        cls.keys = tuple(cls.PARAMS)

    def __init__(self, *args: object, **kwargs: object) -> None:
        if len(args) > len(self.keys):
            raise TypeError(f"{self.name} takes at most {len(self.keys)} parameters ({', '.join(self.keys)})")
        given = dict(zip(self.keys, args, strict=False))
        for key, v in kwargs.items():
            if key in given:
                raise TypeError(f"{self.name} got {key} twice")
            given[key] = v
        for key in given:
            if key not in self.PARAMS:
                raise ValueError(
                    f"unknown {self.name} option {key!r}{did_you_mean(key, self.keys)}; options: {sorted(self.keys)}"
                )
        self.params: dict[str, object] = {}
        for key, param in self.PARAMS.items():
            value = param.parse(given.get(key), self.name, key, "variant")
            value = param.default if value is None else value
            if not (param.omit_default and value == param.default):
                self.params[key] = value

    @property
    def spec(self) -> str:
        return canonical_spec(self.name, self.params, self.PARAMS)

    def __str__(self) -> str:
        return self.spec

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Perturbation) and other.spec == self.spec

    def __hash__(self) -> int:
        return hash(self.spec)

    @property
    def rate(self) -> float:
        return float(self.params["rate"])  # type: ignore[arg-type]

    def rng(self, query_id: str) -> random.Random:
        return random.Random(passage_seed(int(self.params["seed"]), query_id, self.spec))  # type: ignore[arg-type]

    def applicable(self, lang: str) -> bool:
        return lang in LANGS

    def normalise(self, text: str, lang: str) -> str:
        """The text the perturbation starts from (edits are counted from it)."""
        return text

    @abstractmethod
    def apply(self, text: str, lang: str, query_id: str) -> str: ...


# ------------------------------------------------------------------------------------------ typos

STRESS_MARKS = regex.compile(r"(?<=[аеёиоуыэюяАЕЁИОУЫЭЮЯ])[\u0300\u0301]")
# what Bengali and Telugu writers confuse most: vowel length, sibilants, dental/retroflex n (and la)
SPELLING: dict[str, tuple[str, ...]] = {
    "bn": ("িী", "ুূ", "শষস", "নণ", "জয"),
    "te": ("ిీ", "ుూ", "ెే", "ొో", "శషస", "నణ", "లళ"),
}


def strip_stress(text: str, lang: str) -> str:
    """Russian without stress accents (dictionaries and Wikipedia mark them; nobody types them)."""
    return STRESS_MARKS.sub("", text) if lang == "ru" else text


def _kata_to_hira(ch: str) -> str:
    return chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch


def _hira_to_kata(ch: str) -> str:
    return chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch


def _is_kana(ch: str) -> bool:
    return "ぁ" <= ch <= "ゖ" or "ァ" <= ch <= "ヶ"


def _cp_class(ch: str, lang: str) -> str:
    """The key class a slip keeps: consonant / vowel sign / independent vowel (bn, te), letter."""
    b = BRAHMIC.get(lang)
    if b is not None:
        return "C" if ch in b.consonants else "M" if ch in b.vowel_signs else "V" if ch in b.vowels else ""
    return "L" if unicodedata.category(ch)[0] == "L" and ch != "ـ" else ""


def _cased(new: str, old: str) -> str:
    return new.upper() if old.isupper() else new


def _ko_syllables(parts: tuple[str, str, str]) -> str | None:
    syl = hangul_compose(*parts)
    return syl if syl and syl in ksx1001_syllables() else None


def _ko_options(syl: str, kind: str, nxt: str, rng: random.Random) -> list[str]:
    """Replacements of one syllable by a jamo keystroke slip (syllables of KS X 1001 only)."""
    parts = hangul_decompose(syl) if len(syl) == 1 else None
    if parts is None:
        return []
    adj, out = neighbours("ko"), []
    lead, vowel, tail = parts
    if kind == "keyboard":
        for slot, pool in ((0, L_JAMO), (1, V_JAMO), (2, T_JAMO[1:])):
            for n in adj.get(parts[slot], ()) if parts[slot] else ():
                if n in pool:
                    out.append(_ko_syllables(tuple(n if k == slot else p for k, p in enumerate(parts))))  # type: ignore[arg-type]
    elif kind == "substitute":
        for slot, pool in ((0, L_JAMO), (1, V_JAMO)):
            for n in rng.sample(pool, 4):
                if n != parts[slot]:
                    out.append(_ko_syllables(tuple(n if k == slot else p for k, p in enumerate(parts))))  # type: ignore[arg-type]
    elif kind == "delete":  # the last keystroke of the syllable is lost
        if tail:
            keys = KO_COMPOUND.get(tail, tail)
            out.append(_ko_syllables((lead, vowel, keys[:-1] if len(keys) == 2 else "")))
        elif vowel in KO_COMPOUND:
            out.append(_ko_syllables((lead, KO_COMPOUND[vowel][0], "")))
    elif kind == "insert" and not tail:  # a consonant typed once too often or too early becomes a final
        next_lead = hangul_decompose(nxt)[0] if nxt and hangul_decompose(nxt) else ""
        for c in (next_lead, *adj.get(next_lead, ()), lead):
            if c in T_JAMO[1:]:
                out.append(_ko_syllables((lead, vowel, c)))
    return [o for o in dict.fromkeys(out) if o and o != syl]


def _ja_options(unit: str, kind: str, rng: random.Random) -> list[str]:
    """Replacements of one kana unit (kana + small kana) by a JIS kana keystroke slip."""
    if not _is_kana(unit[0]):
        return []
    kata = _kata_to_hira(unit[0]) != unit[0]
    base = unicodedata.normalize("NFD", _kata_to_hira(unit[0]))
    mark, rest = base[1:], unit[1:]
    if kind == "keyboard":
        pool = [n for n in neighbours("ja").get(base[0], ()) if len(n) == 1]
    else:  # substitute
        pool = rng.sample([k for k in alphabet("ja") if len(k) == 1], 4)
    out = []
    for n in pool:
        new = unicodedata.normalize("NFC", n + mark)
        if len(new) == 1 and new not in "ゔゐゑ":  # kana of today's spelling only
            out.append((_hira_to_kata(new) if kata else new) + rest)
    return [o for o in dict.fromkeys(out) if o != unit]


def _cluster_options(g: str, kind: str, lang: str, rng: random.Random) -> list[str]:
    """Replacements of one grapheme cluster by a slip of one code point (keyboard, substitute,
    spelling, delete of a vowel sign or of a one-letter cluster)."""
    out = []
    if kind == "delete":
        if len(g) == 1 and _cp_class(g, lang):
            return [""]
        b = BRAHMIC.get(lang)
        return [g[:k] + g[k + 1 :] for k, ch in enumerate(g) if b and (ch in b.vowel_signs or ch in b.signs)]
    adj = neighbours(lang) if lang in LAYOUTS else {}
    letters = [a for a in alphabet(lang) if len(a) == 1] if lang in LAYOUTS else []
    for k, ch in enumerate(g):
        cls = _cp_class(ch, lang)
        if not cls:
            continue
        if kind == "keyboard":
            pool = list(adj.get(ch.lower() if lang in ("en", "fi", "ru") else ch, ()))
        elif kind == "substitute":
            pool = rng.sample(letters, min(6, len(letters)))
        else:  # spelling
            pool = [a for group in SPELLING.get(lang, ()) if ch in group for a in group]
        for n in pool:
            if len(n) == 1 and n != ch.lower() and _cp_class(n, lang) == cls:
                out.append(g[:k] + _cased(n, ch) + g[k + 1 :])
    return list(dict.fromkeys(o for o in out if o != g))


def _insert_options(left: str, right: str, lang: str) -> list[str]:
    """Units a slip inserts between ``left`` and ``right``: the left key pressed twice, or a key next
    to the left or right one (Japanese: kana of the left unit's script)."""
    if lang == "ja":
        if not left or not _is_kana(left[-1]):
            return []
        kata = _kata_to_hira(left[-1]) != left[-1]
        base = _kata_to_hira(left[0])
        pool = [base, *neighbours("ja").get(base, ())]
        return list(dict.fromkeys(_hira_to_kata(p) if kata else p for p in pool if len(p) == 1))
    adj = neighbours(lang)
    keys = []
    for side in (left, right):
        ch = next((c for c in reversed(side) if _cp_class(c, lang) in ("C", "L")), "") if side else ""
        if ch:
            key = ch.lower() if lang in ("en", "fi", "ru") else ch
            keys += [key, *adj.get(key, ())] if side is left else list(adj.get(key, ()))
    upper = all(s.isupper() for s in (left, right) if s and s.isalpha())
    return list(
        dict.fromkeys(
            _cased(k, "A" if upper else "a") for k in keys if len(k) == 1 and _cp_class(k, lang) in ("C", "L")
        )
    )


class Typo(Perturbation):
    """Exactly ``n`` typos of one kind at distinct, non-adjacent positions, each changing the unit one
    keystroke changes (a code point; a Hangul jamo, recomposed into a KS X 1001 syllable; a kana, with
    a small-kana digraph as one unit) and never leaving an invalid cluster (``validate``):

    - ``keyboard``: an adjacent key of the same class on the language's layout (a consonant for a
      consonant, a vowel sign for a vowel sign: ি/ী, ু/ূ are vertical neighbours on InScript);
    - ``insert``: the previous key pressed twice or a key next to a neighbour's (Korean: a consonant
      that becomes a final; Japanese: kana of the run's script, never inside kanji);
    - ``delete``: a one-letter unit, or a vowel sign / sign of an Indic cluster (Korean: the last jamo);
    - ``substitute``: a random letter of the same class of the query's script;
    - ``swap``: two adjacent units of one word;
    - ``spelling`` (bn, te only): the confusions real writers make — vowel length (ি/ী, ু/ূ),
      sibilants (শ/ষ/স), dental/retroflex n (ন/ণ), and the Telugu analogues.

    Russian stress accents are removed first (nobody types them).  ``n`` net edits are guaranteed
    when the question has room for them; otherwise as many as it has (tested: exactly ``n`` on the
    real-question fixture for every question with at least 3n letter clusters)."""

    name = "typo"
    KINDS = ("insert", "delete", "substitute", "swap", "keyboard")
    ALL_KINDS = (*KINDS, "spelling")
    PARAMS = {
        "kind": Param(str, "keyboard", "the slip (see the class docstring)", choices=ALL_KINDS),
        "n": Param(int, 1, "edits per query", check=Range(1, 10)),
        "seed": SEED,
    }
    ATTEMPTS = 12

    def applicable(self, lang: str) -> bool:
        return lang in SPELLING if self.params["kind"] == "spelling" else lang in LAYOUTS

    def normalise(self, text: str, lang: str) -> str:
        """The text the edits start from (Russian stress accents removed)."""
        return strip_stress(text, lang)

    def _options(self, units: list[str], lang: str, rng: random.Random) -> dict[int, list[tuple[int, list[str]]]]:
        """anchor position -> [(units replaced from the anchor, replacement units)]"""
        kind = str(self.params["kind"])
        out: dict[int, list[tuple[int, list[str]]]] = {}
        for i, u in enumerate(units):
            letter = is_letter_cluster(u)
            prev = units[i - 1] if i else ""
            nxt = units[i + 1] if i + 1 < len(units) else ""
            opts: list[tuple[int, list[str]]] = []
            if kind == "swap":
                if (
                    letter
                    and is_letter_cluster(nxt)
                    and u != nxt
                    and not (lang in BRAHMIC and max(len(u), len(nxt)) > 2)
                ):
                    if lang != "ja" or (_is_kana(u[0]) and _is_kana(nxt[0])):
                        opts.append((2, [nxt, u]))
            elif lang == "ko":
                opts = [(1, [o]) for o in _ko_options(u, kind, nxt, rng)]
            elif kind == "insert":
                if letter or is_letter_cluster(prev):
                    opts = [(0, [o]) for o in _insert_options(prev, u, lang)]
            elif lang == "ja":
                if kind == "delete":
                    opts = [(1, [])] if _is_kana(u[0]) else []
                else:
                    opts = [(1, [o]) for o in _ja_options(u, kind, rng)]
            elif letter:
                opts = [(1, [o] if o else []) for o in _cluster_options(u, kind, lang, rng)]
            if opts:
                out[i] = opts
        if kind == "insert" and units and is_letter_cluster(units[-1]):  # after the last unit
            opts = [(0, [o]) for o in _insert_options(units[-1], "", lang)]
            if opts:
                out[len(units)] = opts
        return out

    def editable(self, text: str, lang: str) -> int:
        """How many places of ``text`` this kind of typo can edit (a question with at least 3n of
        them is long enough to take n typos at distinct, non-adjacent places)."""
        start = self.normalise(text, lang)
        return len(self._options(edit_units(start, lang), lang, random.Random(0))) if self.applicable(lang) else 0

    def _edit(
        self, units: list[str], options: dict[int, list[tuple[int, list[str]]]], k: int, rng: random.Random
    ) -> str:
        gap = 3 if self.params["kind"] == "swap" else 2
        chosen: list[int] = []
        for pos in rng.sample(sorted(options), len(options)):
            if all(abs(pos - c) >= gap for c in chosen):
                chosen.append(pos)
                if len(chosen) == k:
                    break
        out = list(units)
        for pos in sorted(chosen, reverse=True):
            span, repl = rng.choice(options[pos])
            out[pos : pos + span] = repl
        return "".join(out)

    def apply(self, text: str, lang: str, query_id: str) -> str:
        if not self.applicable(lang):
            return text
        rng = self.rng(query_id)
        start = self.normalise(text, lang)
        units = edit_units(start, lang)
        options = self._options(units, lang, rng)
        for k in range(int(self.params["n"]), 0, -1):  # type: ignore[arg-type]
            for _ in range(self.ATTEMPTS):
                out = self._edit(units, options, k, rng)
                if net_edits(start, out, lang) == k and not introduced(out, start, lang):
                    return out
        return start


class Layout(Perturbation):
    """Words typed with the keyboard on the wrong layout: the native keystrokes come out as the US
    keys, as when the layout is still on English or the input method is off — ``안녕`` → ``dkssud``
    (Dubeolsik jamo keys), ``привет`` → ``ghbdtn`` (ЙЦУКЕН), Arabic 101 and Bengali/Telugu InScript
    key positions (shifted keys included), Finnish ``ä``/``ö`` → ``'``/``;``.  Each whitespace word
    with probability ``rate`` (1.0: the whole query).  Applies to the languages typed on a native
    layout: ar, bn, fi, ko, ru, te (not ja: Japanese typed with the input method off is romaji, the
    romanisation family).  Characters with no key on the layout (digits, most punctuation) are kept."""

    name = "layout"
    PARAMS = {"rate": RATE, "seed": SEED}
    LANGS = ("ar", "bn", "fi", "ko", "ru", "te")

    def applicable(self, lang: str) -> bool:
        return lang in self.LANGS

    @staticmethod
    def keystrokes(word: str, lang: str) -> str:
        """The US keys that type ``word`` on the layout of ``lang``."""
        keys = us_keys(lang)
        if lang == "ko":
            jamo = "".join("".join(hangul_decompose(c) or c) for c in word)
            return "".join(keys.get(j, j) for j in jamo)
        word = unicodedata.normalize("NFC", strip_stress(word, lang))
        if lang == "ar":
            word = word.replace("لا", "\x00")
        return "".join("b" if c == "\x00" else keys.get(c, c) for c in word)

    def apply(self, text: str, lang: str, query_id: str) -> str:
        if not self.applicable(lang):
            return text
        rng = self.rng(query_id)
        parts = regex.split(r"(\s+)", text)
        return "".join(
            self.keystrokes(p, lang) if p and not p.isspace() and rng.random() < self.rate else p for p in parts
        )


# ----------------------------------------------------------------------------------- script noise

KATAKANA_WORD = regex.compile(r"[\u30a1-\u30fa][\u30a1-\u30fc]*")  # a katakana word (with ー, ・)
SHORT_VOWEL_BEFORE = {"ا": "\u064e", "ى": "\u064e", "ي": "\u0650", "و": "\u064f"}  # the long vowel's own short vowel
ALEF_HAMZA = {"أ": "ا", "إ": "ا", "آ": "ا"}
ZWNJ_, ZWJ_ = "\u200c", "\u200d"
VIRAMA = {"bn": "\u09cd", "te": "\u0c4d"}
SCRIPT_KINDS = {
    "diacritics": ("ar",),
    "tatweel": ("ar",),
    "alef": ("ar",),
    "zwj": ("bn", "te"),
    "kana": ("ja",),
    "halfwidth": ("ja",),
    "jamo": ("ko",),
    "nfd": LANGS,
    "nfkc": LANGS,
}


@lru_cache(maxsize=1)
def _halfwidth_table() -> dict[str, str]:
    table = {}
    for cp in range(0xFF61, 0xFFA0):
        full = unicodedata.normalize("NFKC", chr(cp))
        if len(full) == 1:
            table[full] = chr(cp)
    table["\u3099"], table["\u309a"] = "\uff9e", "\uff9f"  # combining (semi-)voiced marks
    return table


def _arabic_words(text: str) -> list[tuple[int, int]]:
    """(start, end) of the runs of Arabic letters (with their harakat and tatweel) in ``text``."""
    return [m.span() for m in regex.finditer(r"[\u0621-\u063a\u0640-\u0652\u0671-\u06d3]+", text)]


def _harakat(word: str, rng: random.Random, rate: float) -> str:
    """Harakat as a writer adds them to disambiguate a word: on consonants only (never on alef,
    alef maqsura, hamza, و/ي (mostly long vowels) or the article ال); before a long-vowel letter its
    own short vowel; sukun and shadda (+ a vowel) only inside a word; tanween only on the last letter
    (tanween fath before a final alef)."""
    letters = [c for c in word if "\u0621" <= c <= "\u064a" and c != "ـ"]
    if len(letters) != len(word):  # already vocalised or with tatweel: left as written
        return word
    start = 2 if word.startswith("ال") and len(word) > 3 else 0
    out = []
    for i, c in enumerate(word):
        out.append(c)
        if i < start or c in "اىآأإءوؤي" or rng.random() >= rate:
            continue
        nxt = word[i + 1] if i + 1 < len(word) else ""
        last = i == len(word) - 1 or (i == len(word) - 2 and nxt in "اى")
        if nxt in SHORT_VOWEL_BEFORE:  # tanween fath before a final alef of a noun (not ما, لا)
            out.append("\u064b" if last and nxt == "ا" and len(word) > 3 else SHORT_VOWEL_BEFORE[nxt])
        elif last:
            out.append(rng.choice("\u064e\u064f\u0650\u064c\u064d") if c != "ة" else rng.choice("\u064c\u064d\u064b"))
        elif i > start and i > 0:
            out.append(rng.choice(("\u064e", "\u064f", "\u0650", "\u0652", "\u0651\u064e", "\u0651\u064f")))
        else:
            out.append(rng.choice("\u064e\u064f\u0650"))
    return "".join(out)


class Script(Perturbation):
    """Script-level noise at the places real writers and systems put it (each eligible place with
    probability ``rate``):

    - ``diacritics`` (ar): harakat on consonants of a word as a writer vocalises it (see
      ``_harakat``: never on alef/alef maqsura, no sukun or shadda on a word's first letter,
      tanween only word-finally);
    - ``tatweel`` (ar): kashida between two letters that join (after a dual-joining letter, before
      a letter), as justification and emphasis produce it;
    - ``alef`` (ar): hamza dropped from أ إ آ (→ ا), and the word-final spellings that writers swap:
      final ي ↔ ى, final ة → ه;
    - ``zwj`` (bn, te): ZWNJ after a virama (the explicit virama found in real Telugu and Bengali
      questions), and in Bengali ``র‍্য`` spelt with ZWJ between ra and virama (ya-phala after ra,
      as keyboards and converters write it);
    - ``nfd``, ``nfkc``: Unicode normal forms (systems);
    - ``kana`` (ja): a katakana word left in hiragana (the input method's conversion not done: こーひー);
    - ``halfwidth`` (ja): katakana words in half-width forms (legacy systems);
    - ``jamo`` (ko): syllables decomposed into conjoining jamo (NFD, as macOS file systems store it).
    """

    name = "script"
    PARAMS = {
        "kind": Param(str, "nfd", "the noise (see the class docstring)", choices=tuple(sorted(SCRIPT_KINDS))),
        "rate": RATE,
        "seed": SEED,
    }

    def applicable(self, lang: str) -> bool:
        return lang in SCRIPT_KINDS[str(self.params["kind"])]

    def apply(self, text: str, lang: str, query_id: str) -> str:
        if not self.applicable(lang):
            return text
        rng, kind, rate = self.rng(query_id), self.params["kind"], self.rate
        if kind == "nfd":
            return unicodedata.normalize("NFD", text)
        if kind == "nfkc":
            return unicodedata.normalize("NFKC", text)
        if kind in ("diacritics", "tatweel", "alef"):
            out, last = [], 0
            for s, e in _arabic_words(text):
                out.append(text[last:s])
                word = text[s:e]
                if kind == "diacritics":
                    word = _harakat(word, rng, rate)
                elif kind == "tatweel":
                    word = "".join(
                        c + "ـ" if i + 1 < len(word) and c in DUAL_JOINING and "\u0621" <= word[i + 1] <= "\u064a"
                        and rng.random() < rate else c for i, c in enumerate(word)
                    )  # fmt: skip
                else:
                    chars = list(word)
                    for i, c in enumerate(chars):
                        final = i == len(chars) - 1
                        new = ALEF_HAMZA.get(c) or (final and {"ي": "ى", "ى": "ي", "ة": "ه"}.get(c))
                        vocalised = i + 1 < len(chars) and chars[i + 1] in HARAKAT  # أُ is never written اُ
                        if new and len(chars) > 1 and not vocalised and rng.random() < rate:
                            chars[i] = new
                    word = "".join(chars)
                out.append(word)
                last = e
            out.append(text[last:])
            return "".join(out)
        if kind in ("kana", "halfwidth"):

            def convert(m: regex.Match[str]) -> str:
                run, before, after = m.group(), text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
                if "\u4e00" <= before <= "\u9fff" and "\u4e00" <= after <= "\u9fff" or rng.random() >= rate:
                    return run  # a katakana word inside a kanji compound is left as it is
                if kind == "kana":
                    return "".join(_kata_to_hira(ch) if ch <= "ヴ" else ch for ch in run)
                table = _halfwidth_table()
                return "".join(table.get(ch, ch) for ch in unicodedata.normalize("NFD", run))

            return KATAKANA_WORD.sub(convert, text)
        if kind == "zwj":
            virama = VIRAMA[lang]

            def joiner(m: regex.Match[str]) -> str:
                if rng.random() >= rate:
                    return m.group()
                if m.group() == "র" + virama + "য":  # র‍্য: ra + ZWJ + virama + ya (ya-phala after ra)
                    return "র" + ZWJ_ + virama + "য"
                if m.group()[0] == "র":  # a reph is never written with an explicit virama
                    return m.group()
                return m.group()[0] + virama + ZWNJ_ + m.group()[2:]  # explicit virama

            letter = rf"[^\W{ZWJ_}{ZWNJ_}]"  # regex's \w includes the joiners
            return regex.sub(rf"{letter}{virama}{letter}?(?!{ZWJ_}|{ZWNJ_})", joiner, text)
        return "".join(
            unicodedata.normalize("NFD", c) if hangul_decompose(c[0]) and rng.random() < rate else c for c in text
        )


# ------------------------------------------------------------------------------ words and names


def _units(text: str, lang: str) -> tuple[list[str], str]:
    """Word units and the joiner: whitespace words; for unsegmented Japanese, script runs."""
    return (script_runs(text), "") if lang == "ja" else (text.split(), " ")


def _content(unit: str, lang: str) -> bool:
    return is_letter_cluster(unit) and unit.strip("?？!！.。،؟") not in STOPWORDS.get(lang, frozenset())


@lru_cache(maxsize=1)
def _janome():  # type: ignore[no-untyped-def]
    from janome.tokenizer import Tokenizer

    return Tokenizer()


# Japanese morphemes that belong to the word before them: particles, auxiliaries, suffixes,
# non-independent verbs/nouns (て, いる, こと ...), and the word after a prefix
_JA_ATTACH = ("助詞", "助動詞", "名詞,接尾", "動詞,非自立", "動詞,接尾", "形容詞,非自立", "名詞,非自立")
_PUNCT = regex.compile(r"^([\p{Ps}\p{Pi}\p{Po}\p{Pd}\p{S}]*)(.*?)([\p{Pe}\p{Pf}\p{Po}\p{Pd}\p{S}]*)$")


class _Item(NamedTuple):
    lead: str  # punctuation before the word (「 « ")
    core: str  # the word (Japanese: a content word with its particles and auxiliaries)
    tail: str  # punctuation after it (？ , .)


def word_items(text: str, lang: str) -> tuple[list[_Item], str]:
    """The words of ``text`` with their punctuation kept apart, and the joiner.  Japanese is segmented
    by janome (IPADIC) into content words with their particles and auxiliaries attached (東京都の /
    人口は / 何人ですか / ？); other languages by whitespace."""
    if lang != "ja":
        items = []
        for w in text.split():
            m = _PUNCT.match(w)
            lead, core, tail = m.groups() if m and m.group(2) else ("", w, "")
            items.append(_Item(lead, core, tail))
        return items, " "
    items = []
    prefix = ""
    for tok in _janome().tokenize(text):
        surface, pos = tok.surface, tok.part_of_speech
        if pos.startswith("記号") or not is_letter_cluster(surface):
            if items and not prefix and not pos.startswith("記号,括弧開"):
                items[-1] = items[-1]._replace(tail=items[-1].tail + surface)
            else:
                prefix += surface
        elif pos.startswith("接頭詞"):
            prefix += surface
        elif items and not prefix and pos.startswith(_JA_ATTACH) and not items[-1].tail:
            items[-1] = items[-1]._replace(core=items[-1].core + surface)
        else:
            m = _PUNCT.match(prefix)
            lead, pre = (m.group(1), m.group(2) + m.group(3)) if m else ("", prefix)
            items.append(_Item(lead, pre + surface, ""))
            prefix = ""
    if prefix:
        items.append(_Item("", "", prefix))
    return items, ""


def _join(items: list[_Item], joiner: str) -> str:
    return joiner.join(i.lead + i.core + i.tail for i in items if i.lead + i.core + i.tail)


class Word(Perturbation):
    """Drop a non-stopword, swap two adjacent words or duplicate a word (``n`` times).  The unit is
    the whitespace word; Japanese is segmented by a dictionary tokenizer (janome, IPADIC), with
    particles, auxiliaries and suffixes kept with their word.  Punctuation stays where it was (a
    dropped word's ``?`` goes to the word before it; swaps and duplicates move words, not marks).
    Each operation is drawn among those whose result the validator accepts (up to ``TRIES``
    draws; e.g. no Latin word swapped into the middle of a katakana name)."""

    name = "word"
    KINDS = ("drop", "swap", "dup")
    PARAMS = {
        "kind": Param(str, "drop", "drop a word, swap two, duplicate one", choices=KINDS),
        "n": Param(int, 1, "operations per query", check=Range(1, 5)),
        "seed": SEED,
    }

    TRIES = 8

    def _candidates(self, items: list[_Item], lang: str) -> list[list[_Item]]:
        """Every result of one operation of this kind on ``items``."""
        kind, out = self.params["kind"], []
        content = [i for i, u in enumerate(items) if _content(u.core, lang)]
        if kind == "drop" and len(content) >= 2:
            for i in content:
                new, gone = list(items), items[i]
                del new[i]
                if i > 0:
                    new[i - 1] = new[i - 1]._replace(tail=new[i - 1].tail + gone.lead + gone.tail)
                else:
                    new[0] = new[0]._replace(lead=gone.lead + gone.tail + new[0].lead)
                out.append(new)
        elif kind == "swap":
            for i in range(len(items) - 1):
                a, b = items[i], items[i + 1]
                if a.core != b.core and is_letter_cluster(a.core) and is_letter_cluster(b.core):
                    out.append([*items[:i], a._replace(core=b.core), b._replace(core=a.core), *items[i + 2 :]])
        elif kind == "dup":
            out = [[*items[:i], _Item("", items[i].core, ""), *items[i:]] for i in content]
        return out

    def apply(self, text: str, lang: str, query_id: str) -> str:
        rng = self.rng(query_id)
        items, joiner = word_items(text, lang)
        for _ in range(int(self.params["n"])):  # type: ignore[arg-type]
            cands = self._candidates(items, lang)
            for new in rng.sample(cands, len(cands))[: self.TRIES]:  # the first that the validator accepts
                if not introduced(_join(new, joiner), text, lang):
                    items = new
                    break
            else:
                break
        return _join(items, joiner)


from xqg_bench.perturb.codemix import CodeMix  # noqa: E402  (defined after Perturbation, which it extends)
from xqg_bench.perturb.romanize import Romanize  # noqa: E402

FAMILIES: dict[str, type[Perturbation]] = {
    "typo": Typo,
    "layout": Layout,
    "script": Script,
    "word": Word,
    "romanize": Romanize,
    "codemix": CodeMix,
}


def _families() -> dict[str, type[Perturbation]]:
    from xqg_bench.perturb.adversarial import Adversarial

    return {**FAMILIES, "adversarial": Adversarial}


def family_names() -> tuple[str, ...]:
    """The name of every variant family (``<query set>/<name>(...)`` is a variant ID)."""
    return tuple(_families())


def variant_params() -> dict[str, dict[str, Param]]:
    """Every variant family's declared parameters (name -> key -> Param)."""
    return {name: cls.PARAMS for name, cls in _families().items()}


def parse_variant(text: str) -> Perturbation:
    """A perturbation from its string, converted and checked against its family's declaration; ValueError
    naming the problem and the fix."""
    families = _families()
    usage = f"one of {sorted(families)}"
    spec = parse_spec(text, "variant", variant_params(), usage, name_what="variant family")
    return families[spec.name](**spec.kwargs())
