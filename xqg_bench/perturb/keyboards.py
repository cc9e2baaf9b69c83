"""Keyboard layouts (unshifted rows) of the XOR languages and English, and key adjacency.

en: US QWERTY; fi: Finnish QWERTY (å ä ö); ru: ЙЦУКЕН; ar: Arabic 101; bn, te: InScript;
ko: Dubeolsik (on compatibility jamo); ja: JIS kana input (hiragana).  Neighbours are the keys
left/right in the same row and the keys diagonally/vertically adjacent in the rows above/below
(staggered rows: offsets -1..+1).
"""

from __future__ import annotations

from functools import cache

LAYOUTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "en": (tuple("1234567890-="), tuple("qwertyuiop[]"), tuple("asdfghjkl;'"), tuple("zxcvbnm,./")),
    "fi": (tuple("1234567890+"), tuple("qwertyuiopå"), tuple("asdfghjklöä"), tuple("zxcvbnm,.-")),
    "ru": (tuple("1234567890-="), tuple("йцукенгшщзхъ"), tuple("фывапролджэ"), tuple("ячсмитьбю.")),
    "ar": (
        tuple("1234567890-="),
        tuple("ضصثقفغعهخحجد"),
        tuple("شسيبلاتنمكط"),
        ("ئ", "ء", "ؤ", "ر", "لا", "ى", "ة", "و", "ز", "ظ"),
    ),
    "bn": (
        tuple("১২৩৪৫৬৭৮৯০"),
        ("ৌ", "ৈ", "া", "ী", "ূ", "ব", "হ", "গ", "দ", "জ", "ড", "়"),
        ("ো", "ে", "্", "ি", "ু", "প", "র", "ক", "ত", "চ", "ট"),
        ("ং", "ম", "ন", "ব", "ল", "স", ",", ".", "য"),
    ),
    "te": (
        tuple("౧౨౩౪౫౬౭౮౯౦"),
        ("ౌ", "ై", "ా", "ీ", "ూ", "బ", "హ", "గ", "ద", "జ", "డ"),
        ("ో", "ే", "్", "ి", "ు", "ప", "ర", "క", "త", "చ", "ట"),
        ("ె", "ం", "మ", "న", "వ", "ల", "స", ",", ".", "య"),
    ),
    "ko": (tuple("1234567890"), tuple("ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔ"), tuple("ㅁㄴㅇㄹㅎㅗㅓㅏㅣ"), tuple("ㅋㅌㅊㅍㅠㅜㅡ")),
    "ja": (
        tuple("ぬふあうえおやゆよわほへ"),
        tuple("たていすかんなにらせ"),
        tuple("ちとしはきくまのりれけむ"),
        tuple("つさそひこみもねるめろ"),
    ),
}  # fmt: skip


@cache
def neighbours(lang: str) -> dict[str, tuple[str, ...]]:
    """key -> adjacent keys on the layout of ``lang``."""
    rows = LAYOUTS[lang]
    out: dict[str, list[str]] = {}
    for r, row in enumerate(rows):
        for c, key in enumerate(row):
            adj = []
            for dr in (-1, 0, 1):
                rr = r + dr
                if not 0 <= rr < len(rows):
                    continue
                for dc in (-1, 0, 1):
                    if dr == 0 and dc == 0:
                        continue
                    cc = c + dc
                    if 0 <= cc < len(rows[rr]):
                        adj.append(rows[rr][cc])
            out.setdefault(key, [])
            out[key] += [a for a in adj if a != key and a not in out[key]]
    return {k: tuple(v) for k, v in out.items()}


def alphabet(lang: str) -> tuple[str, ...]:
    """Letters of the layout (no digits or punctuation): what insert/substitute draw from."""
    import unicodedata

    keys = [k for row in LAYOUTS[lang] for k in row]
    return tuple(dict.fromkeys(k for k in keys if all(unicodedata.category(c)[0] in "LM" for c in k)))
