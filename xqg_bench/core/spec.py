"""Canonical strings for configurable values: ``name(key=value,key=value)``.

Encoders (and later generators and perturbations) are values named by such strings.  Parsing
is strict: unknown names or keys, duplicate keys and malformed text raise ``ValueError`` with
the fix.  ``format_spec`` prints keys in a fixed order so that a spec round-trips exactly and can
go into signatures, cache keys and file names.

A value holding a space, comma, parenthesis, ``=``, quote or backslash (a path, say) is written in
double quotes, with ``\\"`` for a quote and ``\\\\`` for a backslash inside:
``hf(model="/models/my model,v2(x)")``; ``format_spec`` quotes exactly such values, so any value
round-trips.

**Typed parameters, declared once.**  Each spec'd family (encoders, generators, perturbation variants,
the xQG augmentation) declares its parameters as ``{name: {key: Param(...)}}`` — type, default,
choices, check and a description, the way ir-measures declares a measure's ``SUPPORTED_PARAMS`` with
``ParamInfo`` (``Param`` *is* an ir-measures ``ParamInfo``, with a range check and the canonical
text added).  ``parse_spec(text, what, declared)`` converts every value and checks it against the
declaration once (``Spec.value(key)`` gives the typed value, the default when absent); errors name
the spec, the parameter, the allowed values or type and an example that works.  The command line
takes its defaults, choices and help from the same declarations (``option``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from ir_measures.measures.base import ParamInfo

# Defaults several stages share, named once.
DEFAULT_SEED = 13  # everything seeded: variants, query generation, the statistics' resamples
DEFAULT_SHARD_SIZE = 256  # passages per shard of embeddings, generated queries and jobs
DEFAULT_INDEX_TYPE = "Flat"  # exact inner-product search (a faiss.index_factory string)
DEFAULT_DEPTH = 100  # hits per query: searched, scored, and pooled for derived qrels
DEFAULT_THREADS = 2  # FAISS search threads
DEFAULT_OUTPUT_DIR = "runs"  # where runs, scores and caches go

_NAME = re.compile(r"^[a-z][a-z0-9_\-]*$")
_FORBIDDEN = set("(),= \t\n")


class Spec(NamedTuple):
    name: str
    params: tuple[tuple[str, str], ...]  # as written
    values: tuple[tuple[str, Any], ...] = ()  # typed and checked, defaults filled (when parsed against a declaration)

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.params:
            if k == key:
                return v
        return default

    def value(self, key: str) -> Any:
        """The typed value of ``key`` (its declared default when not written; None when it has none)."""
        return dict(self.values).get(key)

    def kwargs(self) -> dict[str, Any]:
        """Every declared parameter with a value: written ones and defaults."""
        return {k: v for k, v in self.values if v is not None}

    def __str__(self) -> str:
        return format_spec(self.name, dict(self.params))


def parse_spec(
    text: str,
    what: str = "value",
    declared: Mapping[str, Mapping[str, Param]] | None = None,
    usage: str = "",
    name_what: str = "",
) -> Spec:
    """Parse ``name`` or ``name(k=v,...)`` into a Spec; raise ValueError naming the problem.

    With ``declared`` (name -> its parameters): the name must be declared (else the closest name and
    ``usage``; ``name_what`` says what the name is, default ``what``), every key declared, every value of
    its type and passing its check, every required key given; ``Spec.values`` holds the typed values
    with the defaults filled in."""
    spec = _parse(text, what)
    if declared is None:
        return spec
    params = declared.get(spec.name)
    if params is None:
        usage = usage or f"one of {', '.join(sorted(declared))}"
        raise unknown_name(name_what or what, spec.name, declared, text, usage)
    check_keys(spec, params, text)
    given = dict(spec.params)
    values: list[tuple[str, Any]] = []
    for key, param in params.items():
        if key in given:
            values.append((key, param.parse(given[key], spec.name, key, what, text)))
        elif param.required:
            raise param.missing(spec.name, key, what, text)
        else:
            values.append((key, param.default))
    return spec._replace(values=tuple(values))


def _parse(text: str, what: str) -> Spec:
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


# ------------------------------------------------------------------------------------------ parameters


class Range:
    """A numeric check: ``lo..hi`` for integers, an interval for reals (open or closed ends; None: unbounded)."""

    def __init__(
        self, lo: float | None = None, hi: float | None = None, *, lo_open: bool = False, hi_open: bool = False
    ) -> None:
        self.lo, self.hi, self.lo_open, self.hi_open = lo, hi, lo_open, hi_open

    def __call__(self, value: float) -> bool:
        if isinstance(value, float) and math.isnan(value):
            return False
        if self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo):
            return False
        return self.hi is None or (value < self.hi if self.hi_open else value <= self.hi)

    def text(self, integer: bool) -> str:
        if self.hi is None:
            return f"{'>' if self.lo_open else '>='} {self.lo}"
        if integer and not (self.lo_open or self.hi_open):
            return f"in {self.lo}..{self.hi}"
        return f"in {'(' if self.lo_open else '['}{self.lo}, {self.hi}{')' if self.hi_open else ']'}"


class Check(NamedTuple):
    """Any other check: a predicate and what it allows, in words."""

    test: Callable[[Any], bool]
    allows: str

    def __call__(self, value: Any) -> bool:
        return bool(self.test(value))

    def text(self, integer: bool) -> str:
        return self.allows


_TYPE_NAMES = {int: "an integer", float: "a number", str: "text", tuple: "a list"}


class Param(ParamInfo):
    """One parameter of a spec'd family: ir-measures' ``ParamInfo`` (dtype, required, choices, default, desc)
    with a ``check`` (a ``Range`` or ``Check``), the text written for a value (``canonical``; floats as
    ``repr``, lists joined by ``sep``) and ``omit_default`` (the canonical string leaves the default out)."""

    def __init__(
        self,
        dtype: type,
        default: Any = None,
        desc: str = "",
        *,
        choices: tuple | None = None,
        check: Range | Check | None = None,
        required: bool = False,
        omit_default: bool = False,
        sep: str = "+",
        example: str | None = None,
    ) -> None:
        super().__init__(dtype=dtype, required=required, default=default, desc=desc)
        self.choices = tuple(choices) if choices is not None else None  # type: ignore[assignment]
        self.check, self.omit_default, self.sep, self.example = check, omit_default, sep, example

    # -- values
    def convert(self, value: Any) -> Any:
        """``value`` (text, or a Python value) as this parameter's type; ValueError naming the type."""
        if value is None:
            return None
        if self.dtype is tuple:
            items = tuple(value.split(self.sep)) if isinstance(value, str) else tuple(value)
            if not items or any(not str(i) for i in items):
                raise ValueError(f"{_TYPE_NAMES[tuple]} joined by {self.sep!r}")
            return tuple(str(i) for i in items)
        if self.dtype is int:
            if isinstance(value, bool) or (not isinstance(value, int) and not isinstance(value, str)):
                raise ValueError(_TYPE_NAMES[int])
            try:
                return int(value)
            except ValueError:
                raise ValueError(_TYPE_NAMES[int]) from None
        if self.dtype is float:
            if isinstance(value, bool):
                raise ValueError(_TYPE_NAMES[float])
            try:
                return float(value)
            except (TypeError, ValueError):
                raise ValueError(_TYPE_NAMES[float]) from None
        if not isinstance(value, str):
            raise ValueError(_TYPE_NAMES.get(self.dtype, self.dtype.__name__))  # type: ignore[arg-type]
        return value

    def allows(self) -> str | None:
        """What the check or the choices allow, in words (None: any value of the type)."""
        if self.choices is not None:
            return f"one of {self.choices}"
        if self.check is not None:
            return self.check.text(self.dtype is int)
        return None

    def problem(self, value: Any) -> str | None:
        """None when ``value`` (typed) is allowed, else what is allowed."""
        if self.choices is not None and value not in self.choices:
            return self.allows()
        if self.check is not None and not self.check(value):
            return self.allows()
        return None

    def validate(self, value: Any) -> bool:  # ir-measures' interface
        if value is None:
            return not self.required
        try:
            return self.problem(self.convert(value)) is None
        except ValueError:
            return False

    def canonical(self, value: Any) -> str:
        """The text a canonical spec string holds for ``value``."""
        if self.dtype is tuple:
            return self.sep.join(value)
        if self.dtype is float:
            return repr(float(value))
        return str(value)

    # -- errors
    def fix(self, key: str) -> str:
        example = self.example or (self.canonical(self.default) if self.default is not None else None)
        example = example or (str(self.choices[0]) if self.choices else None)
        desc = f"{key}: {self.desc}" if self.desc else ""
        return "; ".join(x for x in (desc, f"e.g. {key}={example}" if example else "") if x)

    def parse(self, raw: Any, name: str, key: str, what: str = "value", text: str = "") -> Any:
        """``raw`` converted and checked; ValueError naming the spec, the parameter, what is allowed and a fix."""
        if raw is None:  # not set: allowed unless required (parse_spec and Perturbation check that)
            return None
        where = f" in {what} {text!r}" if text else ""
        try:
            value = self.convert(raw)
        except ValueError as e:
            raise ValueError(f"{name} {key} must be {e}, got {raw!r}{where} ({self.fix(key)})") from None
        bad = self.problem(value)
        if bad is not None:
            hint = did_you_mean(str(value), [str(c) for c in self.choices]) if self.choices is not None else ""
            shown = repr(value) if isinstance(value, str) else self.canonical(value)
            raise ValueError(f"{name} {key} must be {bad}, got {shown}{hint}{where} ({self.fix(key)})")
        return value

    def missing(self, name: str, key: str, what: str, text: str) -> ValueError:
        example = f", e.g. {name}({key}={self.example})" if self.example else ""
        return ValueError(f"{text!r}: {name} {what}s need {key}=<{self.desc or key}>{example}")

    # -- the command line
    def help(self, text: str = "") -> str:
        """``text`` (default: the description) with the allowed values and the default."""
        parts = [text or self.desc]
        if self.choices is None and self.allows():
            parts.append(str(self.allows()))
        if self.default is not None:
            parts.append(f"default {self.canonical(self.default)}")
        return f"{parts[0]}; {', '.join(parts[1:])}" if len(parts) > 1 else parts[0]


def option(param: Param, help: str = "", **overrides: Any) -> dict[str, Any]:
    """``add_argument`` keywords from a declaration: type, default, choices and help (``overrides`` win)."""
    kw: dict[str, Any] = {"default": param.default, "help": param.help(help)}
    if param.choices is not None:
        kw["choices"] = param.choices
    elif param.dtype in (int, float):
        kw["type"] = param.dtype
    return {**kw, **overrides}


def canonical_spec(name: str, values: Mapping[str, Any], params: Mapping[str, Param]) -> str:
    """The canonical string of typed ``values``: declared order, values as ``Param.canonical`` writes them;
    absent values and the defaults of ``omit_default`` parameters left out."""
    out = {}
    for key, param in params.items():
        v = values.get(key)
        if v is None or (param.omit_default and v == param.default):
            continue
        out[key] = param.canonical(v)
    return format_spec(name, out, order=tuple(params))
