"""Canonical strings for configurable values: ``name(key=value,key=value)``.

Encoders (and later generators and perturbations) are values named by such strings.  Parsing
is strict: unknown names or keys, duplicate keys and malformed text raise ``ValueError`` with
the fix.  ``format_spec`` prints keys in a fixed order so that a spec round-trips exactly and can
go into signatures, cache keys and file names.

A value holding a space, comma, parenthesis, ``=``, quote or backslash (a path, say) is written in
double quotes, with ``\\"`` for a quote and ``\\\\`` for a backslash inside:
``hf(model="/models/my model,v2(x)")``; ``format_spec`` quotes exactly such values, so any value
round-trips.
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
        for k, v, item in _split_params(body, what, text):
            if not _NAME.match(k):
                raise ValueError(f"invalid parameter {item!r} in {what} {text!r}: expected key=value")
            if any(k == k2 for k2, _ in params):
                raise ValueError(f"duplicate parameter {k!r} in {what} {text!r}")
            params.append((k, v))
    return Spec(name, tuple(params))


def _split_params(body: str, what: str, text: str) -> list[tuple[str, str, str]]:
    """(key, value, item text) of ``k=v,k="quoted, value"``; ValueError naming the bad item."""
    out, i, n = [], 0, len(body)
    while i <= n:
        eq = body.find("=", i)
        comma = body.find(",", i)
        if eq < 0 or (0 <= comma < eq):
            item = body[i : comma if comma >= 0 else n]
            raise ValueError(f"invalid parameter {item!r} in {what} {text!r}: expected key=value")
        key = body[i:eq].strip()
        j = eq + 1
        while j < n and body[j] in " \t":
            j += 1
        if j < n and body[j] == '"':
            chars, j = [], j + 1
            while j < n and body[j] != '"':
                if body[j] == "\\" and j + 1 < n:
                    j += 1
                chars.append(body[j])
                j += 1
            if j >= n:
                raise ValueError(f"unterminated quoted value in {what} {text!r}: close it with '\"'")
            value, j = "".join(chars), j + 1
            while j < n and body[j] in " \t":
                j += 1
            if j < n and body[j] != ",":
                raise ValueError(f"unexpected {body[j:]!r} after a quoted value in {what} {text!r}")
        else:
            end = body.find(",", j)
            end = n if end < 0 else end
            value, j = body[j:end].strip(), end
            if not value or any(c in _FORBIDDEN or c in '"\\' or c.isspace() for c in value):
                raise ValueError(
                    f"invalid parameter {body[i:end]!r} in {what} {text!r}: expected key=value (quote a value with "
                    'spaces, commas, parentheses or "=" in double quotes: key="a value")'
                )
        out.append((key, value, body[i:j]))
        if j >= n:
            break
        i = j + 1
        if i >= n:
            raise ValueError(f"invalid {what} {text!r}: trailing ','")
    return out


def _quote(value: str) -> str:
    if value and not any(c in _FORBIDDEN or c in '"\\' or c.isspace() for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_spec(name: str, params: dict[str, object], order: tuple[str, ...] = ()) -> str:
    """Canonical text: keys in ``order`` first, then the rest sorted; no spaces."""
    if not params:
        return name
    keys = [k for k in order if k in params] + sorted(k for k in params if k not in order)
    parts = []
    for k in keys:
        parts.append(f"{k}={_quote(str(params[k]))}")
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
