"""Canonical strings for configurable values: ``name(key=value,key=value)``.

Encoders (and later generators and perturbations) are values named by such strings.  Parsing
is strict: unknown names or keys, duplicate keys and malformed text raise ``ValueError`` with
the fix.  ``format_spec`` prints keys in a fixed order so that a spec round-trips exactly and can
go into signatures, cache keys and file names.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_NAME = re.compile(r"^[a-z][a-z0-9_\-]*$")
_FORBIDDEN = set("(),= \t\n")


class Spec(NamedTuple):
    name: str
    params: tuple[tuple[str, str], ...]

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.params:
            if k == key:
                return v
        return default

    def __str__(self) -> str:
        return format_spec(self.name, dict(self.params))


def parse_spec(text: str, what: str = "value") -> Spec:
    """Parse ``name`` or ``name(k=v,...)`` into a Spec; raise ValueError naming the problem."""
    text = text.strip()
    m = re.fullmatch(r"([^()]+?)(?:\((.*)\))?", text, flags=re.S)
    if not m:
        raise ValueError(f"cannot parse {what} {text!r}: expected name or name(key=value,...)")
    name, body = m.group(1), m.group(2)
    if not _NAME.match(name):
        raise ValueError(f"invalid {what} name {name!r} in {text!r}: use lower-case letters, digits, '-', '_'")
    params: list[tuple[str, str]] = []
    if body is not None and body.strip():
        for item in body.split(","):
            if "=" not in item:
                raise ValueError(f"invalid parameter {item!r} in {what} {text!r}: expected key=value")
            k, v = (s.strip() for s in item.split("=", 1))
            if not _NAME.match(k) or not v or any(c in _FORBIDDEN for c in v):
                raise ValueError(f"invalid parameter {item!r} in {what} {text!r}: expected key=value")
            if any(k == k2 for k2, _ in params):
                raise ValueError(f"duplicate parameter {k!r} in {what} {text!r}")
            params.append((k, v))
    return Spec(name, tuple(params))


def format_spec(name: str, params: dict[str, object], order: tuple[str, ...] = ()) -> str:
    """Canonical text: keys in ``order`` first, then the rest sorted; no spaces."""
    if not params:
        return name
    keys = [k for k in order if k in params] + sorted(k for k in params if k not in order)
    parts = []
    for k in keys:
        v = str(params[k])
        if not v or any(c in _FORBIDDEN for c in v):
            raise ValueError(f"value {v!r} of {k!r} cannot be written in a spec (no spaces, commas, parentheses, '=')")
        parts.append(f"{k}={v}")
    return f"{name}({','.join(parts)})"


def did_you_mean(word: str, choices: object) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or ``''``."""
    import difflib

    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)  # type: ignore[call-overload]
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_name(what: str, name: str, choices: object, text: str, usage: str) -> ValueError:
    """The error for an unknown ``what`` name in ``text``: the closest known name and how to write one."""
    return ValueError(f"unknown {what} {name!r}{did_you_mean(name, choices)} in {text!r}; use {usage}")


def check_keys(spec: Spec, allowed: object, text: str) -> None:
    """ValueError naming each option of ``spec`` not in ``allowed``, with the closest allowed key."""
    for key, _v in spec.params:
        if key not in allowed:  # type: ignore[operator]
            raise ValueError(
                f"unknown {spec.name} option {key!r}{did_you_mean(key, allowed)} in {text!r}; "
                f"options: {sorted(allowed)}"  # type: ignore[call-overload]
            )
