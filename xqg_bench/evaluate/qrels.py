"""TREC qrels files of the query sets the harness ships (the ``qrels/`` folder)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from xqg_bench.core.atomic import atomic_open, atomic_write_json, check_not_input, ensure_output_dir
from xqg_bench.core.signature import file_md5
from xqg_bench.core.textfile import check_ids, utf8_lines
from xqg_bench.core.tokenizer import joined_tokens
from xqg_bench.datasets import load_dataset
from xqg_bench.datasets.records import span_answers
from xqg_bench.evaluate.runs import check_run_files, read_trec_run

if TYPE_CHECKING:
    from ir_measures import Qrel

SHIPPED = ("xqg-bench:mini/dev", "xqg-bench:mini/train")


def qrels_filename(dataset_id: str) -> str:
    return dataset_id.replace(":", "-").replace("/", "-") + ".qrels"


def export_qrels(output_dir: str = "qrels") -> list[str]:
    """Write the TREC qrels of the shipped query sets into ``output_dir`` (created if needed); their paths."""
    ensure_output_dir(output_dir)
    paths = []
    for ds_id in SHIPPED:
        path = os.path.join(output_dir, qrels_filename(ds_id))
        with atomic_open(path, "w") as f:
            for r in load_dataset(ds_id).qrels_iter():
                f.write(f"{r.query_id} {r.iteration} {r.doc_id} {r.relevance}\n")
        paths.append(path)
    return paths


def read_qrels(path: str) -> list[Qrel]:
    """TREC qrels ``qid iteration docid relevance`` as ir-measures' records; a bad line raises ValueError naming
    file and line."""
    from ir_measures import Qrel

    out, seen = [], set()
    if not os.path.isfile(path):
        raise ValueError(f"qrels file {path} does not exist")
    for lineno, line in utf8_lines(path):
        if not line.strip():
            continue
        cols = line.split()
        if len(cols) != 4:
            raise ValueError(f"{path}, line {lineno}: expected 4 columns 'qid iteration docid relevance'")
        try:
            rel = int(cols[3])
        except ValueError:
            raise ValueError(f"{path}, line {lineno}: relevance {cols[3]!r} is not an integer") from None
        if (cols[0], cols[2]) in seen:
            raise ValueError(f"{path}, line {lineno}: document {cols[2]!r} judged twice for query {cols[0]!r}")
        seen.add((cols[0], cols[2]))
        out.append(Qrel(cols[0], cols[2], rel, cols[1]))
    return out


DERIVATION_RULE = (
    "official XOR-Retrieve answer matching applied to each pooled passage: answers exactly 'yes'/'no' dropped; "
    "relevant (1) if any remaining answer is a case-sensitive substring of the passage text tokenised with "
    "nltk.word_tokenize and joined with single spaces; otherwise judged non-relevant (0)"
)


def derive_qrels(run_paths: list[str], dataset_id: str, depth: int, output: str) -> dict:
    """Answer-derived qrels: pool the top ``depth`` passages of every run per query and judge each
    by the official matching rule.  Writes TREC qrels (1 and 0 judgments) and ``<output>.json``
    with the provenance (dataset, runs and their md5, depth, rule, counts).  Missing runs, and an output
    (or its provenance file) that is one of the runs, are refused before any work."""
    check_run_files(run_paths)
    check_not_input(output, run_paths)
    check_not_input(output + ".json", run_paths, "--output's provenance file")
    if depth < 1:
        raise ValueError(f"pool depth must be >= 1, got {depth}")
    ds = load_dataset(dataset_id)
    if not ds.has_docs() or not ds.has_queries():
        raise ValueError(
            f"{dataset_id!r} needs docs and queries to derive qrels; use a query set such as {SHIPPED[0]!r}"
        )
    store = ds.docs_store()
    answers = {q.query_id: span_answers(getattr(q, "answers", ())) for q in ds.queries_iter()}
    runs = [read_trec_run(p) for p in run_paths]

    def known_queries(ids: list[str]) -> set[str]:
        return {q for q in ids if q in answers}

    def known_docs(ids: list[str]) -> set[str]:
        return set(store.get_many(ids))

    for path, run in zip(run_paths, runs, strict=True):
        pairs = [(q, d) for q, ranked in run.items() for d, _s in ranked]
        # every pooled passage exists; other queries are not pooled
        check_ids(path, "run", pairs, known_queries, known_docs, dataset_id, allow_extra_queries=True)
    judged = relevant = 0
    lines = []
    for qid in sorted(answers):
        if not answers[qid]:
            continue  # yes/no-only or no answers: the official script does not count these
        pool = sorted({d for run in runs for d, _s in run.get(qid, [])[:depth]})
        docs = store.get_many(pool)
        for d in pool:
            text = joined_tokens(docs[d].text)
            rel = int(any(a in text for a in answers[qid]))
            lines.append(f"{qid} 0 {d} {rel}\n")
            judged += 1
            relevant += rel
    with atomic_open(output, "w") as f:
        f.writelines(lines)
    provenance = {
        "dataset": dataset_id,
        "runs": [{"path": os.path.basename(p), "md5": file_md5(p)} for p in run_paths],
        "depth": depth,
        "rule": DERIVATION_RULE,
        "queries": len({line.split()[0] for line in lines}),
        "judged": judged,
        "relevant": relevant,
    }
    atomic_write_json(output + ".json", provenance)
    return provenance
