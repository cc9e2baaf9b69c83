"""Romanisation as people type it, one scheme per language and a few explicit ones.

``romanize(rate=R,seed=S)`` uses each language's *common* scheme — what users write when they type
the language in Latin letters; ``romanize(scheme=NAME,rate=R,seed=S)`` picks one explicitly:

===========  =====  ==============================================================================
scheme       langs  what
===========  =====  ==============================================================================
hepburn      ja     Hepburn romaji of the whole sentence, kanji included: readings from a real
                    morphological analyser (Janome, IPADIC), particles は/へ/を as wa/e/o, っ as a
                    doubled consonant, long vowels without macrons (Tōkyō -> tokyo), words spaced
                    as romaji writers do (verb endings and auxiliaries kept with their verb)
wapuro       ja     the same words spelled kana by kana as typed into an IME (toukyou, ー doubles
                    the vowel)
rr           ko     Revised Romanization of Korean (2000) with its sound changes inside a word:
                    liaison, nasalisation, lateralisation, ㅎ-aspiration, palatalisation
chat         bn te  the phonetic spelling of chat and search boxes: the inherent vowel kept (Bengali
                    ``o``, Telugu ``a``), Bengali schwa deletion word-finally and in VC_CV,
                    no diacritics (কলকাতা -> kolkata, హైదరాబాద్ -> haidarabad)
arabizi      ar     the Arabic chat alphabet: 2 3 5 7 for ء ع خ ح, long vowels written, a short
                    ``a`` where a syllable needs one, ``al`` for the article (العملة -> al3amla)
translit     ru     the common Russian "translit" (ж zh, х h, ц ts, ч ch, ш sh, щ sch, ю yu, я ya,
                    ь/ъ dropped, -ий/-ый -> -y)
anyascii     all    anyascii's transliteration (consonant skeletons for Arabic, vowel-less Bengali
                    and Telugu, Chinese readings for kanji): only when asked for
===========  =====  ==============================================================================

Every scheme is deterministic; ``rate`` < 1 romanises each word with probability ``rate`` (the
draw comes from (variant string, seed, query id), as in every family).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import NamedTuple

import regex

from xqg_bench.core.spec import Param
from xqg_bench.perturb.base import RATE, SEED, Perturbation
from xqg_bench.perturb.text import hangul_decompose

COMMON = {"ja": "hepburn", "ko": "rr", "bn": "chat", "te": "chat", "ar": "arabizi", "ru": "translit"}
SCHEMES: dict[str, tuple[str, ...]] = {
    "common": tuple(COMMON),
    "hepburn": ("ja",),
    "wapuro": ("ja",),
    "rr": ("ko",),
    "chat": ("bn", "te"),
    "arabizi": ("ar",),
    "translit": ("ru",),
    "anyascii": tuple(COMMON),
}
NATIVE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Arabic}\p{Bengali}\p{Telugu}\p{Cyrillic}]")


# ----------------------------------------------------------------------------------------- Japanese

_KANA = {
    **dict(zip("アイウエオ", ["a", "i", "u", "e", "o"], strict=True)),
    **dict(zip("カキクケコガギグゲゴ", "ka ki ku ke ko ga gi gu ge go".split(), strict=True)),
    **dict(zip("サシスセソザジズゼゾ", "sa shi su se so za ji zu ze zo".split(), strict=True)),
    **dict(zip("タチツテトダヂヅデド", "ta chi tsu te to da ji zu de do".split(), strict=True)),
    **dict(zip("ナニヌネノハヒフヘホ", "na ni nu ne no ha hi fu he ho".split(), strict=True)),
    **dict(zip("バビブベボパピプペポ", "ba bi bu be bo pa pi pu pe po".split(), strict=True)),
    **dict(zip("マミムメモヤユヨラリルレロ", "ma mi mu me mo ya yu yo ra ri ru re ro".split(), strict=True)),
    **dict(zip("ワヰヱヲンヴァィゥェォャュョヮ", "wa i e o n vu a i u e o ya yu yo wa".split(), strict=True)),
}
_YOON = {"ャ": "a", "ュ": "u", "ョ": "o"}
_FOREIGN = {
    "ティ": "ti", "ディ": "di", "トゥ": "tu", "ドゥ": "du", "デュ": "dyu", "テュ": "tyu", "ファ": "fa", "フィ": "fi",
    "フェ": "fe", "フォ": "fo", "フュ": "fyu", "ウィ": "wi", "ウェ": "we", "ウォ": "wo", "ヴァ": "va", "ヴィ": "vi",
    "ヴェ": "ve", "ヴォ": "vo", "シェ": "she", "ジェ": "je", "チェ": "che", "ツァ": "tsa", "ツィ": "tsi", "ツェ": "tse",
    "ツォ": "tso", "イェ": "ye", "クァ": "kwa", "グァ": "gwa", "スィ": "si", "ズィ": "zi",
}  # fmt: skip


def _kata(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def kana_romaji(kana: str, scheme: str = "hepburn") -> str:
    """Romaji of a kana string (hiragana or katakana), Hepburn spelling; ``wapuro`` keeps ou/ー as typed."""
    k = _kata(kana)
    out: list[str] = []
    i, double = 0, False
    while i < len(k):
        two, c = k[i : i + 2], k[i]
        if two in _FOREIGN:
            syl, i = _FOREIGN[two], i + 2
        elif len(two) == 2 and two[1] in _YOON and c in _KANA and c not in "ャュョ" and _KANA[c].endswith("i"):
            base = _KANA[c][:-1]  # キャ kya, シャ sha, チャ cha, ジャ ja
            syl, i = (base if base.endswith(("sh", "ch", "j")) else base + "y") + _YOON[two[1]], i + 2
        elif c == "ッ":
            double, i = True, i + 1
            continue
        elif c == "ー":
            if out and out[-1][-1:] in "aiueo":
                out.append(out[-1][-1] if scheme == "wapuro" else "\u0304")  # marked, dropped below
            i += 1
            continue
        elif c in _KANA:
            syl, i = _KANA[c], i + 1
        elif c in "・･":
            syl, i = " ", i + 1
        else:
            syl, i = c, i + 1
        if double and syl[:1].isalpha() and syl[0] not in "aiueon":
            syl = ("t" + syl) if syl.startswith("ch") else syl[0] + syl
        double = False
        out.append(syl)
    text = "".join(out)
    if scheme == "hepburn":  # long vowels without macrons, as on passports and signs
        text = text.replace("\u0304", "")
    return text


def _hepburn_long(word: str) -> str:
    return regex.sub(r"o[ou]|uu", lambda m: m.group(0)[0], word)


@lru_cache(maxsize=1)
def _janome():  # type: ignore[no-untyped-def]
    from janome.tokenizer import Tokenizer

    return Tokenizer()


class Token(NamedTuple):
    surface: str
    part_of_speech: str
    reading: str
    base_form: str


@lru_cache(maxsize=16384)
def japanese_tokens(text: str) -> tuple[Token, ...]:
    """Janome's tokens of ``text`` (IPADIC), cached: romanisation, code-mixing and the aligner share them."""
    return tuple(Token(t.surface, t.part_of_speech, t.reading, t.base_form) for t in _janome().tokenize(text))


_PARTICLE = {"は": "wa", "へ": "e", "を": "o"}
_ATTACH_AUX_EXCEPT = ("です", "だ", "でしょ", "でし")


def japanese_words(text: str, scheme: str = "hepburn") -> list[tuple[str, str, bool]]:
    """(surface, romaji, attaches to the previous word) for each token of ``text``."""
    out: list[tuple[str, str, bool]] = []
    for tok in japanese_tokens(text):
        surface, pos = tok.surface, tok.part_of_speech.split(",")
        base = tok.base_form
        if not NATIVE.search(surface):
            sym = unicodedata.normalize("NFKC", surface).replace("・", " ").replace("、", ",").replace("。", ".")
            sym = sym.replace("「", '"').replace("」", '"').replace("『", '"').replace("』", '"').replace("〜", "~")
            out.append((surface, sym, bool(sym) and not sym[0].isalnum() and sym[0] not in "(\"'"))
            continue
        if pos[0] == "助詞" and surface in _PARTICLE:
            out.append((surface, _PARTICLE[surface], False))
            continue
        reading = tok.reading if tok.reading != "*" else ""
        if not reading:
            reading = _reading_by_char(surface)
        rom = kana_romaji(reading, scheme)
        if scheme == "hepburn" and pos[0] != "動詞":
            rom = _hepburn_long(rom)
        attach = (
            (pos[0] == "助動詞" and base not in _ATTACH_AUX_EXCEPT)
            or (pos[0] == "動詞" and pos[1] == "接尾")
            or (pos[0] == "助詞" and pos[1] == "接続助詞" and surface in ("て", "で"))
        )
        out.append((surface, rom, attach))
    return out


def _reading_by_char(surface: str) -> str:
    """Reading of a token the dictionary does not know: kana as written, each kanji read alone."""
    parts = []
    for ch in surface:
        if regex.match(r"[\p{Hiragana}\p{Katakana}ー]", ch):
            parts.append(ch)
            continue
        toks = japanese_tokens(ch)
        reading = toks[0].reading if toks and toks[0].reading != "*" else ""
        if not reading:
            from anyascii import anyascii

            reading = anyascii(ch).lower()
        parts.append(reading)
    return "".join(parts)


def _join_words(parts: list[tuple[str, bool]]) -> str:
    text = ""
    for piece, attach in parts:
        text += piece if attach or not text else " " + piece
    return " ".join(text.split())


# ------------------------------------------------------------------------------------------ Korean


def _table(keys: str, values: str) -> dict[str, str]:
    return dict(zip(keys, values.split(), strict=True))


_RR_INITIAL = dict(
    zip("ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ", "g kk n d tt r m b pp s ss - j jj ch k t p h".split(), strict=True)
)
_RR_VOWEL = dict(
    zip(
        "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ",
        "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split(),
        strict=True,
    )
)
# a final's sound before a pause or a consonant (the seven representative finals)
_RR_FINAL = {"": ""} | _table(
    "ㄱㄲㅋㄳㄺㄴㄵㄶㄷㅅㅆㅈㅊㅌㅎㄹㄼㄽㄾㅀㅁㄻㅂㅍㅄㄿㅇ", "k k k k k n n n t t t t t t t l l l l l m m p p p p ng"
)
# liaison: (what stays, what moves to the next syllable's empty onset)
_RR_LIAISON = {
    final: (keep.replace("-", ""), move.replace("-", ""))
    for final, keep, move in zip(
        "ㄳㄵㄶㄺㄻㄼㄽㄾㄿㅀㅄㅎㅇ", "ㄱㄴㄴㄹㄹㄹㄹㄹㄹㄹㅂ-ㅇ", "ㅅㅈ-ㄱㅁㅂㅅㅌㅍ-ㅅ--", strict=True
    )
}
_ASPIRATE = {"ㄱ": "ㅋ", "ㄷ": "ㅌ", "ㅈ": "ㅊ", "ㅂ": "ㅍ"}


def revised_romanization(word: str) -> str:
    """Revised Romanization of one Korean word with the sound changes the 2000 rules transcribe:
    liaison (국어 gugeo), nasalisation (국물 gungmul, 종로 jongno), lateralisation (신라 silla),
    ㅎ + ㄱ/ㄷ/ㅈ aspiration (좋고 joko), palatalisation (굳이 guji).  Tensification is not written
    (RR does not write it); ㄱ/ㄷ/ㅂ + ㅎ keeps the h (as RR does in nouns: 묵호 Mukho)."""
    syl = [list(hangul_decompose(c)) if hangul_decompose(c) else None for c in word]
    # sound changes between adjacent syllables: final of i, onset of i + 1
    for i in range(len(syl) - 1):
        a, b = syl[i], syl[i + 1]
        if a is None or b is None:
            continue
        t, lead = a[2], b[0]
        if lead == "ㅇ" and t:
            if t in ("ㄷ", "ㅌ") and b[1] == "ㅣ":  # palatalisation
                a[2], b[0] = "", "ㅈ" if t == "ㄷ" else "ㅊ"
            elif t in _RR_LIAISON:
                keep, move = _RR_LIAISON[t]
                a[2] = keep
                if move:
                    b[0] = move
            else:
                a[2], b[0] = "", t if t != "ㅆ" else "ㅆ"
            continue
        if t in ("ㅎ", "ㄶ", "ㅀ") and lead in ("ㄱ", "ㄷ", "ㅈ"):  # aspiration
            a[2], b[0] = {"ㅎ": "", "ㄶ": "ㄴ", "ㅀ": "ㄹ"}[t], _ASPIRATE[lead]
            continue
        sound = _RR_FINAL[t]
        if lead == "ㄴ" and sound == "l":  # lateralisation: 설날 seollal
            b[0] = "ㄹ"
            continue
        if lead == "ㄹ":
            if sound in ("l", "n"):  # lateralisation: 신라 silla
                a[2], b[0] = "ㄹ", "ㄹ"
                a.append("l")
                continue
            if sound:  # ㄹ after other consonants is read ㄴ, then nasalisation: 종로 jongno, 독립 dongnip
                b[0] = "ㄴ"
        if b[0] in ("ㄴ", "ㅁ") and sound in ("k", "t", "p"):  # nasalisation
            a.append({"k": "ng", "t": "n", "p": "m"}[sound])
    out = []
    for i, (c, parts) in enumerate(zip(word, syl, strict=True)):
        if parts is None:  # a lone compatibility jamo (a typo in the source) reads as its sound
            out.append(_RR_VOWEL.get(c) or _RR_FINAL.get(c) if c != "ㅇ" else "ng")
            out[-1] = out[-1] or c
            continue
        lead, vowel, tail = parts[:3]
        initial = _RR_INITIAL[lead].replace("-", "")
        if lead == "ㄹ" and (i == 0 or syl[i - 1] is None):
            initial = "r"
        if lead == "ㄹ" and i > 0 and syl[i - 1] is not None and syl[i - 1][2] == "ㄹ":  # type: ignore[index]
            initial = "l"
        final = parts[3] if len(parts) > 3 else _RR_FINAL[tail]
        out.append(initial + _RR_VOWEL[vowel] + final)
    return "".join(out)


# ------------------------------------------------------------------------------ Bengali and Telugu


_BN_SIGNS = "\u09be\u09bf\u09c0\u09c1\u09c2\u09c3\u09c7\u09c8\u09cb\u09cc"
_TE_SIGNS = "\u0c3e\u0c3f\u0c40\u0c41\u0c42\u0c43\u0c46\u0c47\u0c48\u0c4a\u0c4b\u0c4c"
_BN_NUKTA = {
    "ৰ": "r",
    "ৱ": "w",
    "\u09dc": "r",
    "\u09dd": "rh",
    "\u09df": "y",
    "\u09a1\u09bc": "r",
    "\u09a2\u09bc": "rh",
    "\u09af\u09bc": "y",
}
_BRAHMIC: dict[str, dict] = {
    "bn": {
        "consonants": _table(
            "কখগঘঙচছজঝঞটঠডঢণতথদধনপফবভমযরলশষসহৎ",
            "k kh g gh ng ch chh j jh n t th d dh n t th d dh n p f b bh m j r l sh sh s h t",
        )
        | _BN_NUKTA,
        "vowels": _table("অআইঈউঊঋএঐওঔ", "o a i i u u ri e oi o ou"),
        "signs": _table(_BN_SIGNS, "a i i u u ri e oi o ou"),
        "other": {"\u0982": "ng", "\u0983": "h", "\u0981": "", "\u09bc": ""},
        "virama": "\u09cd",
        "inherent": "o",
        "after_virama": {"য": "y", "ব": "b"},
        "digits": "০১২৩৪৫৬৭৮৯",
    },
    "te": {
        "consonants": _table(
            "కఖగఘఙచఛజఝఞటఠడఢణతథదధనపఫబభమయరఱలళవశషసహ",
            "k kh g gh ng ch chh j jh n t th d dh n t th d dh n p ph b bh m y r r l l v s sh s h",
        ),
        "vowels": _table("అఆఇఈఉఊఋఎఏఐఒఓఔ", "a a i i u u ru e e ai o o au"),
        "signs": _table(_TE_SIGNS, "a i i u u ru e e ai o o au"),
        "other": {"\u0c02": "m", "\u0c03": "h", "\u0c01": "n"},
        "virama": "\u0c4d",
        "inherent": "a",
        "after_virama": {},
        "digits": "౦౧౨౩౪౫౬౭౮౯",
    },
}


def brahmic_chat(word: str, lang: str) -> str:
    """The chat spelling of one Bengali or Telugu word.  Each consonant carries the inherent vowel
    unless a vowel sign or the virama follows.  Bengali drops it (as speakers do) at the end of a word
    after a single consonant and in the context VC_CV (কলকাতা kolkata, বাংলাদেশ bangladesh, রাজনৈতিক
    rajnoitik); Telugu keeps it.  A Telugu anusvara is ``m``, or ``n`` before a stop (తెలంగాణ
    telangana, భారతదేశంలో bharatadesamlo); Telugu శ is ``s`` as Telugu users write it (Sri, desam)."""
    t = _BRAHMIC[lang]
    cons, vowels, signs, other, virama = t["consonants"], t["vowels"], t["signs"], t["other"], t["virama"]
    # units: ("C", roman, has_inherent) / ("V", roman) / ("X", roman)
    units: list[list[object]] = []
    i = 0
    while i < len(word):
        two, c = word[i : i + 2], word[i]
        if two in cons:
            units.append(["C", cons[two], True])
            i += 2
            continue
        if c in cons:
            after_virama = units and units[-1][0] == "C" and units[-1][2] is False and i > 0 and word[i - 1] == virama
            roman = t["after_virama"].get(c, cons[c]) if after_virama else cons[c]
            units.append(["C", roman, True])
        elif c == virama and units and units[-1][0] == "C":
            units[-1][2] = False
        elif c in signs and units and units[-1][0] == "C":
            units[-1][2] = False
            units.append(["V", signs[c]])
        elif c in vowels:  # an independent vowel after a consonant: that consonant is vowel-less
            if units and units[-1][0] == "C" and lang == "bn" and units[-1][2]:
                units[-1][2] = False
            units.append(["V", vowels[c]])
        elif c in other:
            units.append(["X", other[c]])
        elif c in t["digits"]:
            units.append(["X", str(t["digits"].index(c))])
        else:
            units.append(["X", c if not unicodedata.category(c).startswith("M") else ""])
        i += 1
    if lang == "bn":
        _bengali_schwa_deletion(units)
    out = []
    for j, u in enumerate(units):
        if u[0] == "C":
            out.append(str(u[1]) + (t["inherent"] if u[2] else ""))
        elif u[0] == "X" and lang == "te" and u[1] == "m":  # anusvara: n before a stop it assimilates to
            nxt = units[j + 1] if j + 1 < len(units) else None
            stop = nxt is not None and nxt[0] == "C" and str(nxt[1])[:1] in "kgcjtdn"
            out.append("n" if stop else "m")
        else:
            out.append(str(u[1]))
    return "".join(out)


def _bengali_schwa_deletion(units: list[list[object]]) -> None:
    """Drop inherent vowels left to right: word-finally after a vowel (not after a conjunct, not in a
    one-consonant word), and in the context V C _ C V."""

    def voiced(u: list[object]) -> bool:  # a vowel sound ends this unit
        return u[0] == "V" or (u[0] == "C" and bool(u[2]))

    for j, u in enumerate(units):
        if u[0] != "C" or not u[2] or j == 0:
            continue
        prev, nxt = units[j - 1], units[j + 1] if j + 1 < len(units) else None
        if nxt is None or (nxt[0] == "X" and not str(nxt[1]).isalpha()):
            if not (prev[0] == "C" and not prev[2]) or prev[1] == "r":  # কম kom, শব্দ shobdo, মার্ক mark
                u[2] = False
        elif voiced(prev) and nxt[0] == "C" and (nxt[2] or (j + 2 < len(units) and units[j + 2][0] == "V")):
            u[2] = False


# ------------------------------------------------------------------------------------------ Arabic

_ARABIZI = {
    "ب": "b", "ت": "t", "ث": "th", "ج": "j", "ح": "7", "خ": "5", "د": "d", "ذ": "th", "ر": "r", "ز": "z",
    "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "ع": "3", "غ": "gh", "ف": "f", "ق": "q",
    "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "ء": "2", "ئ": "2", "ؤ": "2", "پ": "p", "چ": "ch",
    "گ": "g", "ڤ": "v", "ڨ": "g", "ک": "k", "ی": "y", "ژ": "zh", "ہ": "h",
}  # fmt: skip
_HARAKAT = {"\u064e": "a", "\u064f": "u", "\u0650": "i", "\u064b": "an", "\u064c": "un", "\u064d": "in", "\u0652": ""}
_ARTICLE = {"ال": "al", "وال": "wal", "بال": "bil", "فال": "fal", "كال": "kal", "لل": "lil"}
_ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_ARABIC_PUNCT = str.maketrans({"؟": "?", "،": ",", "؛": ";"})


def arabizi(word: str) -> str:
    """One Arabic word in the chat alphabet.  Letters: 2 for hamza (أ إ ء ئ ؤ inside a word), 3 ع,
    5 خ, 7 ح, sh ش, th ث/ذ, gh غ, q ق; ا/ى/ة are ``a``; و and ي are ``u``/``i`` between consonants or
    after a consonant at the end, ``w``/``y`` elsewhere (ية -> iya); word-initial أ/ا/آ ``a``, إ ``e``.
    The article and its clitics are written al-, wal-, bil-, fal-, kal-, lil- (no assimilation).
    Unvocalised text has no short vowels: a syllable that would start with two consonants gets an
    ``a`` (محمد ma7mad, العملة al3amla, مدينة madina); written harakat are used as they are."""
    word = word.replace("\u0640", "")  # tatweel
    prefix = ""
    for art in sorted(_ARTICLE, key=len, reverse=True):
        if word.startswith(art) and len(word) > len(art) + 1:
            prefix, word = _ARTICLE[art], word[len(art) :]
            break
    word = regex.sub("ية$", "\x00", word)  # -iya
    # phones: (text, is_vowel)
    phones: list[tuple[str, bool]] = []
    n = len(word)
    for i, c in enumerate(word):
        nxt = word[i + 1] if i + 1 < n else ""
        if c == "\x00":
            phones.append(("iya", True))
        elif c in _HARAKAT:
            if _HARAKAT[c]:
                phones.append((_HARAKAT[c], True))
        elif c == "\u0651":  # shadda doubles the consonant
            if phones and not phones[-1][1]:
                phones.append(phones[-1])
        elif c in "اآأإ" and i == 0:
            phones.append(("e" if c == "إ" else "a", True))
        elif c in "اى":
            phones.append(("a", True))
        elif c == "آ":
            phones.extend((("2", False), ("a", True)))
        elif c in "أإ":
            phones.append(("2", False))
        elif c == "ة":
            phones.append(("a", True))
        elif c in "وي":
            after_cons = bool(phones) and not phones[-1][1]
            before_cons = bool(nxt) and nxt in _ARABIZI or nxt in ("و", "ي") or nxt == ""
            vowel = after_cons and before_cons if nxt else after_cons
            if vowel:
                phones.append(("u" if c == "و" else "i", True))
            else:
                phones.append(("w" if c == "و" else "y", False))
        elif c in _ARABIZI:
            phones.append((_ARABIZI[c], False))
        elif c in _ARABIC_DIGITS:
            phones.append((str(_ARABIC_DIGITS.index(c)), True))
        else:
            phones.append(({"؟": "?", "،": ",", "؛": ";"}.get(c, c), True))
    out, after_vowel = [], False
    for i, (ph, vowel) in enumerate(phones):
        out.append(ph)
        if vowel or not ph[0].isalnum():
            after_vowel = vowel
            continue
        nxt_ph, nxt_vowel = phones[i + 1] if i + 1 < len(phones) else ("", True)
        if not nxt_vowel and nxt_ph[:1].isalnum() and not after_vowel and nxt_ph != ph:
            out.append("a")  # a syllable cannot start with two consonants
            after_vowel = True
        else:
            after_vowel = False
    return prefix + "".join(out)


# ----------------------------------------------------------------------------------------- Russian

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e yo zh z i y k l m n o p r s t u f h ts ch sh sch - y - e yu ya".split(),
        strict=True,
    )
)


def russian_translit(word: str) -> str:
    """The common informal Russian translit (as in chat, e-mail and URLs): ж zh, х h, ц ts, ч ch,
    ш sh, щ sch, ё yo, й y, ы y, ю yu, я ya, э e, ь and ъ dropped, -ий/-ый at the end -> -y
    (Достоевский Dostoevsky); stress accents removed; capitals kept."""
    word = unicodedata.normalize("NFC", unicodedata.normalize("NFD", word).replace("\u0301", ""))
    word = regex.sub(r"(?i)[иы]й\b", lambda m: "Y" if m.group(0)[0].isupper() else "y", word)
    out = []
    for c in word:
        low = c.lower()
        if low in _TRANSLIT:
            r = _TRANSLIT[low].replace("-", "")
            out.append(r.capitalize() if c.isupper() and r else r)
        else:
            out.append(c)
    return "".join(out)


# ------------------------------------------------------------------------------------------ family


class Romanize(Perturbation):
    """Words typed in Latin letters, in the scheme users of the language actually type (``scheme``
    omitted: ``common``; see the module docstring), each word with probability ``rate``."""

    name = "romanize"
    PARAMS = {
        "scheme": Param(
            str, "common", "the romanisation (common: what users of each language type)",
            choices=tuple(sorted(SCHEMES)), omit_default=True,
        ),
        "rate": RATE,
        "seed": SEED,
    }  # fmt: skip

    @property
    def scheme(self) -> str:
        return str(self.params.get("scheme", self.PARAMS["scheme"].default))

    def applicable(self, lang: str) -> bool:
        return lang in SCHEMES[self.scheme]

    def scheme_for(self, lang: str) -> str:
        return COMMON[lang] if self.scheme == "common" else self.scheme

    def apply(self, text: str, lang: str, query_id: str) -> str:
        if not self.applicable(lang):
            return text
        rng, scheme = self.rng(query_id), self.scheme_for(lang)
        if lang == "ja" and scheme != "anyascii":
            parts, original = [], []
            for surface, rom, attach in japanese_words(text, scheme):
                if attach and parts:  # a verb ending goes with its verb, romanised or not
                    parts[-1] = (parts[-1][0] + rom, parts[-1][1])
                    original[-1] += surface
                else:
                    parts.append((rom, attach))
                    original.append(surface)
            chosen = [(rom, attach) if rng.random() < self.rate else (orig, attach)
                      for (rom, attach), orig in zip(parts, original, strict=True)]  # fmt: skip
            if self.rate < 1.0:
                return _mixed_japanese(chosen, original)
            return _join_words(chosen)
        out = []
        for w in text.split():
            if NATIVE.search(w) and rng.random() < self.rate:
                w = _romanize_word(w, lang, scheme)
            elif lang == "ar" and self.rate == 1.0:
                w = w.translate(_ARABIC_PUNCT)
            out.append(w)
        return " ".join(out)


def _romanize_word(word: str, lang: str, scheme: str) -> str:
    word = "".join(c for c in word if unicodedata.category(c) != "Cf")  # ZWJ/ZWNJ, directional marks
    if scheme == "anyascii":
        from anyascii import anyascii

        return anyascii(word).lower()
    if scheme == "rr":
        return revised_romanization(word)
    if scheme == "chat":
        return brahmic_chat(word, lang)
    if scheme == "arabizi":
        m = regex.fullmatch(r"(\P{L}*)(.*?)(\P{L}*)", word)
        assert m is not None
        lead, core, trail = m.groups()
        return arabizi(lead) + arabizi(core) + arabizi(trail)
    return russian_translit(word)


def _mixed_japanese(chosen: list[tuple[str, bool]], original: list[str]) -> str:
    """Some words romanised, the rest left in Japanese: romaji words are spaced, Japanese is not."""
    out, prev_latin = "", False
    for (piece, attach), orig in zip(chosen, original, strict=True):
        latin = piece != orig
        if out and not attach and (latin or prev_latin):
            out += " "
        out += piece
        prev_latin = latin
    return " ".join(out.split())
