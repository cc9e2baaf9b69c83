"""Code-mixing: native words and names replaced by the English a bilingual user would type.

``codemix(rate=R,seed=S)`` uses the CLDR names (territories, cities, currencies, languages);
``codemix(lexicon=parallel|both,rate=R,seed=S)`` the lexicon aligned from parallel XOR-TyDi
questions (``data/codemix_parallel.json``, rebuilt by ``scripts/build_codemix_lexicon.py``) or both
(the parallel entry wins where they disagree).

Matching is on whole words: a word is a maximal run of ``regex`` ``\\w`` (letters, combining marks,
viramas, digits, ZWJ/ZWNJ), so a name never matches inside a longer word; Japanese, which has no
spaces, is matched on whole tokens of the Janome segmenter.  Inflected forms match their entry and
what happens to the ending is what code-mixing writers do in each language:

- ``fi``: a name keeps its case ending after a colon, as Finnish writes endings on foreign names
  (``Norjan`` -> ``Norway:n``, ``Helsingissä`` -> ``Helsinki:ssä``, the stem's vowel dropped:
  ``Unkarin`` -> ``Hungary:n``); a common noun is left bare
  (``kirjaan`` -> ``book``); stems with vowel change and consonant gradation are matched
  (Suomi/Suome-, Helsinki/Helsingi-).
- ``ru``: the English word is not declined (``в Норвегии`` -> ``в Norway``).
- ``ar``: the English word does not take the article; the proclitics و ف ب ل ك stay in Arabic,
  written apart from it (``بالهند`` -> ``ب India``, ``والعراق`` -> ``و Iraq``, ``الهند`` -> ``India``).
- ``ko``: the particle stays attached to the English word in the allomorph its Korean reading takes
  (``중국이`` -> ``China가``, ``일본은`` -> ``Japan은``, ``브라질로`` -> ``Brazil로``): an English word
  ending in n, m, ng, l (a silent e after them ignored: game 게임) or a vowel + p/k (cup 컵) is read
  with a final consonant, any other with a final vowel (France is read 프랑스).
- ``bn``: the case ending is kept after a hyphen (``ভারতের`` -> ``India-এর``, ``ঢাকায়`` -> ``Dhaka-য়``),
  a vowel sign written as its independent vowel.
- ``te``: the postposition follows the English word as a separate word (``భారతదేశంలో`` ->
  ``India లో``).
- ``ja``: the English word replaces the whole tokens (``ノルウェーの首都`` -> ``Norwayの首都``), never
  tokens with kanji or katakana on both sides (one written compound: ドイツ|騎士団, ・-joined names).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache

import regex

from xqg_bench.core.spec import Param
from xqg_bench.datasets.cldr import gazetteer
from xqg_bench.perturb.base import RATE, SEED, Perturbation
from xqg_bench.perturb.romanize import japanese_tokens

LEXICONS = ("cldr", "parallel", "both")
PARALLEL_PATH = os.path.join(os.path.dirname(__file__), "data", "codemix_parallel.json")
WORD = regex.compile(r"\w+")
COMPOUND = regex.compile(r"\w+(?:[-\u2010\u2011\u2013]\w+)*")  # Etelä-Afrikka, আরব-ইসরায়েলি: one word

# inflectional endings and clitics a lexicon word may carry (longest tried first)
FI_ENDINGS = tuple(
    sorted(
        {
            "n",
            "a",
            "ä",
            "ta",
            "tä",
            "na",
            "nä",
            "ssa",
            "ssä",
            "sta",
            "stä",
            "han",
            "hen",
            "hin",
            "hon",
            "hun",
            "hyn",
            "hän",
            "hön",
            "seen",
            "lla",
            "llä",
            "lta",
            "ltä",
            "lle",
            "ksi",
            "tta",
            "ttä",
            "ineen",
            "in",
            "en",
            "ja",
            "jä",
            "iin",
            "ihin",
            "issa",
            "issä",
            "ista",
            "istä",
            "illa",
            "illä",
            "ilta",
            "iltä",
            "ille",
            "ina",
            "inä",
            "iksi",
            "ien",
            "jen",
            "den",
            "tten",
            "kin",
            "kaan",
            "kään",
            "ko",
            "kö",
            "nkin",
            "ssakin",
        },
        key=lambda s: (-len(s), s),
    )
)
RU_ENDINGS = tuple(
    sorted(
        {
            "а",
            "я",
            "у",
            "ю",
            "е",
            "и",
            "ы",
            "ой",
            "ей",
            "ом",
            "ем",
            "ам",
            "ям",
            "ах",
            "ях",
            "ами",
            "ями",
            "ого",
            "его",
            "ому",
            "ему",
            "ых",
            "их",
            "ую",
            "юю",
            "ий",
            "ый",
            "ое",
            "ее",
            "ая",
            "яя",
            "ым",
            "им",
            "ии",
            "ию",
            "ией",
            "ь",
            "о",
        },
        key=lambda s: (-len(s), s),
    )
)
KO_PARTICLES = tuple(
    sorted(
        {
            "은",
            "는",
            "이",
            "가",
            "을",
            "를",
            "의",
            "에",
            "에서",
            "에서는",
            "에서의",
            "에게",
            "로",
            "으로",
            "와",
            "과",
            "도",
            "만",
            "까지",
            "부터",
            "이다",
            "인가",
            "인가요",
            "입니까",
            "이야",
            "은요",
            "로는",
            "으로는",
            "에는",
            "와의",
            "과의",
            "보다",
            "처럼",
            "하고",
            "랑",
            "이랑",
            "에서도",
            "에도",
            "이란",
            "란",
        },
        key=lambda s: (-len(s), s),
    )
)
# Korean particle allomorphs: (after a final consonant, after a vowel); ㄹ-final takes the vowel form of 로
KO_PAIRS = {"은": "는", "이": "가", "을": "를", "과": "와", "으로": "로", "으로는": "로는", "이랑": "랑", "이란": "란",
            "이다": "다", "이야": "야", "인가": "인가", "은요": "는요"}  # fmt: skip
BN_ENDINGS = tuple(
    sorted(
        {
            "এর",
            "ের",
            "র",
            "এ",
            "ে",
            "\u09df",
            "\u09af\u09bc",
            "তে",
            "কে",
            "রা",
            "দের",
            "ও",
            "টি",
            "টা",
            "ই",
            "েই",
            "েরই",
            "েও",
        }
        | {"\u09df\u09c7\u09b0", "\u09af\u09bc\u09c7\u09b0"},
        key=lambda s: (-len(s), s),
    )
)
TE_ENDINGS = tuple(
    sorted(
        {"లో", "లోని", "కు", "కి", "ను", "ని", "తో", "పై", "యొక్క", "లోనే", "నుండి", "నుంచి", "లు", "లోకి", "కే"},
        key=lambda s: (-len(s), s),
    )
)
AR_PROCLITICS = ("وبال", "وال", "بال", "فال", "كال", "لل", "ال", "وب", "ول", "و", "ب", "ل", "ف", "ك")
_BN_SIGN_TO_VOWEL = dict(zip("\u09be\u09bf\u09c0\u09c1\u09c2\u09c3\u09c7\u09c8\u09cb\u09cc", "আইঈউঊঋএঐওঔ", strict=True))


def _fi_stems(name: str) -> set[str]:
    """Stems a Finnish name takes before a case ending: itself, i -> e (Suomi: Suome-), and
    consonant gradation in the last syllable (Helsinki: Helsingi-, Turku: Turu-)."""
    stems = {name}
    if name.endswith("i") and len(name) > 3:
        stems.add(name[:-1] + "e")
    for strong, weak in (("nk", "ng"), ("kk", "k"), ("pp", "p"), ("tt", "t"), ("nt", "nn"), ("lt", "ll"),
                         ("rt", "rr"), ("mp", "mm"), ("rk", "rj"), ("lk", "lj")):  # fmt: skip
        for s in list(stems):
            i = s.rfind(strong)
            if i > 0 and len(s) - i <= 4:
                stems.add(s[:i] + weak + s[i + len(strong) :])
    return stems


def _ru_stems(name: str) -> set[str]:
    stems = {name}
    if name[-1:] in "аяьйоеи" and len(name) > 4:
        stems.add(name[:-1])
    if name.endswith(("ия", "ий")):
        stems.add(name[:-2] + "и")
    return stems


def korean_particle(english: str, particle: str) -> str:
    """The allomorph of ``particle`` for an English word as Korean readers pronounce it."""
    low = english.lower().rstrip(".")
    if len(low) > 2 and low.endswith("e") and low[-2] in "mnl" and low[-3] in "aeiouy":
        low = low[:-1]  # game 게임, line 라인, mobile 모바일: a silent e
    consonant = low.endswith(("n", "m", "ng", "l")) or (low[-2:-1] in tuple("aeiou") and low[-1:] in ("p", "k"))
    rieul = low.endswith("l")
    for after_c, after_v in KO_PAIRS.items():
        if particle in (after_c, after_v):
            if after_c in ("으로", "으로는") and rieul:
                return after_v
            return after_c if consonant else after_v
    return particle


@lru_cache(maxsize=1)
def _cldr_names() -> dict[str, dict[str, str]]:
    """lang -> localised CLDR name -> English name (territories, cities, currencies, languages)."""
    by_name, _ = gazetteer()
    out: dict[str, dict[str, str]] = {}
    for english, entity in sorted(by_name.items()):
        for lang, local in sorted(entity.names.items()):
            if local and local != english and len(local) >= 2:
                out.setdefault(lang, {}).setdefault(local, english)
    return out


@lru_cache(maxsize=1)
def _parallel_data() -> dict:
    try:
        with open(PARALLEL_PATH, encoding="utf-8") as f:
            data = json.load(f)
        data["lexicon"], data["cldr_blocklist"]  # noqa: B018
    except (OSError, ValueError, KeyError) as e:
        raise ValueError(f"{PARALLEL_PATH}: cannot read the code-mixing lexicon ({e!r}); reinstall the package or "
                         "rebuild it with scripts/build_codemix_lexicon.py") from None  # fmt: skip
    return data


def _parallel_names() -> dict[str, dict[str, str]]:
    return {lang: dict(entries) for lang, entries in _parallel_data()["lexicon"].items()}


def cldr_blocklist(lang: str) -> frozenset[str]:
    """CLDR forms that the parallel questions show to be other words (Arabic ماهي "what is" is not the
    Seychelles island Mahé; Russian Лев is Leo, not the Bulgarian lev): never switched."""
    return frozenset(_parallel_data()["cldr_blocklist"].get(lang, ()))


@lru_cache(maxsize=3)
def lexicon(which: str) -> dict[str, dict[str, str]]:
    """lang -> native form -> English, for ``cldr``, ``parallel`` or ``both`` (parallel wins)."""
    if which == "cldr":
        return _cldr_names()
    if which == "parallel":
        return _parallel_names()
    out = {lang: dict(d) for lang, d in _cldr_names().items()}
    for lang, d in _parallel_names().items():
        out.setdefault(lang, {}).update(d)
    return out


class _Matcher:
    """All lexicon entries of one language, found as whole words (with their endings)."""

    def __init__(self, lang: str, entries: dict[str, str], blocked: frozenset[str] = frozenset()) -> None:
        self.lang = lang
        self.forms: dict[str, str] = {}  # a form the text may contain (stem) -> English
        for native, english in sorted(entries.items()):
            stems = {native}
            if lang == "fi":
                stems = _fi_stems(native)
            elif lang == "ru":
                stems = _ru_stems(native)
            for s in sorted(stems - blocked):
                self.forms.setdefault(s, english)
        self.index()

    def index(self) -> None:
        self.by_first: dict[str, list[str]] = {}
        for form in sorted(self.forms, key=lambda s: (-len(s), s)):
            self.by_first.setdefault(form[0], []).append(form)

    def endings(self) -> tuple[str, ...]:
        return {"fi": FI_ENDINGS, "ru": RU_ENDINGS, "ko": KO_PARTICLES, "bn": BN_ENDINGS, "te": TE_ENDINGS}.get(
            self.lang, ()
        )

    def matches(self, text: str) -> list[tuple[int, int, str, str, str]]:
        """Non-overlapping (start, end, prefix, ending, english), leftmost then longest."""
        if self.lang == "ja":
            return self._japanese(text)
        ends = {m.end() for m in COMPOUND.finditer(text)}
        found = []
        pos = 0
        for m in COMPOUND.finditer(text):
            if m.start() < pos:
                continue
            hit = self._at(text, m.start(), ends)
            if hit:
                found.append(hit)
                pos = hit[1]
        return found

    def _at(self, text: str, start: int, ends: set[int]) -> tuple[int, int, str, str, str] | None:
        prefixes = [""]
        if self.lang == "ar":
            prefixes += [p for p in AR_PROCLITICS if text.startswith(p, start)]
        for prefix in prefixes:
            s = start + len(prefix)
            # after a proclitic that ends in the article (بال، لل), an entry may be written with its article
            heads = ["", "ال"] if prefix.endswith(("ال", "لل")) else [""]
            for head in heads:
                rest = head + text[s:]
                for form in self.by_first.get(rest[:1], ()):
                    if not rest.startswith(form) or (head and not form.startswith(head)):
                        continue
                    if prefix.endswith("ال") and not head and form.startswith("ال"):
                        continue
                    e = s + len(form) - len(head)
                    if e in ends:
                        return (start, e, prefix, "", self.forms[form])
                    for ending in self.endings():
                        if text.startswith(ending, e) and e + len(ending) in ends:
                            return (start, e + len(ending), prefix, ending, self.forms[form])
        return None

    def _japanese(self, text: str) -> list[tuple[int, int, str, str, str]]:
        bounds, pos = {0}, 0
        for tok in japanese_tokens(text):
            pos += len(tok.surface)
            bounds.add(pos)
        found, i = [], 0
        while i < len(text):
            hit = None
            if i in bounds:
                for form in self.by_first.get(text[i], ()):
                    j = i + len(form)
                    if text.startswith(form, i) and j in bounds and not _inside_compound(text, i, j):
                        hit = (i, j, "", "", self.forms[form])
                        break
            if hit:
                found.append(hit)
                i = hit[1]
            else:
                i += 1
        return found


_COMPOUND_CHAR = regex.compile(r"[\p{Han}\p{Katakana}々〆ー・･]")


def _inside_compound(text: str, start: int, end: int) -> bool:
    """Tokens with kanji or katakana (or ・ ー) on both sides are part of one written compound
    (第一次|世界大戦|中, ジョン・ローレンス・シーゲンソーラー, ドイツ|騎士団): a writer switches the whole
    compound or nothing."""
    left, right = text[start - 1 : start], text[end : end + 1]
    return bool(left and right and _COMPOUND_CHAR.match(left) and _COMPOUND_CHAR.match(right))


@lru_cache(maxsize=32)
def _matcher(which: str, lang: str) -> _Matcher:
    if which == "both":  # parallel entries as they are, CLDR ones unless blocked
        m = _Matcher(lang, _cldr_names().get(lang, {}), cldr_blocklist(lang))
        m_par = _Matcher(lang, _parallel_names().get(lang, {}))
        merged = _Matcher(lang, {})
        merged.forms = {**m.forms, **m_par.forms}
        merged.index()
        return merged
    blocked = cldr_blocklist(lang) if which == "cldr" else frozenset()
    return _Matcher(lang, lexicon(which).get(lang, {}), blocked)


def render(lang: str, prefix: str, english: str, ending: str) -> str:
    """The English word with what a code-mixing writer keeps of the native prefix and ending."""
    out = english
    if ending:
        if lang == "fi":  # a name takes the ending after a colon; a common noun is left bare
            case = ending.lstrip("aeiouyäö") or ending  # the case marker without the stem's vowel: Unkar|in -> :n
            out = f"{english}:{case}" if english[:1].isupper() else english
        elif lang == "ko":
            out = english + korean_particle(english, ending)
        elif lang == "bn":
            first = _BN_SIGN_TO_VOWEL.get(ending[0], ending[0])
            out = f"{english}-{first}{ending[1:]}"
        elif lang == "te":
            out = f"{english} {ending}"
    if lang == "ar":  # the English word does not take the Arabic article; a conjunction or preposition stays
        prefix = prefix[:-2] if prefix.endswith("ال") else prefix[:-1] if prefix.endswith("لل") else prefix
    return f"{prefix} {out}" if prefix else out


class CodeMix(Perturbation):
    """Code-mixing: native words and names replaced by their English (CLDR names, a lexicon aligned
    from parallel questions, or both), each occurrence with probability ``rate``; whole words only,
    inflected forms handled as code-mixing writers of each language do (see the module docstring)."""

    name = "codemix"
    PARAMS = {
        "lexicon": Param(str, "cldr", "where the English comes from", choices=LEXICONS, omit_default=True),
        "rate": RATE,
        "seed": SEED,
    }

    @property
    def lexicon(self) -> str:
        return str(self.params.get("lexicon", self.PARAMS["lexicon"].default))

    def applicable(self, lang: str) -> bool:
        return bool(lexicon(self.lexicon).get(lang))

    def replacements(self, text: str, lang: str, query_id: str) -> list[tuple[int, int, str]]:
        """(start, end, replacement) of each occurrence replaced in ``text`` (spans of the input)."""
        if not self.applicable(lang):
            return []
        rng = self.rng(query_id)
        out = []
        for start, end, prefix, ending, english in _matcher(self.lexicon, lang).matches(text):
            if rng.random() < self.rate:
                out.append((start, end, render(lang, prefix, english, ending)))
        return out

    def apply(self, text: str, lang: str, query_id: str) -> str:
        out, pos = "", 0
        for start, end, new in self.replacements(text, lang, query_id):
            out += text[pos:start]
            if lang == "ja" and out[-1:].isascii() and out[-1:].isalnum():  # two English words: spaced
                out += " "
            out += new
            pos = end
        if lang == "ja" and text[pos : pos + 1].isascii() and text[pos : pos + 1].isalnum() and pos:
            out += " "
        return out + text[pos:]
