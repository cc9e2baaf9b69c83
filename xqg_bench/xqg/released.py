"""Precomputed generated queries: the released ``ielab/xor-tydi-xqg-augmented`` layout and ours.

JSONL records ``{"docid", "title", "text", "generated_queries": {lang: [queries]}}``, in one file
or in ``*.jsonl`` shards of a directory (read in sorted name order).  Languages may be codes
(``ja``) or English names (``Japanese``).  With this, users reuse the released queries instead
of generating them.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections.abc import Iterator, Sequence

from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.core.signature import file_md5
from xqg_bench.core.spec import format_spec
from xqg_bench.core.textfile import utf8_lines
from xqg_bench.xqg import LANGUAGE_NAMES
from xqg_bench.xqg.base import GeneratedQueries, QueryGenerator

_BY_NAME = {name.lower(): code for code, name in LANGUAGE_NAMES.items()}


def _lang_code(key: str, where: str) -> str:
    k = key.strip().lower()
    if k in LANGUAGE_NAMES:
        return k
    if k in _BY_NAME:
        return _BY_NAME[k]
    raise ValueError(f"{where}: unknown language {key!r} in generated_queries; use codes {sorted(LANGUAGE_NAMES)}")


def jsonl_files(path: str) -> list[str]:
    if os.path.isdir(path):
        files = sorted(glob.glob(os.path.join(path, "*.jsonl")))
        if not files:
            raise ValueError(f"{path} holds no *.jsonl files of generated queries")
        return files
    if os.path.isfile(path):
        return [path]
    raise ValueError(f"generated queries not found at {path}")


def iter_generated(path: str) -> Iterator[tuple[str, GeneratedQueries, str]]:
    """(docid, {lang: queries}, "file, line N") for every record, streamed; bad records (incl. JSON nested
    too deeply) raise ValueError naming file and line."""
    for fn in jsonl_files(path):
        for lineno, line in utf8_lines(fn):
            if not line.strip():
                continue
            where = f"{fn}, line {lineno}"
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict):
                    raise TypeError("the line is not a JSON object")
                docid = str(rec["docid"])
                gq = rec["generated_queries"]
                if not isinstance(gq, dict):
                    raise TypeError("generated_queries is not an object")
                out = {}
                for k, v in gq.items():
                    if not isinstance(v, list) or not all(isinstance(q, str) for q in v):
                        raise TypeError(f"generated_queries[{k!r}] is not a list of strings")
                    out[_lang_code(k, where)] = v
            except RecursionError:
                raise ValueError(f"{where}: JSON nested too deeply; not a generated-queries record") from None
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
                raise ValueError(f"{where}: not a generated-queries record ({e})") from None
            yield docid, out, where


class ReleasedQueries(QueryGenerator):
    """A 'generator' that looks queries up in precomputed files (the first n per language)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._by_doc: dict[str, GeneratedQueries] = {}
        self._where: dict[str, str] = {}
        h = []
        for fn in jsonl_files(path):
            h.append(f"{os.path.basename(fn)}={file_md5(fn)[:12]}")
        for docid, gq, where in iter_generated(path):
            if docid in self._by_doc:
                raise ValueError(
                    f"{where}: docid {docid!r} appears twice (first at {self._where[docid]}); keep one record per "
                    "passage"
                )
            self._by_doc[docid] = gq
            self._where[docid] = where
        content = hashlib.sha256(";".join(h).encode()).hexdigest()[:16]
        self.spec = format_spec("released", {"md5": content})

    def check_request(
        self, docs: Sequence[DprW100Doc], langs: Sequence[str], n: int, allow_short: bool = False
    ) -> None:
        """Before any work: every passage of the corpus has a record, and (unless ``allow_short``) at least
        ``n`` queries in each requested language; else ValueError naming the passage, file and line."""
        shortfall: dict[str, list[str]] = {}
        for doc in docs:
            gq = self._by_doc.get(doc.doc_id)
            if gq is None:
                raise ValueError(
                    f"{self.path}: no generated queries for docid {doc.doc_id!r} of the corpus ({len(self._by_doc)} "
                    "records); use the file made for this corpus"
                )
            for lang in langs:
                if len(gq.get(lang, [])) < n:
                    shortfall.setdefault(lang, []).append(doc.doc_id)
        if shortfall and not allow_short:
            lang, ids = next(iter(shortfall.items()))
            gq = self._by_doc[ids[0]]
            raise ValueError(
                f"{self._where[ids[0]]}: docid {ids[0]!r} has {len(gq.get(lang, []))} queries in {lang!r}, fewer than "
                f"the {n} requested ({len(ids)} passages short in {lang}; short languages: {sorted(shortfall)}); "
                "lower --xqg-n / --xqg-langs, or pass --allow-short-queries to run with what the file holds "
                "(the used counts are reported)"
            )

    def generate(self, docs: Sequence[DprW100Doc], langs: Sequence[str], n: int, seed: int) -> list[GeneratedQueries]:
        out = []
        for doc in docs:
            if doc.doc_id not in self._by_doc:
                raise ValueError(f"{self.path}: no generated queries for docid {doc.doc_id!r}")
            gq = self._by_doc[doc.doc_id]
            out.append({lang: list(gq.get(lang, []))[:n] for lang in langs})
        return out
