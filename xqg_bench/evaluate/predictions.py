"""Export rankings in the official XOR-Retrieve predictions format.

A JSON list of ``{"id": qid, "lang": lang, "ctxs": [passage text, ...]}`` (ranked), which
``evals/eval_xor_retrieve.py --pred_file`` of the XOR-TyDi release reads directly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence

from xqg_bench.atomic import atomic_open
from xqg_bench.evaluate.measures import QueryInfo, Rankings, TextLookup
from xqg_bench.evaluate.rkt import Prediction


def predictions(rankings: Rankings, queries: Sequence[QueryInfo], texts: TextLookup) -> list[Prediction]:
    return [
        Prediction(q.query_id, q.lang, texts([d for d, _s in rankings[q.query_id]]))
        for q in queries
        if q.query_id in rankings
    ]


def write_predictions(path: str, preds: Sequence[Prediction]) -> None:
    with atomic_open(path, "w") as f:
        json.dump([{"id": p.id, "lang": p.lang, "ctxs": list(p.ctxs)} for p in preds], f, ensure_ascii=False)
        f.write("\n")


def read_predictions(path: str) -> list[Prediction]:
    from xqg_bench.textfile import read_utf8

    if not os.path.isfile(path):
        raise ValueError(f"predictions file {path} does not exist")
    try:
        items = json.loads(read_utf8(path))
    except json.JSONDecodeError as e:
        raise ValueError(
            f"{path}, line {e.lineno}: not valid JSON ({e.msg}); expected the official list of {{id, lang, ctxs}}"
        ) from None
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a JSON list of {{id, lang, ctxs}} objects")
    out = []
    for i, item in enumerate(items):
        try:
            out.append(Prediction(str(item["id"]), str(item["lang"]), [str(c) for c in item["ctxs"]]))
        except (KeyError, TypeError) as e:
            raise ValueError(f"{path}: item {i} is not {{id, lang, ctxs}}: {e}") from e
    return out


def gold_answers(queries: Sequence[QueryInfo]) -> Mapping[str, Sequence[str]]:
    return {q.query_id: list(q.answers) for q in queries}
