"""The foundation path: dataset -> encoder -> Pyserini index -> search -> TREC run -> scores."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd

from xqg_bench import __version__
from xqg_bench.core import stages
from xqg_bench.core.atomic import (
    atomic_open,
    atomic_write_json,
    atomic_write_text,
    ensure_output_dir,
    output_path,
    read_json,
    slug,
)
from xqg_bench.core.signature import cache_key, file_md5, make_signature
from xqg_bench.core.spec import (
    DEFAULT_DEPTH,
    DEFAULT_INDEX_TYPE,
    DEFAULT_OUTPUT_DIR,
    DEFAULT_SEED,
    DEFAULT_SHARD_SIZE,
    DEFAULT_THREADS,
)
from xqg_bench.core.stages import stage
from xqg_bench.encoders import BACKENDS, DEFAULT_ENCODER
from xqg_bench.evaluate.measures import DEFAULT_BUDGETS, DEFAULT_MEASURES, RKT, PairingReport, format_value
from xqg_bench.evaluate.predictions import FORMATS as PREDICTION_FORMATS
from xqg_bench.evaluate.predictions import predictions, write_predictions
from xqg_bench.evaluate.query_sets import DEFAULT_DATASET, QuerySet, fingerprint, load_query_set
from xqg_bench.evaluate.runs import write_trec_run
from xqg_bench.evaluate.tokenize import TOKENIZER_SIGNATURE
from xqg_bench.experiment.config import (
    DEFAULT_SEEDS,
    Experiment,
    Statistics,
    SystemDecl,
    check_experiment,
    measure_list,
)
from xqg_bench.experiment.scoring import leaderboard, render_markdown, score_table
from xqg_bench.experiment.systems import Resources, System, file_labels, make_system
from xqg_bench.perturb.families import parse_variant
from xqg_bench.report import VERDICT_MEASURES, write_report
from xqg_bench.report import pairs as board_pairs
from xqg_bench.retrieval.ingest import FORMATS as EMBEDDING_FORMATS
from xqg_bench.retrieval.ingest import SuppliedQueries
from xqg_bench.statistics.robustness import (
    DEFAULT_MARGIN,
    robustness_table,
    severity_plot,
    with_seed_spread,
    write_robustness,
)
from xqg_bench.statistics.seeds import average_draws, collapse_identical, expand_seeds, seed_spread
from xqg_bench.statistics.significance import DEFAULT_CORRECTION, DEFAULT_SAMPLES, DEFAULT_TEST, check_test_options
from xqg_bench.statistics.stability import stability_per_query, stability_summary, with_stability
from xqg_bench.xqg.system import XqgConfig

# A keyboard-typo severity sweep (each drawn with several seeds) and three non-typo families: wrong keyboard
# layout, code-mixing with English names, romanisation as people type it; applied to every system.
DEFAULT_RUN_VARIANTS: tuple[str, ...] = (
    "typo(kind=keyboard,n=1,seed=13)",
    "typo(kind=keyboard,n=2,seed=13)",
    "typo(kind=keyboard,n=3,seed=13)",
    "layout(rate=1.0,seed=13)",
    "codemix(lexicon=both,rate=1.0,seed=13)",
    "romanize(rate=1.0,seed=13)",
)


def _perturb_code() -> str:
    """Fingerprint of what decides a variant's texts: the perturbation code and data, and the versions of
    the libraries it calls (segmenter, transliteration tables, CLDR)."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    import xqg_bench.perturb as perturb

    h = hashlib.sha256()
    root = os.path.dirname(perturb.__file__)
    for dirpath, dirnames, files in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".json", ".txt", ".tsv")):
                path = os.path.join(dirpath, name)
                h.update(os.path.relpath(path, root).encode() + b"\0")
                with open(path, "rb") as f:
                    h.update(f.read())
    for lib in ("janome", "anyascii", "regex", "babel"):
        try:
            h.update(f"{lib}={version(lib)}\0".encode())
        except PackageNotFoundError:
            h.update(f"{lib}=none\0".encode())
    return h.hexdigest()[:16]


def variant_cache_path(base: QuerySet, spec: str, cache_root: str) -> str:
    key = cache_key(make_signature({"base": base.fingerprint[:16], "variant": spec, "code": _perturb_code()}))
    return os.path.join(cache_root, "variants", f"{key}.json")


def load_variant_set(base: QuerySet, spec: str, cache_root: str) -> tuple[QuerySet, bool]:
    """``<base>/<spec>`` as a query set, and whether its texts came from the (checked) cache.

    Perturbing is deterministic but not free (segmenters, validators): the texts of each variant are
    kept in ``cache/variants/`` under a key of the base set, the variant string and the perturbation
    code, so a warm run reads them back; anything else comes from the base set."""
    from xqg_bench.core.atomic import read_checked

    dataset_id = f"{base.dataset_id}/{spec}"
    data = read_checked(variant_cache_path(base, spec, cache_root))
    if data is None:
        return load_query_set(dataset_id), False
    texts = json.loads(data)["texts"]
    if list(texts) != [q.query_id for q in base.queries]:
        raise ValueError(f"{variant_cache_path(base, spec, cache_root)}: not the questions of {base.dataset_id}")
    fp = fingerprint(base.docs, base.queries, texts, base.qrels)
    return QuerySet(dataset_id, base.docs, base.queries, texts, base.qrels, fp, base.store), True


def save_variant_set(base: QuerySet, vqs: QuerySet, spec: str, cache_root: str) -> None:
    from xqg_bench.core.atomic import write_checked

    payload = {
        "variant": spec,
        "base": base.dataset_id,
        "texts": {q.query_id: vqs.texts[q.query_id] for q in base.queries},
    }
    write_checked(variant_cache_path(base, spec, cache_root), json.dumps(payload, ensure_ascii=False).encode("utf-8"))


@dataclass(frozen=True)
class Runtime:
    """How a run is carried out; nothing here changes an output byte (so none of it is in a signature)."""

    output_dir: str = DEFAULT_OUTPUT_DIR
    threads: int = DEFAULT_THREADS
    progress: bool = True
    backend: str = BACKENDS[0]  # local | ray
    ray_actors: int = 2
    ray_gpus_per_actor: float = 0.0
    ray_address: str | None = None
    passage_embeddings: str | None = None  # a directory of embeddings made elsewhere (xqg_bench.retrieval.ingest)
    embeddings_format: str = EMBEDDING_FORMATS[-1]  # tevatron | pyserini | npy
    command: tuple[str, ...] = ()  # the command that re-creates the outputs, shown in the HTML report
    query_embeddings: str | None = (
        None  # generated-query embeddings (or sums) made elsewhere (xqg_bench.retrieval.ingest)
    )
    query_embeddings_format: str = EMBEDDING_FORMATS[-1]  # tevatron | pyserini | npy

    def resources(self, shard_size: int) -> Resources:
        ray = {"actors": self.ray_actors, "gpus_per_actor": self.ray_gpus_per_actor, "address": self.ray_address}
        return Resources(os.path.join(self.output_dir, "cache"), shard_size, self.progress, self.backend, ray)


@dataclass(frozen=True)
class RunConfig:
    """The main command's flags: one query set, a baseline and (unless ``xqg`` is None) its +xQG system.
    ``experiment()`` is the same run as an :class:`~xqg_bench.experiment.config.Experiment` value."""

    dataset: str = DEFAULT_DATASET
    encoder: str = DEFAULT_ENCODER
    output_dir: str = Runtime.output_dir
    depth: int = DEFAULT_DEPTH
    measures: tuple[str, ...] = DEFAULT_MEASURES
    budgets: tuple[int, ...] = DEFAULT_BUDGETS
    threads: int = Runtime.threads
    shard_size: int = DEFAULT_SHARD_SIZE
    index_type: str = DEFAULT_INDEX_TYPE  # a faiss.index_factory string: Flat, IVF4096,PQ96, HNSW32, ...
    progress: bool = True
    xqg: XqgConfig | None = XqgConfig()  # None: baseline only
    variants: tuple[str, ...] = DEFAULT_RUN_VARIANTS  # perturbed query conditions besides clean
    test: str = DEFAULT_TEST  # t | wilcoxon | randomization
    correction: str = DEFAULT_CORRECTION  # holm | bonferroni | bh | none
    samples: int = DEFAULT_SAMPLES  # randomisation / bootstrap resamples
    stats_seed: int = DEFAULT_SEED
    seeds: int = DEFAULT_SEEDS  # draws of each seeded variant, averaged per query (xqg_bench.statistics.seeds)
    margin: float = DEFAULT_MARGIN  # equivalence margin, a fraction of the clean gain (xqg_bench.statistics.robustness)
    max_samples: int | None = None  # cap on Monte Carlo draws (default: enough for the family)
    backend: str = Runtime.backend  # local | ray
    ray_actors: int = Runtime.ray_actors
    ray_gpus_per_actor: float = Runtime.ray_gpus_per_actor
    ray_address: str | None = Runtime.ray_address
    predictions: str = PREDICTION_FORMATS[0]  # json | json.gz | none: the prediction file of every clean-query run
    variant_predictions: bool = False  # prediction files for the perturbed conditions' runs too
    passage_embeddings: str | None = (
        Runtime.passage_embeddings
    )  # embeddings made elsewhere (xqg_bench.retrieval.ingest)
    embeddings_format: str = Runtime.embeddings_format  # tevatron | pyserini | npy
    query_embeddings: str | None = Runtime.query_embeddings  # generated-query embeddings (or sums) made elsewhere
    query_embeddings_format: str = Runtime.query_embeddings_format  # tevatron | pyserini | npy

    def experiment(self) -> Experiment:
        systems = [SystemDecl("baseline", self.encoder, self.index_type)]
        if self.xqg is not None:
            systems.append(SystemDecl("xqg", self.encoder, self.index_type, self.xqg, "baseline"))
        return Experiment(
            name="default",
            query_sets=(self.dataset,),
            systems=tuple(systems),
            pairings=(("baseline", "xqg"),) if self.xqg is not None else (),
            variants=tuple(self.variants),
            seeds=self.seeds,
            measures=measure_list(self.measures, self.budgets),
            statistics=Statistics(
                self.test, self.correction, self.samples, self.stats_seed, self.margin, self.max_samples
            ),
            depth=self.depth,
            shard_size=self.shard_size,
            predictions=self.predictions,
            variant_predictions=self.variant_predictions,
        )

    def runtime(self, command: Sequence[str] = ()) -> Runtime:
        """How to carry the run out; ``command`` (the argv that re-creates its outputs, shown in the report)
        comes from the caller: the command line knows its own syntax."""
        return Runtime(
            self.output_dir, self.threads, self.progress, self.backend, self.ray_actors, self.ray_gpus_per_actor,
            self.ray_address, self.passage_embeddings, self.embeddings_format, tuple(command),
            self.query_embeddings, self.query_embeddings_format,
        )  # fmt: skip


@dataclass
class SystemResult:
    name: str  # the system's name in its experiment ("baseline" and "xqg" in the default run)
    run_path: str
    table: pd.DataFrame
    per_query: pd.DataFrame
    signature: str
    pairing: PairingReport
    files: dict[str, str] = field(default_factory=dict)
    rankings: dict[str, list[tuple[str, float]]] | None = None  # as written to the run file


@dataclass
class RunResult:
    """One query set of an experiment: every system on clean and perturbed queries, every pairing tested."""

    systems: dict[str, SystemResult]  # clean queries
    comparison: pd.DataFrame | None  # the first pairing's per-language comparison (see ``comparisons``)
    files: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    variants: dict[str, dict[str, SystemResult]] = field(default_factory=dict)  # variant -> system -> result
    robustness: pd.DataFrame | None = None  # every pairing (columns baseline, system when more than one)
    key: str = ""  # the configuration's key: every output file of the run carries it
    stages: dict[str, float] = field(default_factory=dict)  # wall seconds per stage (xqg_bench.core.stages)
    summary: str = ""  # the answer first: question and verdict tables (xqg_bench.report), printed by the run
    dataset: str = ""
    pairings: tuple[tuple[str, str], ...] = ()  # (baseline, system) as declared
    comparisons: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)  # per pairing
    leaderboard: pd.DataFrame | None = None  # every pairing, one family

    # the first system's numbers, for callers that run one system
    @property
    def table(self) -> pd.DataFrame:
        return next(iter(self.systems.values())).table


def score_signature(qs: QuerySet, system_spec: str, index_sig: str, exp: Experiment, run_md5: str) -> str:
    return make_signature(
        {
            "data": qs.dataset_id,
            "data_fp": qs.fingerprint[:16],
            "system": system_spec,
            "index": cache_key(index_sig),
            "depth": exp.depth,
            "measures": ",".join(m for m in exp.measures if RKT.parse(m) is None),
            "rkt": ",".join(str(b) for b in exp.budgets) + f"/{TOKENIZER_SIGNATURE}",
            "run_md5": run_md5,
            "version": f"xqg-bench-{__version__}",
        }
    )


def run_system(
    system: System,
    qs: QuerySet,
    exp: Experiment,
    rt: Runtime,
    stem: str,
    out_dir: str | None = None,
    condition: str = "clean",
) -> SystemResult:
    """Search every query with one system, write the run, score it, write the system's files."""
    out_dir = out_dir or rt.output_dir
    qids = [q.query_id for q in qs.queries]
    rankings = system.search(qids, [qs.texts[q] for q in qids], exp.depth, rt.threads)
    run_path = output_path(out_dir, f"{stem}.trec")
    on_disk = write_trec_run(run_path, rankings, tag=slug(f"xqg-bench.{system.spec}"))  # scored as written
    lookup = qs.text_lookup()
    per_query, table, pairing = score_table(on_disk, qs.queries, qs.qrels, lookup, exp.measures)
    run_md5 = file_md5(run_path)
    sig = score_signature(qs, system.spec, system.index_signature, exp, run_md5)
    per_query = per_query.assign(system=system.name, condition=condition, signature=sig)
    files = {"run": run_path}
    if exp.predictions != "none" and (condition == "clean" or exp.variant_predictions):
        files["predictions"] = output_path(out_dir, f"{stem}.predictions.{exp.predictions}")
        write_predictions(files["predictions"], predictions(on_disk, qs.queries, lookup))
    files["per_query"] = output_path(out_dir, f"{stem}.per_query.csv")
    atomic_write_text(files["per_query"], per_query.to_csv(index=False))
    files["table"] = output_path(out_dir, f"{stem}.scores.md")
    atomic_write_text(files["table"], render_markdown(table, sig, pairing))
    files["scores"] = output_path(out_dir, f"{stem}.scores.json")
    atomic_write_json(
        files["scores"],
        {
            "system": system.spec,
            "signature": sig,
            "run": os.path.basename(run_path),
            "run_md5": run_md5,
            "condition": condition,
            "index": os.path.relpath(system.index_path, out_dir),
            "pairing": pairing._asdict(),
            "table": {lang: {k: _num(v) for k, v in row.items()} for lang, row in table.iterrows()},
        },
    )
    return SystemResult(system.name, run_path, table, per_query, sig, pairing, files, on_disk)


def comparison_table(
    base: pd.DataFrame, other: pd.DataFrame, measures: Sequence[str], labels: tuple[str, str] = ("baseline", "+xQG")
) -> pd.DataFrame:
    """Per language: the baseline, the other system and the difference, for each measure."""
    cols = {}
    for m in (m for m in measures if m in base.columns and m in other.columns):  # no qrels: R@kt only
        cols[(m, labels[0])] = base[m]
        cols[(m, labels[1])] = other[m]
        cols[(m, "delta")] = other[m] - base[m]
    out = pd.DataFrame(cols)
    out.index.name = "lang"
    return out


def run_pipeline(cfg: RunConfig, command: Sequence[str] = (), experiment: Experiment | None = None) -> RunResult:
    """Baseline (and, unless ``cfg.xqg`` is None, +xQG): index, search, write runs, score, compare.
    ``command``: the argv that re-creates the outputs, shown in the HTML report (none: no command shown);
    ``experiment``: the run as a value read elsewhere (the packaged default file, the same value as the
    default flags'), else ``cfg.experiment()``."""
    return run_experiment(experiment or cfg.experiment(), cfg.runtime(command))[0]


class _Prepared(NamedTuple):
    qs: QuerySet
    groups: dict  # condition -> its draws (xqg_bench.statistics.seeds), identical draws collapsed
    variant_sets: dict[str, QuerySet]
    loaded: dict[str, tuple[QuerySet, bool]]


def _prepare(exp: Experiment, dataset: str, cache_root: str) -> _Prepared:
    """A query set and its perturbed versions, loaded (and so checked) before anything is written."""
    groups = expand_seeds([parse_variant(v) for v in exp.variants], exp.seeds)
    qs = load_query_set(dataset)
    loaded = {v.spec: load_variant_set(qs, v.spec, cache_root) for vs in groups.values() for v in vs}
    variant_sets = {spec: vqs for spec, (vqs, _cached) in loaded.items()}
    groups = collapse_identical(groups, {spec: vqs.texts for spec, vqs in variant_sets.items()})
    return _Prepared(qs, groups, variant_sets, loaded)


def run_experiment(exp: Experiment, rt: Runtime | None = None) -> list[RunResult]:
    """Every query set x every system x every condition, then every declared pairing tested.

    Top-down: check everything (query sets and their variants loaded, index types trial-built,
    generators' requests checked) before writing anything; then per query set: build or load each
    system's index, search clean and perturbed queries with every system, score, and test the
    pairings — one leaderboard and one robustness table per query set."""
    rt = rt or Runtime()
    t0 = time.perf_counter()
    stages.reset()
    check_experiment(exp)  # specs, variants, measures, names: before any work
    check_test_options(exp.statistics.test, exp.statistics.correction)
    cache_root = os.path.join(rt.output_dir, "cache")
    resources = rt.resources(exp.shard_size)
    if rt.passage_embeddings and (len({s.encoder for s in exp.systems}) != 1 or len(exp.query_sets) != 1):
        raise ValueError(
            "--passage-embeddings stands in for one encoder's passages of one corpus; this experiment has several"
        )
    prepared = [_prepare(exp, dataset, cache_root) for dataset in exp.query_sets]
    supplied = _supplied_queries(exp, rt, prepared, resources, cache_root)  # checked before anything is written
    systems = [make_system(decl, resources) for decl in exp.systems]
    for prep in prepared:
        for system in systems:
            system.check(prep.qs)
    ensure_output_dir(rt.output_dir)
    if supplied is not None:
        supplied.write(rt.progress)  # values checked finite while the store is built under a temporary name
    results = []
    for prep in prepared:
        results.append(_run_query_set(exp, rt, prep, systems, resources, cache_root))
        results[-1].seconds = time.perf_counter() - t0
        results[-1].stages = stages.times()
    return results


def _supplied_queries(
    exp: Experiment, rt: Runtime, prepared: list[_Prepared], resources: Resources, cache_root: str
) -> SuppliedQueries | None:
    """Generated-query embeddings made elsewhere, verified (all but finiteness) and handed to the xQG systems."""
    if not rt.query_embeddings:
        return None
    xqg = [s for s in exp.systems if s.xqg is not None]
    if not xqg or len({s.encoder for s in exp.systems}) != 1 or len(exp.query_sets) != 1:
        raise ValueError(
            "--query-embeddings stands in for the generated queries of one encoder's xQG systems on one corpus; "
            "this experiment has " + ("no xQG system (drop --no-xqg)" if not xqg else "several")
        )
    spec, qs = exp.systems[0].encoder, prepared[0].qs
    langs = xqg[0].xqg.langs  # type: ignore[union-attr]
    supplied = SuppliedQueries(
        rt.query_embeddings, rt.query_embeddings_format, qs.docs, resources.encoder(spec).dim, cache_root,
        exp.shard_size, qs.dataset_id, langs,
    )  # fmt: skip
    supplied.check()
    resources.supply_queries(spec, supplied)
    return supplied


def _run_query_set(
    exp: Experiment, rt: Runtime, prep: _Prepared, systems: list[System], resources: Resources, cache_root: str
) -> RunResult:
    qs, groups, variant_sets = prep.qs, prep.groups, prep.variant_sets
    variants = [v for vs in groups.values() for v in vs]
    st = exp.statistics
    for spec, (vqs, cached) in prep.loaded.items():
        if not cached:
            save_variant_set(qs, vqs, spec, cache_root)
    if rt.passage_embeddings:  # verified and written into the passage-embedding cache; queries: the encoder
        from xqg_bench.retrieval.ingest import ingest_passage_embeddings

        spec = exp.systems[0].encoder
        resources.replace_encoder(spec, ingest_passage_embeddings(
            rt.passage_embeddings, rt.embeddings_format, qs.docs, resources.encoder(spec), cache_root,
            exp.shard_size, qs.dataset_id, rt.progress,
        ))  # fmt: skip
    exp_sig = experiment_signature(exp, qs, systems)  # names the ingested files by content hash
    key = cache_key(exp_sig, 10)
    labels = file_labels(systems)
    shorts = {s.decl.encoder.split("(")[0] for s in systems}
    base_stem = f"{slug(qs.dataset_id)}.{slug(next(iter(shorts)) if len(shorts) == 1 else exp.name)}"
    stem = f"{base_stem}-{key}"  # every report of this configuration carries its key
    run_stems = {s.name: f"{slug(qs.dataset_id)}.{labels[s.name]}-{key}" for s in systems}
    for system in systems:  # passage embeddings encoded once per encoder, whatever is built on them
        system.index(qs)
    by_name = {s.name: s for s in systems}
    results = {s.name: run_system(s, qs, exp, rt, run_stems[s.name]) for s in systems}
    by_variant: dict[str, dict[str, SystemResult]] = {}
    for variant in variants:
        vqs = variant_sets[variant.spec]
        out_dir = output_path(rt.output_dir, "variants", slug(variant.spec))
        by_variant[variant.spec] = {
            s.name: run_system(s, vqs, exp, rt, run_stems[s.name], out_dir, variant.spec) for s in systems
        }
    files: dict[str, str] = {}
    comparison = robustness = board = None
    summary = ""
    comparisons: dict[tuple[str, str], pd.DataFrame] = {}
    pairs = list(exp.pairings)
    if pairs:
        single = _default_shape(exp)
        measures = exp.measures
        sections = []
        for b, s in pairs:
            labels2 = ("baseline", "+xQG") if single else (b, s)
            comparisons[(b, s)] = comparison_table(results[b].table, results[s].table, measures, labels2)
            heading = "# baseline vs +xQG" if single else f"# {b} vs {s}"
            sections.append(render_comparison(comparisons[(b, s)], {n: results[n] for n in (b, s)},
                                              by_name[s].record, heading))  # fmt: skip
        comparison = comparisons[pairs[0]]
        files["comparison"] = output_path(rt.output_dir, f"{stem}.comparison.md")
        atomic_write_text(files["comparison"], "\n".join(sections))
        every = [*results.values(), *(r for v in by_variant.values() for r in v.values())]
        draws = pd.concat([r.per_query for r in every], ignore_index=True)
        draw_groups = {name: [v.spec for v in vs] for name, vs in groups.items()}
        per_query = average_draws(draws, draw_groups)
        sigs = per_query.groupby(["system", "condition"])["signature"].first().to_dict()
        # one family: every pairing, measure, condition and language
        board, written = leaderboard(per_query, sigs, st, rt.output_dir, f"{stem}.leaderboard", pairs=pairs)
        files.update({f"leaderboard.{ext}": path for ext, path in written.items()})
        if by_variant:
            with stage("statistics"):
                robustness = robustness_table(
                    per_query, correction=st.correction, samples=st.samples, seed=st.seed, margin=st.margin,
                    max_samples=st.max_samples, changed=changed_queries(qs, groups, variant_sets), pairs=pairs,
                )  # fmt: skip
                stab = stability_per_query(
                    {name: r.rankings for name, r in results.items()},
                    {cond: {name: r.rankings for name, r in v.items()} for cond, v in by_variant.items()},
                    {q.query_id: q.lang for q in qs.queries},
                    exp.depth,
                )
                stab = average_draws(stab, draw_groups)
                stab_summary = stability_summary(stab, st.samples, st.seed)
                parts = []
                for b, s in pairs:  # seed spread and ranking stability: per pairing, then concatenated
                    part = robustness
                    if len(pairs) > 1:
                        part = robustness[(robustness["baseline"] == b) & (robustness["system"] == s)]
                    spread = seed_spread(draws, draw_groups, b, s)
                    if len(pairs) > 1 and not spread.empty:
                        spread = spread.assign(baseline=b, system=s)
                    part = with_seed_spread(part, spread)
                    parts.append(with_stability(part, stab_summary, b, s))
                attrs = robustness.attrs
                robustness = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
                robustness.attrs.update(attrs)
            files.update(write_robustness(robustness, rt.output_dir, f"{stem}.robustness"))
            plot = output_path(rt.output_dir, f"{stem}.severity.png")
            if severity_plot(per_query, plot, list(VERDICT_MEASURES), board_pairs(board), st.samples, st.seed):
                files["severity.png"] = plot
        swept = [d for d in exp.systems if d.sweep]
        if swept:
            plot = output_path(rt.output_dir, f"{stem}.sweep.png")
            if sweep_plot(per_query, exp, plot):
                files["sweep.png"] = plot
        # the answer first: question, verdict tables, plots, every table, signatures, the command (one page)
        # the command comes from the caller (the CLI); an experiment read from a file is re-created by its file
        command = list(rt.command)
        if not command and not exp.source.startswith("<"):
            out_name = os.path.basename(os.path.normpath(rt.output_dir))
            command = ["python", "-m", "xqg_bench.run", "experiment", exp.source, "--output-dir", out_name]
        files["report.html"], summary = write_report(
            rt.output_dir, stem, board, robustness, files, command, [exp_sig], order=list(groups)
        )
    record_experiment(rt.output_dir, key, exp_sig, results, by_variant, files)
    return RunResult(
        results, comparison, files, 0.0, by_variant, robustness, key, {}, summary, qs.dataset_id, tuple(pairs),
        comparisons, board,
    )  # fmt: skip


def render_result(res: RunResult, output_dir: str) -> str:
    """What a run prints: the answer first (the question and verdict tables of :mod:`xqg_bench.report`; with
    one system, its scores), then every file written, the experiment key, the stage times and the wall time."""
    lines = []
    if res.summary:
        lines.append(res.summary)
    else:  # one system: its scores
        for name, sys_res in res.systems.items():
            lines += [f"## {name}\n", render_markdown(sys_res.table, sys_res.signature, sys_res.pairing)]
    lines.append("files:")
    lines += [f"  {kind}: {path}" for kind, path in res.files.items()]
    lines += [f"  {name}.{kind}: {path}" for name, r in res.systems.items() for kind, path in r.files.items()]
    if res.variants:
        lines.append(f"  perturbed conditions: {os.path.join(output_dir, 'variants')}/<condition>/ (runs, scores)")
    lines.append(
        f"experiment key: {res.key} (every output file of this configuration carries it; see {output_dir}/INDEX.md)"
    )
    lines += [stages.summary(res.stages), f"done in {res.seconds:.1f} s"]
    return "\n".join(lines)


def sweep_plot(per_query: pd.DataFrame, exp: Experiment, path: str, measures: Sequence[str] | None = None) -> bool:
    """PNG of each measure (clean queries, mean over languages) against each swept augmentation value
    (alpha, n, use_n): one panel per (measure, swept key), one line per value of the other swept keys,
    the base system as a dashed line.  Returns False when nothing is swept."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    swept = [d for d in exp.systems if d.sweep]
    keys = [k for k in ("alpha", "n", "use_n") if any(k in dict(d.sweep) for d in swept)]
    if not keys:
        return False
    measures = [m for m in (measures or exp.measures) if m in set(per_query["measure"])]
    clean = per_query[per_query["condition"] == "clean"]
    means = clean.groupby(["system", "measure", "lang"])["value"].mean().groupby(["system", "measure"]).mean()
    fig, axes = plt.subplots(len(measures), len(keys), figsize=(5 * len(keys), 3.6 * len(measures)), squeeze=False)
    axis_names = {"alpha": "alpha (augmentation weight)", "n": "n (queries generated per language)",
                  "use_n": "n (queries used per language)"}  # fmt: skip
    for row, measure in enumerate(measures):
        for col, key in enumerate(keys):
            ax = axes[row][col]
            lines: dict[tuple, list[tuple[float, float]]] = {}
            for d in swept:
                values = dict(d.sweep)
                if key not in values:
                    continue
                rest = tuple((k, v) for k, v in d.sweep if k != key)
                lines.setdefault((d.base, rest), []).append((float(values[key]), means.get((d.name, measure))))
            for (base, rest), pts in sorted(lines.items(), key=lambda kv: str(kv[0])):
                pts.sort()
                label = ", ".join(f"{k}={v}" for k, v in rest) or (f"+xQG on {base}" if base else "+xQG")
                ax.plot([x for x, _ in pts], [y for _, y in pts], marker="o", label=label)
            for base in sorted({d.base for d in swept if d.base}):
                if (base, measure) in means:
                    ax.axhline(means[(base, measure)], linestyle="--", color="grey", label=f"{base} (no xQG)")
            ax.set_xlabel(axis_names[key])
            ax.set_ylabel(f"{measure} (mean over languages)")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    fig.suptitle(f"{exp.name}: clean queries")
    fig.tight_layout()
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=100)
    plt.close(fig)
    return True


def changed_queries(qs: QuerySet, groups: dict, variant_sets: dict[str, QuerySet]) -> dict[str, set[str]]:
    """Per condition, the questions whose text one of its draws changed (robustness is measured on them)."""
    return {
        name: {q for v in vs for q, text in variant_sets[v.spec].texts.items() if text != qs.texts[q]}
        for name, vs in groups.items()
    }


def _default_shape(exp: Experiment) -> bool:
    """A baseline named ``baseline`` and at most its +xQG system ``xqg`` on the same encoder and index,
    tested against it: the main command's run, whose signature and file names predate experiments."""
    d = exp.systems
    if [s.name for s in d] == ["baseline"]:
        return d[0].xqg is None and not exp.pairings
    return (
        [s.name for s in d] == ["baseline", "xqg"]
        and d[0].xqg is None
        and d[1].xqg is not None
        and (d[1].encoder, d[1].index_type) == (d[0].encoder, d[0].index_type)
        and exp.pairings == (("baseline", "xqg"),)
    )


def _xqg_fields(x: XqgConfig, gen_spec: str, prefix: str = "xqg") -> dict[str, object]:
    fields: dict[str, object] = {
        f"{prefix}_gen": gen_spec,
        f"{prefix}_langs": ",".join(x.langs),
        f"{prefix}_n": x.n,
        f"{prefix}_seed": x.seed,
        f"{prefix}_aug": x.augment.spec,
        f"{prefix}_store": f"{x.query_store}/{x.query_dtype}",
    }
    if x.allow_short:
        fields[f"{prefix}_allow_short"] = 1
    return fields


def experiment_signature(exp: Experiment, qs: QuerySet, systems: Sequence[System]) -> str:
    """Every setting of a run that can change one of its outputs; its ``cache_key`` names them.

    The main command's shape (a baseline and its +xQG system) keeps the fields it had before
    experiments were values, so its key — and every file name — is unchanged; any other experiment
    lists each system's encoder, weights, index type and augmentation, and the pairings."""
    st = exp.statistics
    first = systems[0]
    enc = first.resources.encoder(first.decl.encoder)
    fields: dict[str, object] = {"data": qs.dataset_id, "data_fp": qs.fingerprint[:16]}
    if _default_shape(exp):
        fields.update(encoder=enc.spec, weights=enc.fingerprint()[:16])
    else:
        fields["experiment"] = exp.name
        specs = list(dict.fromkeys(s.decl.encoder for s in systems))
        fields["encoder"] = ";".join(first.resources.encoder(e).spec for e in specs)
        for s in systems:
            e = s.resources.encoder(s.decl.encoder)
            fields[f"system.{s.name}"] = f"{e.spec} weights={e.fingerprint()[:16]} index={s.decl.index_type}"
            if s.decl.xqg is not None:
                gen = s.generator.spec  # type: ignore[attr-defined]
                fields.update(_xqg_fields(s.decl.xqg, gen, f"system.{s.name}.xqg"))
        fields["pairings"] = ";".join(f"{b}>{s}" for b, s in exp.pairings)
    fields.update(
        {
            "depth": exp.depth,
            "measures": ",".join(m for m in exp.measures if RKT.parse(m) is None),
            "budgets": ",".join(str(b) for b in exp.budgets),
        }
    )
    if _default_shape(exp):
        fields["index_type"] = first.decl.index_type
    fields.update(
        {
            "shard": exp.shard_size,
            "variants": ";".join(exp.variants),
            "stats": f"{st.test}/{st.correction}/{st.samples}/{st.seed}",
            "seeds": exp.seeds,
            "margin": st.margin,
            "max_samples": st.max_samples if st.max_samples is not None else "auto",
            "predictions": exp.predictions + ("+variants" if exp.variant_predictions else ""),
        }
    )
    if _default_shape(exp):
        xqg = [s for s in systems if s.decl.xqg is not None]
        if xqg:
            fields.update(_xqg_fields(xqg[0].decl.xqg, xqg[0].generator.spec))  # type: ignore[arg-type, attr-defined]
        else:
            fields["xqg"] = "none"
    fields["version"] = f"xqg-bench-{__version__}"
    return make_signature(
        {k: str(v).replace("|", "/") if k == "index_type" or k.startswith("system.") else v for k, v in fields.items()}
    )


INDEX_JSON, INDEX_MD = "index.json", "INDEX.md"


def record_experiment(
    out_dir: str,
    key: str,
    signature: str,
    systems: dict[str, SystemResult],
    variants: dict[str, dict[str, SystemResult]],
    files: dict[str, str],
) -> None:
    """Add this run to ``<out_dir>/index.json`` and ``INDEX.md`` (key -> configuration and files; ``latest``
    names the last run finished), under a lock so that concurrent runs keep each other's entries."""
    import fcntl

    def rel(path: str) -> str:
        return os.path.relpath(path, out_dir)

    entry = {
        "signature": signature,
        "config": dict(part.split(":", 1) for part in signature.split("|")),
        "files": {k: rel(v) for k, v in sorted(files.items())}
        | {f"{name}.{k}": rel(v) for name, r in systems.items() for k, v in sorted(r.files.items())},
        "variants": {cond: {name: rel(r.run_path) for name, r in v.items()} for cond, v in variants.items()},
    }
    with open(os.path.join(out_dir, ".index.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = os.path.join(out_dir, INDEX_JSON)
        index = {"experiments": {}}
        if os.path.exists(path):
            try:
                index = read_json(path, "the experiment index")
                if not isinstance(index.get("experiments"), dict):
                    raise ValueError(f"{path}: not an experiment index")
            except ValueError as e:
                import sys

                print(f"warning: {e}; it is started again", file=sys.stderr)
                index = {"experiments": {}}
        index["experiments"][key] = entry
        index["latest"] = key
        atomic_write_json(path, index)
        atomic_write_text(os.path.join(out_dir, INDEX_MD), render_index(index))


def render_index(index: dict) -> str:
    lines = [
        "# Experiments in this directory",
        "",
        "Every output of a configuration carries its key (`<dataset>.<encoder>-<key>.*`); `index.json` holds the "
        "same entries with every file.",
        "",
        f"latest: `{index.get('latest', '')}`",
        "",
        "| key | dataset | encoder | xQG | variants | leaderboard |",
        "|---|---|---|---|---|---|",
    ]
    for key, e in sorted(index["experiments"].items()):
        c = e.get("config", {})
        xqg = "none"
        if "experiment" in c:  # an experiment file's run: its systems are in index.json
            xqg = f"experiment {c['experiment']}: " + ", ".join(k[len("system.") :] for k in c if k.count(".") == 1
                                                                 and k.startswith("system."))  # fmt: skip
        elif c.get("xqg") != "none":
            xqg = f"{c.get('xqg_gen', '')} n={c.get('xqg_n', '')} {c.get('xqg_aug', '')}"
        board = e.get("files", {}).get("leaderboard.md", "")
        cells = [key, c.get("data", ""), c.get("encoder", ""), xqg, c.get("variants", "") or "none", board]
        lines.append("| " + " | ".join(str(x).replace("|", "/") for x in cells) + " |")
    return "\n".join(lines) + "\n"


def load_generator_spec_check(spec_text: str) -> None:
    """Validate a generator spec against its declaration before any work (loading happens later)."""
    from xqg_bench.xqg.generators import check_generator_spec

    check_generator_spec(spec_text)


def render_comparison(
    comparison: pd.DataFrame, systems: dict[str, SystemResult], record: dict, heading: str = "# baseline vs +xQG"
) -> str:
    lines = [heading, ""]
    for m in dict.fromkeys(c[0] for c in comparison.columns):
        sub = comparison[m].copy()
        sub = sub.apply(lambda col, m=m: col.map(lambda v: format_value(m, v)))
        lines += [f"## {m}", "", sub.to_markdown(), ""]
    if not record:  # the compared system has no augmentation
        lines += [f"{name}: `{res.signature}`" for name, res in systems.items()]
        return "\n".join(lines) + "\n"
    used = record.get("used_per_lang", {})
    counts = ", ".join(
        f"{lg} {c['queries']} ({c['min']}-{c['max']} per passage)" for lg, c in used.items() if c["queries"]
    )
    lines.append(
        f"xQG: generator `{record['generator']}`, seed {record['seed']}, augmentation `{record['augment']}`; "
        f"requested n={record['n_generated']} per language in {','.join(record['langs'])}; "
        f"used (counted in the generated queries): languages {','.join(record.get('used_langs', [])) or 'none'}; "
        f"queries {counts or 'none'}"
    )
    lines.append("")
    for name, res in systems.items():
        lines.append(f"{name}: `{res.signature}`")
    return "\n".join(lines) + "\n"


def _num(v: object) -> float | int:
    f = float(v)  # type: ignore[arg-type]
    return int(f) if f.is_integer() and abs(f) < 1e15 else round(f, 6)
