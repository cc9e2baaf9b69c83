"""Typos, ``typo(kind=...,n=...,seed=...)``: exactly ``n`` edits of one kind, each changing the unit one
keystroke changes.  The adversarial family searches over single typos of these kinds.
"""

from __future__ import annotations

import random
import unicodedata

import regex

from xqg_bench.core.spec import Param, Range
from xqg_bench.perturb.base import SEED, Perturbation
from xqg_bench.perturb.keyboards import KO_COMPOUND, LAYOUTS, alphabet, neighbours
from xqg_bench.perturb.text import L_JAMO, T_JAMO, V_JAMO, hangul_compose, hangul_decompose, is_letter_cluster
from xqg_bench.perturb.validate import BRAHMIC, edit_units, introduced, ksx1001_syllables, net_edits

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
