"""Text units the perturbations work on: extended grapheme clusters, scripts, words, Hangul jamo."""

from __future__ import annotations

import unicodedata

import regex

HANGUL_BASE, HANGUL_END = 0xAC00, 0xD7A3
# Compatibility jamo in the order of the Unicode syllable formula (L: 19, V: 21, T: 27 + none)
L_JAMO = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
V_JAMO = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
T_JAMO = ["", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"]


def graphemes(text: str) -> list[str]:
    """Extended grapheme clusters (``regex`` ``\\X``): a base with its combining marks, a Hangul
    syllable, an emoji sequence, an Indic conjunct's pieces as Unicode segments them."""
    return regex.findall(r"\X", text)


def is_letter_cluster(cluster: str) -> bool:
    return any(unicodedata.category(c).startswith("L") for c in cluster)


def broken_clusters(text: str) -> list[str]:
    """Clusters that start with a combining mark, or a mark carried by a space (a detached mark: invalid output;
    a word split at that space would start with the mark)."""
    return [
        g
        for g in graphemes(text)
        if unicodedata.category(g[0]).startswith("M")
        or (g[0].isspace() and len(g) > 1 and unicodedata.category(g[1]).startswith("M"))
    ]


def script_of(ch: str) -> str:
    """A coarse script name from the Unicode character name (``HANGUL``, ``ARABIC``, ``LATIN`` ...)."""
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return "UNKNOWN"
    first = name.split(" ")[0]
    if first in ("CJK",):
        return "HAN"
    return first


def hangul_decompose(syllable: str) -> tuple[str, str, str] | None:
    """(L, V, T) compatibility jamo of a precomposed syllable, or None."""
    cp = ord(syllable)
    if not HANGUL_BASE <= cp <= HANGUL_END:
        return None
    idx = cp - HANGUL_BASE
    return L_JAMO[idx // 588], V_JAMO[(idx % 588) // 28], T_JAMO[idx % 28]


def hangul_compose(lead: str, vowel: str, tail: str = "") -> str | None:
    """A precomposed syllable from compatibility jamo, or None if they do not form one."""
    if lead not in L_JAMO or vowel not in V_JAMO or tail not in T_JAMO:
        return None
    return chr(HANGUL_BASE + (L_JAMO.index(lead) * 21 + V_JAMO.index(vowel)) * 28 + T_JAMO.index(tail))


def invalid_hangul(text: str) -> bool:
    """Conjoining jamo that do not form syllables (a broken decomposition)."""
    return any(0x1100 <= ord(c) <= 0x11FF for c in unicodedata.normalize("NFC", text))


def words(text: str) -> list[str]:
    return text.split()


def script_runs(text: str) -> list[str]:
    """Runs of one script (the word unit for unsegmented Japanese): 東京都 / は / どこ / ですか / ？"""
    runs: list[str] = []
    for g in graphemes(text):
        s = script_of(g[0])
        if runs and script_of(runs[-1][-1]) == s:
            runs[-1] += g
        else:
            runs.append(g)
    return runs
