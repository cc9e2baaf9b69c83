"""Keyboard layouts (unshifted rows) of the XOR languages and English, and key adjacency.

en: US QWERTY; fi: Finnish QWERTY (å ä ö); ru: ЙЦУКЕН; ar: Arabic 101; bn, te: InScript;
ko: Dubeolsik (on compatibility jamo); ja: JIS kana input (hiragana).  Rows are aligned key by
key with the US rows (``""`` marks a key that types nothing, e.g. Bengali Z).  Neighbours are the
keys left/right in the same row and the keys diagonally/vertically adjacent in the rows above/below
(staggered rows: offsets -1..+1).

``SHIFTED``: what Shift + a US key types on the native layouts (InScript, Dubeolsik, Arabic 101),
for ``keystrokes`` — the US keys a native text is typed with, i.e. what comes out when the layout
is switched to English or the input method is off (``안녕`` → ``dkssud``, ``привет`` → ``ghbdtn``).
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
        ("১", "২", "৩", "৪", "৫", "৬", "৭", "৮", "৯", "০", "-", "ৃ"),
        ("ৌ", "ৈ", "া", "ী", "ূ", "ব", "হ", "গ", "দ", "জ", "ড", "়"),
        ("ো", "ে", "্", "ি", "ু", "প", "র", "ক", "ত", "চ", "ট"),
        ("", "ং", "ম", "ন", "ব", "ল", "স", ",", ".", "য"),  # the Z key types nothing in Bengali
    ),
    "te": (
        ("౧", "౨", "౩", "౪", "౫", "౬", "౭", "౮", "౯", "౦", "-", "ృ"),
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
            if not key:
                continue
            adj = []
            for dr in (-1, 0, 1):
                rr = r + dr
                if not 0 <= rr < len(rows):
                    continue
                for dc in (-1, 0, 1):
                    if dr == 0 and dc == 0:
                        continue
                    cc = c + dc
                    if 0 <= cc < len(rows[rr]) and rows[rr][cc]:
                        adj.append(rows[rr][cc])
            out.setdefault(key, [])
            out[key] += [a for a in adj if a != key and a not in out[key]]
    return {k: tuple(v) for k, v in out.items()}


@cache
def alphabet(lang: str) -> tuple[str, ...]:
    """Letters of the layout (no digits or punctuation): what insert/substitute draw from."""
    import unicodedata

    keys = [k for row in LAYOUTS[lang] for k in row]
    return tuple(dict.fromkeys(k for k in keys if k and all(unicodedata.category(c)[0] in "LM" for c in k)))


# Shift + US key on the native layouts: Bengali and Telugu InScript, Korean Dubeolsik, Arabic 101
SHIFTED: dict[str, dict[str, str]] = {
    "bn": dict(zip("QWERTYUIOP{}ASDFGHKL:\"XCM<>?_+", (*"ঔঐআঈঊভঙঘধঝঢঞওএঅইউফখথছঠঁণশষ।", "য়", *"ঃঋ"), strict=True)),
    "te": dict(zip("QWERTYUIOP{}ASDFGHJKL:\"ZXCNM<_+", "ఔఐఆఈఊభఙఘధఝఢఞఓఏఅఇఉఫఱఖథఛఠఎఁణళశషఃౠ", strict=True)),
    "ko": dict(zip("QWERTOP", "ㅃㅉㄸㄲㅆㅒㅖ", strict=True)),
    "ar": {"H": "أ", "Y": "إ", "N": "آ", "Q": "\u064e", "W": "\u064b", "E": "\u064f", "R": "\u064c", "A": "\u0650",
           "S": "\u064d", "X": "\u0652", "~": "\u0651", "J": "ـ", "?": "؟"},
    "ru": {"~": "Ё"},
}  # fmt: skip
# keys off the rows above (` and Shift+`: Russian ё, Arabic ذ, Telugu short o), and Bengali khanda ta,
# which InScript has no key for (typed ত + virama)
EXTRA: dict[str, dict[str, str]] = {
    "ru": {"`": "ё"}, "ar": {"`": "ذ"}, "te": {"`": "ొ", "~": "ఒ"}, "bn": {"ld": "ৎ"},
}  # fmt: skip
KO_COMPOUND = {
    "ㅘ": "ㅗㅏ", "ㅙ": "ㅗㅐ", "ㅚ": "ㅗㅣ", "ㅝ": "ㅜㅓ", "ㅞ": "ㅜㅔ", "ㅟ": "ㅜㅣ", "ㅢ": "ㅡㅣ",
    "ㄳ": "ㄱㅅ", "ㄵ": "ㄴㅈ", "ㄶ": "ㄴㅎ", "ㄺ": "ㄹㄱ", "ㄻ": "ㄹㅁ", "ㄼ": "ㄹㅂ", "ㄽ": "ㄹㅅ", "ㄾ": "ㄹㅌ",
    "ㄿ": "ㄹㅍ", "ㅀ": "ㄹㅎ", "ㅄ": "ㅂㅅ",
}  # fmt: skip


@cache
def us_keys(lang: str) -> dict[str, str]:
    """Native character (or Arabic ``لا``) -> the US key(s) that type it on the layout of ``lang``."""
    out: dict[str, str] = {}
    for native_row, us_row in zip(LAYOUTS[lang], LAYOUTS["en"], strict=False):
        for native, us in zip(native_row, us_row, strict=False):
            if native and native not in out:
                out[native] = us
                if native.upper() != native:
                    out[native.upper()] = us.upper()
    for us, native in SHIFTED.get(lang, {}).items():
        out.setdefault(native, us)
    for us, native in EXTRA.get(lang, {}).items():
        out.setdefault(native, us)
    if lang == "ko":
        for jamo, parts in KO_COMPOUND.items():
            out[jamo] = "".join(out[p] for p in parts)
    return out
