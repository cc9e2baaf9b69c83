"""The official XOR-Retrieve predictions format, both ways.

A JSON list of ``{"id": qid, "lang": lang, "ctxs": [passage text, ...]}`` (ranked), which
``evals/eval_xor_retrieve.py --pred_file`` of the XOR-TyDi release reads directly.  Files named
``*.gz`` are gzip-compressed (deterministically: no name, no time stamp); ``gunzip`` gives the file
the official script reads.  When reading, a ``ctxs`` entry may also be a DPR-style passage object
(``{"title", "text", ...}``): its ``text`` is the passage, as the official script scores texts
without titles.  Scoring needs only the questions' answers, never the corpus.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence

from xqg_bench.core.atomic import atomic_open
from xqg_bench.core.textfile import read_utf8
from xqg_bench.datasets import load_dataset
from xqg_bench.evaluate.measures import QueryInfo, Rankings, TextLookup
from xqg_bench.evaluate.rkt import OFFICIAL_BUDGETS, LangScore, Prediction, evaluate_top_k_hit, macro_average, rkt_label

FORMATS = ("json", "json.gz", "none")  # how the pipeline writes its prediction files
_WS = re.compile(r"[ \t\n\r]*")


def predictions(rankings: Rankings, queries: Sequence[QueryInfo], texts: TextLookup) -> list[Prediction]:
    return [
        Prediction(q.query_id, q.lang, texts([d for d, _s in rankings[q.query_id]]))
        for q in queries
        if q.query_id in rankings
    ]


def write_predictions(path: str, preds: Sequence[Prediction]) -> None:
    """The official JSON list; gzip-compressed when ``path`` ends with ``.gz`` (same bytes once decompressed)."""
    items = [{"id": p.id, "lang": p.lang, "ctxs": list(p.ctxs)} for p in preds]
    data = (json.dumps(items, ensure_ascii=False) + "\n").encode("utf-8")
    with atomic_open(path, "wb") as f:
        if path.endswith(".gz"):
            with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as gz:
                gz.write(data)
        else:
            f.write(data)


def _read_text(path: str) -> str:
    if not os.path.isfile(path):
        raise ValueError(f"predictions file {path} does not exist")
    if not path.endswith(".gz"):
        return read_utf8(path)
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise ValueError(f"{path}: not a complete gzip file ({e}); compress the JSON list with gzip") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise ValueError(
            f"{path}, line {line}: not valid UTF-8 (byte 0x{raw[e.start]:02x}); re-save the file as UTF-8"
        ) from None


def _list_items(text: str) -> Iterator[tuple[int, object]]:
    """(line where it starts, item) for each item of a top-level JSON list; JSONDecodeError otherwise."""
    dec = json.JSONDecoder()
    pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
    if text[pos : pos + 1] != "[":
        json.loads(text)  # the decoder's own error for invalid JSON
        raise TypeError("not a list")
    pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    line, counted = 1, 0
    if text[pos : pos + 1] == "]":
        end = pos + 1
    else:
        while True:
            obj, end = dec.raw_decode(text, pos)
            line, counted = line + text.count("\n", counted, pos), pos
            yield line, obj
            pos = _WS.match(text, end).end()  # type: ignore[union-attr]
            sep = text[pos : pos + 1]
            if sep == "]":
                end = pos + 1
                break
            if sep != ",":
                raise json.JSONDecodeError("Expecting ',' delimiter or ']'", text, pos)
            pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    rest = _WS.match(text, end).end()  # type: ignore[union-attr]
    if rest != len(text):
        raise json.JSONDecodeError("Extra data after the list", text, rest)


def _ctx_text(ctx: object) -> str:
    if isinstance(ctx, str):
        return ctx
    if isinstance(ctx, dict) and isinstance(ctx.get("text"), str):
        return ctx["text"]
    raise TypeError(f"a ctxs entry must be a passage text or a {{'title', 'text'}} object, got {str(ctx)[:80]!r}")


def read_predictions(path: str) -> list[Prediction]:
    """Read (and check) a predictions file, ``.json`` or ``.json.gz``: ValueError naming the file, line and
    prediction id on a malformed item, a bad ``ctxs`` entry or an id that appears twice."""
    text = _read_text(path)
    out: list[Prediction] = []
    first_line: dict[str, int] = {}
    try:
        for line, item in _list_items(text):
            try:
                if not isinstance(item, dict):
                    raise TypeError(f"expected an object, got {type(item).__name__}")
                ctxs = item["ctxs"]
                if not isinstance(ctxs, list):
                    raise TypeError(f"ctxs must be a list, got {type(ctxs).__name__}")
                pred = Prediction(str(item["id"]), str(item["lang"]), [_ctx_text(c) for c in ctxs])
            except (KeyError, TypeError) as e:
                raise ValueError(
                    f"{path}, line {line}: item {len(out)} is not {{id, lang, ctxs}}: {e}; ctxs entries are passage "
                    "texts or DPR-style {title, text} objects"
                ) from None
            if pred.id in first_line:
                raise ValueError(
                    f"{path}, line {line}: prediction id {pred.id!r} appears twice (first on line "
                    f"{first_line[pred.id]}); keep one prediction per question (the official script would count "
                    "it twice)"
                )
            first_line[pred.id] = line
            out.append(pred)
    except json.JSONDecodeError as e:
        raise ValueError(
            f"{path}, line {e.lineno}: not valid JSON ({e.msg}); expected the official list of {{id, lang, ctxs}}"
        ) from None
    except RecursionError:
        raise ValueError(f"{path}: JSON nested too deeply; expected the official list of {{id, lang, ctxs}}") from None
    except TypeError:
        raise ValueError(f"{path}: expected a JSON list of {{id, lang, ctxs}} objects") from None
    return out


def gold_answers(queries: Sequence[QueryInfo]) -> Mapping[str, Sequence[str]]:
    return {q.query_id: list(q.answers) for q in queries}


def dataset_answers(dataset_id: str) -> dict[str, list[str]]:
    """Question id -> answers of a registered query set, read from its questions alone (no corpus)."""

    ds = load_dataset(dataset_id)
    if not ds.has_queries():
        raise ValueError(f"{dataset_id!r} has no questions to score predictions against; name a query set")
    return {q.query_id: list(getattr(q, "answers", ())) for q in ds.queries_iter()}


def score_predictions(
    path: str, dataset_id: str, budgets: Sequence[int] = OFFICIAL_BUDGETS
) -> dict[int, dict[str, LangScore]]:
    """The official R@kt of a predictions file, per budget and language, against a registered query set's
    answers (its questions only: no corpus).  ValueError when no prediction matches a question with answers."""
    preds = read_predictions(path)
    gold = dataset_answers(dataset_id)
    out = {}
    for n in budgets:
        out[n] = evaluate_top_k_hit(preds, gold, n)
        if not out[n]:
            raise ValueError(f"{path}: no prediction matches a question of {dataset_id} with answers")
    return out


def render_scores(scores: Mapping[int, Mapping[str, LangScore]]) -> list[str]:
    """One line per budget: ``R@2kt: macro 61.23 | ar 60.00 (10), ...`` (score and questions counted)."""
    lines = []
    for n, res in scores.items():
        per = ", ".join(f"{lang} {s.score:.2f} ({s.count})" for lang, s in sorted(res.items()))
        lines.append(f"{rkt_label(n)}: macro {macro_average(res):.2f} | {per}")
    return lines
