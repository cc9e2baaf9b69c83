"""The foundation path: dataset -> encoder -> Pyserini index -> search -> TREC run -> scores."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import pandas as pd

from xqg_bench import __version__, stages
from xqg_bench.atomic import atomic_write_json, atomic_write_text, ensure_output_dir, output_path, read_json
from xqg_bench.compare import compare
from xqg_bench.datasets.docs import DocSequence
from xqg_bench.encoders import DEFAULT_ENCODER, load_encoder
from xqg_bench.encoders.base import Encoder
from xqg_bench.encoders.cache import CachedQueryEncoder
from xqg_bench.evaluate.measures import (
    DEFAULT_BUDGETS,
    DEFAULT_MEASURES,
    PairingReport,
    QueryInfo,
    TextLookup,
    docs_store_texts,
    language_table,
    parse_measures,
    score_rankings,
)
from xqg_bench.evaluate.predictions import FORMATS as PREDICTION_FORMATS
from xqg_bench.evaluate.predictions import predictions, write_predictions
from xqg_bench.evaluate.rkt import rkt_label
from xqg_bench.evaluate.tokenize import TOKENIZER_SIGNATURE
from xqg_bench.index import IndexInfo, build_index, check_index_type
from xqg_bench.leaderboard import leaderboard_frame, write_leaderboard
from xqg_bench.perturb.families import parse_variant
from xqg_bench.perturb.registry import query_answers, query_lang
from xqg_bench.report import VERDICT_MEASURES, pairs, write_report
from xqg_bench.robustness import DEFAULT_MARGIN, robustness_table, severity_plot, with_seed_spread, write_robustness
from xqg_bench.runs import write_trec_run
from xqg_bench.search import cached_search
from xqg_bench.seeds import average_draws, collapse_identical, expand_seeds, seed_spread
from xqg_bench.signature import cache_key, file_md5, fingerprint_lines, make_signature
from xqg_bench.significance import DEFAULT_CORRECTION, DEFAULT_SAMPLES, DEFAULT_TEST
from xqg_bench.spec import DEFAULT_INDEX_TYPE, DEFAULT_SEED, DEFAULT_SHARD_SIZE
from xqg_bench.stability import stability_per_query, stability_summary, with_stability
from xqg_bench.stages import stage
from xqg_bench.xqg.generators import QueryGenerator, load_generator
from xqg_bench.xqg.system import XqgConfig, build_xqg_index

DEFAULT_DATASET = "xqg-bench:mini/dev"
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


class QuerySet(NamedTuple):
    dataset_id: str
    docs: DocSequence  # streamed where the corpus allows (XOR-TyDi), loaded once otherwise
    queries: list[QueryInfo]
    texts: dict[str, str]  # query id -> question text
    qrels: list[tuple[str, str, int]] | None
    fingerprint: str
    store: object  # the dataset's docs_store (passage texts for R@kt without holding the corpus)

    def text_lookup(self) -> TextLookup:
        lookup = docs_store_texts(self.store)

        def texts(doc_ids: Sequence[str]) -> list[str]:
            try:
                return lookup(doc_ids)
            except KeyError as e:
                raise KeyError(f"{e.args[0]} (corpus of {self.dataset_id})") from None

        return texts

    def check_ids(self, path: str, kind: str, pairs: Sequence[tuple[str, str]], allow_extra: bool = False) -> None:
        """Fail naming file, line and ID when a run or qrels file holds a query or doc id this set lacks."""
        from xqg_bench.textfile import check_ids

        def known_queries(ids: list[str]) -> set[str]:
            return {q for q in ids if q in self.texts}

        def known_docs(ids: list[str]) -> set[str]:
            return set(self.store.get_many(ids))

        check_ids(path, kind, pairs, known_queries, known_docs, self.dataset_id, allow_extra)

    def check_run(self, path: str, rankings: dict[str, list[tuple[str, float]]], allow_extra: bool = False) -> None:
        self.check_ids(path, "run", [(q, d) for q, ranked in rankings.items() for d, _s in ranked], allow_extra)


def load_query_set(dataset_id: str) -> QuerySet:
    """Docs (streamed where possible), queries (with lang and answers) and qrels of an ir_datasets ID."""
    from xqg_bench.datasets import load_dataset

    ds = load_dataset(dataset_id)
    if not ds.has_docs() or not ds.has_queries():
        raise ValueError(f"{dataset_id!r} needs docs and queries; use a query set such as {DEFAULT_DATASET!r}")
    docs = DocSequence(ds.docs_handler())
    queries, texts = [], {}
    for q in ds.queries_iter():
        lang = query_lang(q, ds.queries_handler(), dataset_id)  # its lang field or the set's queries_lang()
        if not q.text.strip():
            raise ValueError(
                f"{dataset_id}: query {q.query_id} is empty or whitespace only; a dense encoder cannot search it "
                "(fix the query file, or drop the query from the set)"
            )
        queries.append(QueryInfo(q.query_id, lang, query_answers(q)))
        texts[q.query_id] = q.text
    qrels = [(r.query_id, r.doc_id, int(r.relevance)) for r in ds.qrels_iter()] if ds.has_qrels() else None
    return QuerySet(dataset_id, docs, queries, texts, qrels, _fingerprint(docs, queries, texts, qrels), ds.docs_store())


def _fingerprint(docs: DocSequence, queries: Sequence[QueryInfo], texts: dict[str, str], qrels: list | None) -> str:
    return fingerprint_lines(
        [f"docs\t{docs.fingerprint()}"]
        + [f"{q.query_id}\t{q.lang}\t{texts[q.query_id]}\t{'|'.join(q.answers)}" for q in queries]
        + [f"{q}\t{d}\t{r}" for q, d, r in sorted(qrels or [])]
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
    from xqg_bench.atomic import read_checked

    dataset_id = f"{base.dataset_id}/{spec}"
    data = read_checked(variant_cache_path(base, spec, cache_root))
    if data is None:
        return load_query_set(dataset_id), False
    texts = json.loads(data)["texts"]
    if list(texts) != [q.query_id for q in base.queries]:
        raise ValueError(f"{variant_cache_path(base, spec, cache_root)}: not the questions of {base.dataset_id}")
    fp = _fingerprint(base.docs, base.queries, texts, base.qrels)
    return QuerySet(dataset_id, base.docs, base.queries, texts, base.qrels, fp, base.store), True


def save_variant_set(base: QuerySet, vqs: QuerySet, spec: str, cache_root: str) -> None:
    from xqg_bench.atomic import write_checked

    payload = {
        "variant": spec,
        "base": base.dataset_id,
        "texts": {q.query_id: vqs.texts[q.query_id] for q in base.queries},
    }
    write_checked(variant_cache_path(base, spec, cache_root), json.dumps(payload, ensure_ascii=False).encode("utf-8"))


@dataclass(frozen=True)
class RunConfig:
    dataset: str = DEFAULT_DATASET
    encoder: str = DEFAULT_ENCODER
    output_dir: str = "runs"
    depth: int = 100
    measures: tuple[str, ...] = DEFAULT_MEASURES
    budgets: tuple[int, ...] = DEFAULT_BUDGETS
    threads: int = 2
    shard_size: int = DEFAULT_SHARD_SIZE
    index_type: str = DEFAULT_INDEX_TYPE  # a faiss.index_factory string: Flat, IVF4096,PQ96, HNSW32, ...
    progress: bool = True
    xqg: XqgConfig | None = XqgConfig()  # None: baseline only
    variants: tuple[str, ...] = DEFAULT_RUN_VARIANTS  # perturbed query conditions besides clean
    test: str = DEFAULT_TEST  # t | wilcoxon | randomization
    correction: str = DEFAULT_CORRECTION  # holm | bonferroni | bh | none
    samples: int = DEFAULT_SAMPLES  # randomisation / bootstrap resamples
    stats_seed: int = DEFAULT_SEED
    seeds: int = 3  # draws of each seeded variant, averaged per query (xqg_bench.seeds)
    margin: float = DEFAULT_MARGIN  # equivalence margin, a fraction of the clean gain (xqg_bench.robustness)
    max_samples: int | None = None  # cap on Monte Carlo draws (default: enough for the family)
    backend: str = "local"  # local | ray
    ray_actors: int = 2
    ray_gpus_per_actor: float = 0.0
    ray_address: str | None = None
    predictions: str = "json"  # json | json.gz | none: the official prediction file of every clean-query run
    variant_predictions: bool = False  # prediction files for the perturbed conditions' runs too
    passage_embeddings: str | None = None  # a directory of embeddings made elsewhere (xqg_bench.ingest)
    embeddings_format: str = "npy"  # tevatron | pyserini | npy

    def load_encoder(self) -> Encoder:
        if self.backend == "ray":
            return load_encoder(
                self.encoder,
                backend="ray",
                actors=self.ray_actors,
                gpus_per_actor=self.ray_gpus_per_actor,
                address=self.ray_address,
            )
        return load_encoder(self.encoder, backend=self.backend)

    def load_generator(self) -> QueryGenerator | None:
        """The xQG generator on the chosen backend (None: load locally when needed)."""
        if self.xqg is None or self.backend != "ray":
            return None
        return load_generator(
            self.xqg.generator,
            backend="ray",
            actors=self.ray_actors,
            gpus_per_actor=self.ray_gpus_per_actor,
            address=self.ray_address,
        )


@dataclass
class SystemResult:
    name: str  # "baseline" or "xqg"
    run_path: str
    table: pd.DataFrame
    per_query: pd.DataFrame
    signature: str
    pairing: PairingReport
    files: dict[str, str] = field(default_factory=dict)
    rankings: dict[str, list[tuple[str, float]]] | None = None  # as written to the run file


@dataclass
class RunResult:
    systems: dict[str, SystemResult]  # clean queries
    comparison: pd.DataFrame | None
    files: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    variants: dict[str, dict[str, SystemResult]] = field(default_factory=dict)  # variant -> system -> result
    robustness: pd.DataFrame | None = None
    key: str = ""  # the configuration's key: every output file of the run carries it
    stages: dict[str, float] = field(default_factory=dict)  # wall seconds per stage (xqg_bench.stages)
    summary: str = ""  # the answer first: question and verdict tables (xqg_bench.report), printed by the run

    # the baseline's numbers, for callers that run one system
    @property
    def table(self) -> pd.DataFrame:
        return self.systems["baseline"].table


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-")


def score_signature(qs: QuerySet, system_spec: str, index_sig: str, cfg: RunConfig, run_md5: str) -> str:
    return make_signature(
        {
            "data": qs.dataset_id,
            "data_fp": qs.fingerprint[:16],
            "system": system_spec,
            "index": cache_key(index_sig),
            "depth": cfg.depth,
            "measures": ",".join(cfg.measures),
            "rkt": ",".join(str(b) for b in cfg.budgets) + f"/{TOKENIZER_SIGNATURE}",
            "run_md5": run_md5,
            "version": f"xqg-bench-{__version__}",
        }
    )


def run_system(
    name: str,
    system_spec: str,
    info: IndexInfo,
    encoder: Encoder,
    qs: QuerySet,
    cfg: RunConfig,
    stem: str,
    out_dir: str | None = None,
    condition: str = "clean",
) -> SystemResult:
    """Search every query on one index, write the run, score it, write the system's files."""
    out_dir = out_dir or cfg.output_dir
    qids = [q.query_id for q in qs.queries]
    with stage("encode questions and search"):
        rankings = cached_search(
            info.path,
            info.signature,
            encoder,
            qids,
            [qs.texts[q] for q in qids],
            os.path.join(cfg.output_dir, "cache"),
            depth=cfg.depth,
            threads=cfg.threads,
            progress=cfg.progress,
        )
    run_path = output_path(out_dir, f"{stem}.trec")
    on_disk = write_trec_run(run_path, rankings, tag=slug(f"xqg-bench.{system_spec}"))  # scored as written
    lookup = qs.text_lookup()
    with stage("score"):
        per_query, pairing = score_rankings(on_disk, qs.queries, qs.qrels, lookup, cfg.measures, cfg.budgets)
    table = language_table(per_query, [rkt_label(b) for b in cfg.budgets] + list(cfg.measures))
    run_md5 = file_md5(run_path)
    sig = score_signature(qs, system_spec, info.signature, cfg, run_md5)
    per_query = per_query.assign(system=name, condition=condition, signature=sig)
    files = {"run": run_path}
    if cfg.predictions != "none" and (condition == "clean" or cfg.variant_predictions):
        files["predictions"] = output_path(out_dir, f"{stem}.predictions.{cfg.predictions}")
        write_predictions(files["predictions"], predictions(on_disk, qs.queries, lookup))
    files["per_query"] = output_path(out_dir, f"{stem}.per_query.csv")
    atomic_write_text(files["per_query"], per_query.to_csv(index=False))
    files["table"] = output_path(out_dir, f"{stem}.scores.md")
    atomic_write_text(files["table"], render_markdown(table, sig, pairing))
    files["scores"] = output_path(out_dir, f"{stem}.scores.json")
    atomic_write_json(
        files["scores"],
        {
            "system": system_spec,
            "signature": sig,
            "run": os.path.basename(run_path),
            "run_md5": run_md5,
            "condition": condition,
            "index": os.path.relpath(info.path, out_dir),
            "pairing": pairing._asdict(),
            "table": {lang: {k: _num(v) for k, v in row.items()} for lang, row in table.iterrows()},
        },
    )
    return SystemResult(name, run_path, table, per_query, sig, pairing, files, on_disk)


def comparison_table(base: pd.DataFrame, other: pd.DataFrame, measures: Sequence[str]) -> pd.DataFrame:
    """Per language: baseline, +xQG and the difference, for each measure."""
    cols = {}
    for m in (m for m in measures if m in base.columns and m in other.columns):  # no qrels: R@kt only
        cols[(m, "baseline")] = base[m]
        cols[(m, "+xQG")] = other[m]
        cols[(m, "delta")] = other[m] - base[m]
    out = pd.DataFrame(cols)
    out.index.name = "lang"
    return out


def run_pipeline(cfg: RunConfig) -> RunResult:
    """Baseline (and, unless ``cfg.xqg`` is None, +xQG): index, search, write runs, score, compare."""
    t0 = time.perf_counter()
    stages.reset()
    if cfg.predictions not in PREDICTION_FORMATS:
        raise ValueError(f"predictions={cfg.predictions!r}: use one of {', '.join(PREDICTION_FORMATS)}")
    parse_measures(cfg.measures)  # fail before any work on a bad measure name or statistics option
    compare(pd.DataFrame(columns=["system", "query_id", "lang", "measure", "value"]), [], [], cfg.test, cfg.correction)
    if cfg.xqg is not None:
        cfg.xqg.augment.validate()
        load_generator_spec_check(cfg.xqg.generator)
    groups = expand_seeds([parse_variant(v) for v in cfg.variants], cfg.seeds)  # fail early on a bad variant
    qs = load_query_set(cfg.dataset)
    encoder = cfg.load_encoder()
    # the generator is loaded (a released file read and checked) before any work
    generator = None if cfg.xqg is None else cfg.load_generator() or load_generator(cfg.xqg.generator)
    # every query set is loaded (and so checked) before anything is written
    cache_root = os.path.join(cfg.output_dir, "cache")
    loaded = {v.spec: load_variant_set(qs, v.spec, cache_root) for vs in groups.values() for v in vs}
    variant_sets = {spec: vqs for spec, (vqs, _cached) in loaded.items()}
    groups = collapse_identical(groups, {spec: vqs.texts for spec, vqs in variant_sets.items()})
    variants = [v for vs in groups.values() for v in vs]
    check_index_type(cfg.index_type, encoder.dim, len(qs.docs))  # parsed and trial-built before any encoding
    if generator is not None and hasattr(generator, "check_request"):
        generator.check_request(qs.docs, cfg.xqg.langs, cfg.xqg.n, cfg.xqg.allow_short)  # type: ignore[union-attr]
    ensure_output_dir(cfg.output_dir)
    for spec, (vqs, cached) in loaded.items():
        if not cached:
            save_variant_set(qs, vqs, spec, cache_root)
    if cfg.passage_embeddings:  # verified and written into the passage-embedding cache; queries: cfg.encoder
        from xqg_bench.ingest import ingest_passage_embeddings

        encoder = ingest_passage_embeddings(
            cfg.passage_embeddings, cfg.embeddings_format, qs.docs, encoder, cache_root, cfg.shard_size,
            cfg.dataset, cfg.progress,
        )  # fmt: skip
    exp_sig = experiment_signature(cfg, qs, encoder, generator)  # names the ingested files by content hash
    key = cache_key(exp_sig, 10)
    stem = f"{slug(cfg.dataset)}.{slug(encoder.spec.split('(')[0])}"
    query_encoder = CachedQueryEncoder(encoder, cache_root)
    indexes: dict[str, tuple[str, IndexInfo, str]] = {}  # system -> (spec, index, run stem)
    info = build_index(encoder, qs.docs, cache_root, cfg.shard_size, cfg.progress, cfg.index_type)
    indexes["baseline"] = (encoder.spec, info, f"{stem}-{key}")
    record: dict = {}
    if cfg.xqg is not None:
        xinfo, record = build_xqg_index(
            encoder, qs.docs, cache_root, cfg.xqg, cfg.shard_size, cfg.progress, generator, cfg.index_type
        )
        gen = f"gen:{record['generator']}:n{record['n_generated']}:seed{record['seed']}"
        indexes["xqg"] = (f"{encoder.spec}+{record['augment']}+{gen}", xinfo, f"{stem}+xqg-{key}")
    stem = f"{stem}-{key}"  # every report of this configuration carries its key
    systems = {
        name: run_system(name, spec, ix, query_encoder, qs, cfg, run_stem)
        for name, (spec, ix, run_stem) in indexes.items()
    }
    by_variant: dict[str, dict[str, SystemResult]] = {}
    for variant in variants:
        vqs = variant_sets[variant.spec]
        out_dir = output_path(cfg.output_dir, "variants", slug(variant.spec))
        by_variant[variant.spec] = {
            name: run_system(name, spec, ix, query_encoder, vqs, cfg, run_stem, out_dir, variant.spec)
            for name, (spec, ix, run_stem) in indexes.items()
        }
    files: dict[str, str] = {}
    comparison = robustness = None
    summary = ""
    if cfg.xqg is not None:
        measures = [rkt_label(b) for b in cfg.budgets] + list(cfg.measures)
        comparison = comparison_table(systems["baseline"].table, systems["xqg"].table, measures)
        files["comparison"] = output_path(cfg.output_dir, f"{stem}.comparison.md")
        atomic_write_text(files["comparison"], render_comparison(comparison, systems, record))
        every = [*systems.values(), *(r for v in by_variant.values() for r in v.values())]
        draws = pd.concat([r.per_query for r in every], ignore_index=True)
        per_query = average_draws(draws, {name: [v.spec for v in vs] for name, vs in groups.items()})
        with stage("statistics"):
            result = compare(
                per_query,
                "baseline",
                ["xqg"],
                cfg.test,
                cfg.correction,
                cfg.samples,
                cfg.stats_seed,
                max_samples=cfg.max_samples,
            )
        sigs = per_query.groupby(["system", "condition"])["signature"].first().to_dict()
        board = leaderboard_frame(result, sigs)
        for ext, path in write_leaderboard(board, cfg.output_dir, f"{stem}.leaderboard").items():
            files[f"leaderboard.{ext}"] = path
        if by_variant:
            with stage("statistics"):
                robustness = robustness_table(
                    per_query,
                    "baseline",
                    "xqg",
                    cfg.correction,
                    cfg.samples,
                    cfg.stats_seed,
                    margin=cfg.margin,
                    max_samples=cfg.max_samples,
                    changed=changed_queries(qs, groups, variant_sets),
                )
                spread = seed_spread(draws, {n: [v.spec for v in vs] for n, vs in groups.items()}, "baseline", "xqg")
                robustness = with_seed_spread(robustness, spread)
                stab = stability_per_query(
                    {name: r.rankings for name, r in systems.items()},
                    {cond: {name: r.rankings for name, r in v.items()} for cond, v in by_variant.items()},
                    {q.query_id: q.lang for q in qs.queries},
                    cfg.depth,
                )
                stab = average_draws(stab, {name: [v.spec for v in vs] for name, vs in groups.items()})
                stab_summary = stability_summary(stab, cfg.samples, cfg.stats_seed)
                robustness = with_stability(robustness, stab_summary, "baseline", "xqg")
            files.update(write_robustness(robustness, cfg.output_dir, f"{stem}.robustness"))
            plot = output_path(cfg.output_dir, f"{stem}.severity.png")
            if severity_plot(per_query, plot, list(VERDICT_MEASURES), pairs(board), cfg.samples, cfg.stats_seed):
                files["severity.png"] = plot
        # the answer first: question, verdict tables, plots, every table, signatures, the command (one page)
        from xqg_bench.run import run_argv

        command = run_argv(replace(cfg, output_dir=os.path.basename(os.path.normpath(cfg.output_dir))))
        files["report.html"], summary = write_report(
            cfg.output_dir, stem, board, robustness, files, command, [exp_sig], order=list(groups)
        )
    record_experiment(cfg.output_dir, key, exp_sig, systems, by_variant, files)
    seconds = time.perf_counter() - t0
    return RunResult(systems, comparison, files, seconds, by_variant, robustness, key, stages.times(), summary)


def changed_queries(qs: QuerySet, groups: dict, variant_sets: dict[str, QuerySet]) -> dict[str, set[str]]:
    """Per condition, the questions whose text one of its draws changed (robustness is measured on them)."""
    return {
        name: {q for v in vs for q, text in variant_sets[v.spec].texts.items() if text != qs.texts[q]}
        for name, vs in groups.items()
    }


def experiment_signature(cfg: RunConfig, qs: QuerySet, encoder: Encoder, generator: QueryGenerator | None) -> str:
    """Every setting of a run that can change one of its outputs; its ``cache_key`` names them."""
    fields: dict[str, object] = {
        "data": qs.dataset_id,
        "data_fp": qs.fingerprint[:16],
        "encoder": encoder.spec,
        "weights": encoder.fingerprint()[:16],
        "depth": cfg.depth,
        "measures": ",".join(cfg.measures),
        "budgets": ",".join(str(b) for b in cfg.budgets),
        "index_type": cfg.index_type.replace("|", "/"),
        "shard": cfg.shard_size,
        "variants": ";".join(cfg.variants),
        "stats": f"{cfg.test}/{cfg.correction}/{cfg.samples}/{cfg.stats_seed}",
        "seeds": cfg.seeds,
        "margin": cfg.margin,
        "max_samples": cfg.max_samples if cfg.max_samples is not None else "auto",
        "predictions": cfg.predictions + ("+variants" if cfg.variant_predictions else ""),
    }
    if cfg.xqg is not None:
        x = cfg.xqg
        gen_spec = generator.spec if generator is not None else x.generator
        fields.update(
            xqg_gen=gen_spec,
            xqg_langs=",".join(x.langs),
            xqg_n=x.n,
            xqg_seed=x.seed,
            xqg_aug=x.augment.spec,
            xqg_store=f"{x.query_store}/{x.query_dtype}",
        )
        if x.allow_short:
            fields["xqg_allow_short"] = 1
    else:
        fields["xqg"] = "none"
    fields["version"] = f"xqg-bench-{__version__}"
    return make_signature(fields)


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
        if c.get("xqg") != "none":
            xqg = f"{c.get('xqg_gen', '')} n={c.get('xqg_n', '')} {c.get('xqg_aug', '')}"
        board = e.get("files", {}).get("leaderboard.md", "")
        cells = [key, c.get("data", ""), c.get("encoder", ""), xqg, c.get("variants", "") or "none", board]
        lines.append("| " + " | ".join(str(x).replace("|", "/") for x in cells) + " |")
    return "\n".join(lines) + "\n"


def load_generator_spec_check(spec_text: str) -> None:
    """Validate a generator spec against its declaration before any work (loading happens later)."""
    from xqg_bench.xqg.generators import check_generator_spec

    check_generator_spec(spec_text)


def render_comparison(comparison: pd.DataFrame, systems: dict[str, SystemResult], record: dict) -> str:
    lines = ["# baseline vs +xQG", ""]
    for m in dict.fromkeys(c[0] for c in comparison.columns):
        sub = comparison[m].copy()
        pct = m.startswith("R@") and m.endswith("t")
        fmt = (lambda v: f"{v:.2f}") if pct else (lambda v: f"{v:.4f}")
        sub = sub.apply(lambda col, f=fmt: col.map(f))
        lines += [f"## {m}", "", sub.to_markdown(), ""]
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


def render_markdown(table: pd.DataFrame, signature: str, pairing: PairingReport) -> str:
    fmt = table.copy()
    for col in fmt.columns:
        if col == "n":
            fmt[col] = fmt[col].map(lambda v: f"{int(v)}")
        elif col.startswith("R@") and col.endswith("t"):
            fmt[col] = fmt[col].map(lambda v: f"{v:.2f}")
        else:
            fmt[col] = fmt[col].map(lambda v: f"{v:.4f}")
    lines = [fmt.to_markdown(), "", f"signature: `{signature}`", ""]
    lines.append(
        f"queries: {pairing.queries}; missing from run (scored 0 by ir-measures measures, not counted by R@kt): "
        f"{pairing.missing_from_run}; extra in run (ignored): {pairing.extra_in_run}; "
        f"not counted by R@kt (yes/no-only answers): {pairing.rkt_not_counted}"
    )
    lines.append(
        "R@kt columns are percentages (official); ir-measures columns are in [0, 1]; avg = mean over languages."
    )
    return "\n".join(lines) + "\n"
