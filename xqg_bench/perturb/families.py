"""Query perturbations as values with canonical strings, seeded per query.

``typo(kind=keyboard,n=1,seed=13)``, ``script(kind=alef,rate=0.5,seed=13)``, ``romanize(rate=1.0,seed=13)``,
``word(kind=drop,n=1,seed=13)``, ``codemix(rate=1.0,seed=13)``.  Each query's randomness comes from
(variant string, seed, query id) alone — never from order, process, ``PYTHONHASHSEED`` or threads.
Typos work on extended grapheme clusters (never splitting a cluster or detaching a combining mark);
Korean keyboard typos work on jamo and recompose valid syllables; Japanese keyboard typos are kana
input mistakes (kanji are not typed key by key and are left alone).
"""

from __future__ import annotations

import random
import unicodedata
from abc import ABC, abstractmethod
from functools import lru_cache

from xqg_bench.perturb.keyboards import LAYOUTS, alphabet, neighbours
from xqg_bench.perturb.text import (
    L_JAMO,
    T_JAMO,
    V_JAMO,
    graphemes,
    hangul_compose,
    hangul_decompose,
    is_letter_cluster,
    script_runs,
)
from xqg_bench.spec import check_keys, did_you_mean, format_spec, parse_spec, unknown_name
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


class Perturbation(ABC):
    name: str
    keys: tuple[str, ...]

    def __init__(self, **params: object) -> None:
        self.params = params

    @property
    def spec(self) -> str:
        return format_spec(self.name, self.params, order=self.keys)

    def __str__(self) -> str:
        return self.spec

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Perturbation) and other.spec == self.spec

    def __hash__(self) -> int:
        return hash(self.spec)

    @staticmethod
    def check_rate(family: str, rate: float) -> str:
        """Validate a rate in (0, 1] and return its canonical text."""
        if not 0.0 < rate <= 1.0:
            raise ValueError(f"{family} rate must be in (0, 1], got {rate}")
        return repr(float(rate))

    @property
    def rate(self) -> float:
        return float(self.params["rate"])  # type: ignore[arg-type]

    def rng(self, query_id: str) -> random.Random:
        return random.Random(passage_seed(int(self.params["seed"]), query_id, self.spec))  # type: ignore[arg-type]

    def applicable(self, lang: str) -> bool:
        return lang in LANGS

    @abstractmethod
    def apply(self, text: str, lang: str, query_id: str) -> str: ...


# ------------------------------------------------------------------------------------------ typos


def _random_letter(lang: str, rng: random.Random) -> str:
    if lang == "ko":
        return hangul_compose(rng.choice(L_JAMO), rng.choice(V_JAMO)) or "가"
    letters = [k for k in alphabet(lang) if len(k) == 1 and unicodedata.category(k).startswith("L")]
    return rng.choice(letters)


def _kata_to_hira(ch: str) -> str:
    return chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch


def _hira_to_kata(ch: str) -> str:
    return chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch


def _keyboard_options(cluster: str, lang: str) -> list[str]:
    """Every replacement of ``cluster`` by one adjacent-key mistake that keeps it valid."""
    adj = neighbours(lang)
    if lang == "ko":
        parts = hangul_decompose(cluster) if len(cluster) == 1 else None
        if parts is None:
            return []
        lead, vowel, tail = parts
        out = []
        for slot, pool in ((0, L_JAMO), (1, V_JAMO), (2, T_JAMO[1:])):
            jamo = parts[slot]
            if not jamo:
                continue
            for n in adj.get(jamo, ()):
                if n in pool:
                    new = list(parts)
                    new[slot] = n
                    syl = hangul_compose(*new)
                    if syl:
                        out.append(syl)
        return out
    first, rest = cluster[0], cluster[1:]
    if lang == "ja":
        hira = _kata_to_hira(first)
        kata = hira != first
        opts = [n for n in adj.get(hira, ()) if len(n) == 1 and "ぁ" <= n <= "ゖ"]
        return [(_hira_to_kata(n) if kata else n) + rest for n in opts]
    key = first.lower() if lang in ("en", "fi", "ru") else first
    cat = unicodedata.category(first)
    opts = []
    for n in adj.get(key, ()):
        if len(n) != 1:
            continue
        n = n.upper() if first.isupper() else n
        if unicodedata.category(n) == cat:  # a consonant for a consonant: never a detached vowel sign
            opts.append(n + rest)
    return opts


class Typo(Perturbation):
    """``n`` typos of one kind: insert, delete, substitute (a letter of the query's own script),
    swap adjacent clusters, or keyboard (an adjacent key on the language's layout)."""

    name = "typo"
    keys = ("kind", "n", "seed")
    KINDS = ("insert", "delete", "substitute", "swap", "keyboard")

    def __init__(self, kind: str = "keyboard", n: int = 1, seed: int = 13) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"typo kind must be one of {self.KINDS}, got {kind!r}{did_you_mean(kind, self.KINDS)}")
        if not 1 <= n <= 10:
            raise ValueError(f"typo n (edits per query) must be in 1..10, got {n}")
        super().__init__(kind=kind, n=n, seed=seed)

    def applicable(self, lang: str) -> bool:
        return lang in LAYOUTS

    def apply(self, text: str, lang: str, query_id: str) -> str:
        rng = self.rng(query_id)
        clusters = graphemes(text)
        kind = self.params["kind"]
        for _ in range(int(self.params["n"])):  # type: ignore[arg-type]
            letters = [i for i, c in enumerate(clusters) if is_letter_cluster(c)]
            if not letters:
                break
            if kind == "delete":
                if len(letters) < 2:
                    break
                del clusters[rng.choice(letters)]
            elif kind == "insert":
                clusters.insert(rng.choice(letters + [letters[-1] + 1]), _random_letter(lang, rng))
            elif kind == "substitute":
                i = rng.choice(letters)
                choices = [c for c in (_random_letter(lang, rng) for _ in range(4)) if c != clusters[i]]
                if choices:
                    clusters[i] = choices[0]
            elif kind == "swap":
                pairs = [i for i in letters if i + 1 < len(clusters) and is_letter_cluster(clusters[i + 1])]
                pairs = [i for i in pairs if clusters[i] != clusters[i + 1]]
                if not pairs:
                    break
                i = rng.choice(pairs)
                clusters[i], clusters[i + 1] = clusters[i + 1], clusters[i]
            else:  # keyboard
                options = [(i, _keyboard_options(clusters[i], lang)) for i in letters]
                options = [(i, o) for i, o in options if o]
                if not options:
                    break
                i, opts = rng.choice(options)
                clusters[i] = rng.choice(opts)
        return "".join(clusters)


# ----------------------------------------------------------------------------------- script noise

HARAKAT = "\u064e\u064f\u0650\u0651\u0652"
ALEF_VARIANTS = {"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ي": "ى", "ة": "ه"}
ZWNJ, ZWJ = "\u200c", "\u200d"
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


class Script(Perturbation):
    """Script-level noise typed by real users: Arabic harakat, tatweel and alef/hamza/yeh/teh-marbuta
    variants; ZWJ/ZWNJ in Bengali and Telugu; Unicode NFD/NFKC; Japanese hiragana<->katakana and
    half-width katakana; Korean syllables decomposed into conjoining jamo."""

    name = "script"
    keys = ("kind", "rate", "seed")

    def __init__(self, kind: str = "nfd", rate: float = 1.0, seed: int = 13) -> None:
        if kind not in SCRIPT_KINDS:
            raise ValueError(
                f"script kind must be one of {sorted(SCRIPT_KINDS)}, got {kind!r}{did_you_mean(kind, SCRIPT_KINDS)}"
            )
        super().__init__(kind=kind, rate=self.check_rate("script", rate), seed=seed)

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
        out: list[str] = []
        clusters = graphemes(text)
        for i, c in enumerate(clusters):
            nxt = clusters[i + 1] if i + 1 < len(clusters) else ""
            if kind == "diacritics" and "ء" <= c[0] <= "ي" and len(c) == 1 and rng.random() < rate:
                c += rng.choice(HARAKAT)
            elif kind == "tatweel" and "ء" <= c[0] <= "ي" and nxt[:1] and "ء" <= nxt[0] <= "ي" and rng.random() < rate:
                c += "ـ"
            elif kind == "alef" and c[0] in ALEF_VARIANTS and rng.random() < rate:
                c = ALEF_VARIANTS[c[0]] + c[1:]
            elif kind == "zwj" and VIRAMA[lang] in c and rng.random() < rate:
                c = c.replace(VIRAMA[lang], VIRAMA[lang] + rng.choice((ZWNJ, ZWJ)), 1)
            elif kind == "jamo" and hangul_decompose(c[0]) and rng.random() < rate:
                c = unicodedata.normalize("NFD", c)
            out.append(c)
        if kind in ("kana", "halfwidth"):
            runs = script_runs("".join(out))
            res = []
            for run in runs:
                if rng.random() < rate:
                    if kind == "kana":
                        run = "".join(_hira_to_kata(ch) if "ぁ" <= ch <= "ゖ" else _kata_to_hira(ch) for ch in run)
                    elif any("ァ" <= ch <= "ヶ" for ch in run):
                        table = _halfwidth_table()
                        run = "".join(table.get(ch, ch) for ch in unicodedata.normalize("NFD", run))
                res.append(run)
            return "".join(res)
        return "".join(out)


# ------------------------------------------------------------------------------ words and names


def _units(text: str, lang: str) -> tuple[list[str], str]:
    """Word units and the joiner: whitespace words; for unsegmented Japanese, script runs."""
    return (script_runs(text), "") if lang == "ja" else (text.split(), " ")


def _content(unit: str, lang: str) -> bool:
    return is_letter_cluster(unit) and unit.strip("?？!！.。،؟") not in STOPWORDS.get(lang, frozenset())


class Word(Perturbation):
    """Drop a non-stopword, swap two adjacent words or duplicate a word (``n`` times).  The unit is
    the whitespace word; for Japanese, which is not segmented, it is the script run (a run of kanji,
    of hiragana, of katakana, ...)."""

    name = "word"
    keys = ("kind", "n", "seed")
    KINDS = ("drop", "swap", "dup")

    def __init__(self, kind: str = "drop", n: int = 1, seed: int = 13) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"word kind must be one of {self.KINDS}, got {kind!r}{did_you_mean(kind, self.KINDS)}")
        if not 1 <= n <= 5:
            raise ValueError(f"word n must be in 1..5, got {n}")
        super().__init__(kind=kind, n=n, seed=seed)

    def apply(self, text: str, lang: str, query_id: str) -> str:
        rng, kind = self.rng(query_id), self.params["kind"]
        units, joiner = _units(text, lang)
        for _ in range(int(self.params["n"])):  # type: ignore[arg-type]
            content = [i for i, u in enumerate(units) if _content(u, lang)]
            if kind == "drop":
                if len(content) < 2:
                    break
                del units[rng.choice(content)]
            elif kind == "swap":
                pairs = [
                    i for i in range(len(units) - 1) if units[i] != units[i + 1] and is_letter_cluster(units[i + 1])
                ]
                pairs = [i for i in pairs if is_letter_cluster(units[i])]
                if not pairs:
                    break
                i = rng.choice(pairs)
                units[i], units[i + 1] = units[i + 1], units[i]
            else:
                if not content:
                    break
                i = rng.choice(content)
                units.insert(i, units[i])
        return joiner.join(units)


from xqg_bench.perturb.codemix import CodeMix  # noqa: E402  (defined after Perturbation, which it extends)
from xqg_bench.perturb.romanize import Romanize  # noqa: E402

FAMILIES: dict[str, type[Perturbation]] = {
    "typo": Typo,
    "script": Script,
    "word": Word,
    "romanize": Romanize,
    "codemix": CodeMix,
}


def _families() -> dict[str, type[Perturbation]]:
    from xqg_bench.perturb.adversarial import Adversarial

    return {**FAMILIES, "adversarial": Adversarial}


def parse_variant(text: str) -> Perturbation:
    """A perturbation from its canonical string; ValueError naming the problem and the fix."""
    spec = parse_spec(text, "variant")
    families = _families()
    cls = families.get(spec.name)
    if cls is None:
        raise unknown_name("variant family", spec.name, families, text, f"one of {sorted(families)}")
    check_keys(spec, cls.keys, text)
    params: dict[str, object] = {}
    for k, v in spec.params:
        if k in ("n", "seed", "budget", "cands"):
            try:
                params[k] = int(v)
            except ValueError:
                raise ValueError(f"{k} must be an integer in {text!r}") from None
        elif k == "rate":
            try:
                params[k] = float(v)
            except ValueError:
                raise ValueError(f"rate must be a number in {text!r}") from None
        else:
            params[k] = v
    return cls(**params)  # type: ignore[arg-type]
