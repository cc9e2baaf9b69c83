"""Pyserini's encoded-queries directory, for ``python -m pyserini.search.faiss --encoded-queries DIR``.

Pyserini (``pyserini.encode.QueryEncoder``) reads ``DIR/embedding.pkl``: a pandas DataFrame with
a ``text`` column (the query text exactly as its topics file gives it) and an ``embedding`` column
(one vector per text), and looks each topic's text up in it.  That file is a **pickle** because it
is the only format Pyserini reads; it is written only when asked for (``topics --encoded-queries``).
Unpickling runs code, so open such a file only from a source you trust; the harness itself never
reads it (its own caches are ``.npy`` without pickle).

The vectors are those the harness searches with: each query's own text encoded by the same
encoder, so Pyserini's scores equal ours.  Topics files hold the text with whitespace runs
collapsed to one space (a TSV line cannot hold tabs or newlines); that is the lookup key.
:func:`write_topics` writes both for a registered query set (the ``topics`` command).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from xqg_bench.core.atomic import atomic_dir, atomic_open
from xqg_bench.datasets import load_dataset
from xqg_bench.encoders import DEFAULT_ENCODER, load_encoder
from xqg_bench.encoders.base import Encoder
from xqg_bench.retrieval.search import check_queries


def topic_text(text: str) -> str:
    """The text a topics TSV line holds: whitespace runs (tabs, newlines included) collapsed to one space."""
    return " ".join(text.split())


def check_encoded_queries_dir(path: str) -> None:
    """Refuse a directory Pyserini would misread: it reads any path containing ``bpr`` as BPR's format."""
    if "bpr" in path:
        raise ValueError(
            f"--encoded-queries {path}: Pyserini reads any encoded-queries path containing 'bpr' as BPR's binary "
            "format; choose a directory name without 'bpr'"
        )


def write_encoded_queries(
    path: str, query_ids: Sequence[str], texts: Sequence[str], encoder: Encoder, batch_size: int = 256
) -> int:
    """Encode ``texts`` and write ``path/embedding.pkl`` (built under a temporary name, renamed when complete);
    return the number of rows.  Two queries whose topic texts coincide but whose texts differ are refused
    (Pyserini could give only one of them its vector)."""
    import pandas as pd

    check_encoded_queries_dir(path)
    keys: dict[str, tuple[str, str]] = {}  # topic text -> (query id, text)
    order: list[int] = []
    for i, (qid, text) in enumerate(zip(query_ids, texts, strict=True)):
        key = topic_text(text)
        if key in keys:
            if keys[key][1] != text:
                raise ValueError(
                    f"queries {keys[key][0]} and {qid} differ only in whitespace; Pyserini looks encoded queries up "
                    "by their topics-file text, so it cannot tell them apart: drop one of them from the query set"
                )
            continue
        keys[key] = (qid, text)
        order.append(i)
    unique = [texts[i] for i in order]
    vectors = [
        encoder.encode_queries(unique[start : start + batch_size]) for start in range(0, len(unique), batch_size)
    ]
    emb = np.concatenate(vectors) if vectors else np.zeros((0, encoder.dim), dtype=np.float32)
    frame = pd.DataFrame({"text": [topic_text(t) for t in unique], "embedding": list(emb.astype(np.float32))})
    with atomic_dir(path) as tmp:
        frame.to_pickle(os.path.join(tmp, "embedding.pkl"))
    return len(frame)


class Topics(NamedTuple):
    path: str  # the topics TSV
    queries: int
    encoded: int | None = None  # rows of the encoded-queries file, when one was written
    encoder: str | None = None  # the canonical spec of the encoder that wrote it


def write_topics(dataset_id: str, path: str, encoded_dir: str | None = None, encoder: str = DEFAULT_ENCODER) -> Topics:
    """A query set (any registered ID, variants included) as a Pyserini topics TSV (query id, text); with
    ``encoded_dir``, first the query vectors of ``encoder`` in Pyserini's encoded-queries format there
    (the directory name, the queries and the encoder spec are checked before anything is written)."""
    queries = list(load_dataset(dataset_id).queries_iter())
    ids, texts = [q.query_id for q in queries], [q.text for q in queries]
    out = Topics(path, len(queries))
    if encoded_dir:
        check_encoded_queries_dir(encoded_dir)
        check_queries(ids, texts)
        enc = load_encoder(encoder)  # a bad spec fails before anything is written
        out = out._replace(encoded=write_encoded_queries(encoded_dir, ids, texts, enc), encoder=enc.spec)
    with atomic_open(path, "w") as f:
        for qid, text in zip(ids, texts, strict=True):
            f.write(f"{qid}\t{topic_text(text)}\n")
    return out
