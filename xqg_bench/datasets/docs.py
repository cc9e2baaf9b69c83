"""The corpus of a dataset as a sequence that streams where it can.

``DocSequence`` wraps an ir_datasets docs handler: ``len``, slices (one shard at a time) and
iteration.  Handlers that offer ``docs_slice(start, stop)`` and ``docs_fingerprint()`` (the XOR-TyDi
corpus: byte offsets into the TSV, the file's md5) are never held in memory; others (the small
embedded corpus) are loaded once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.core.signature import fingerprint_lines


def as_dpr_doc(d: object) -> DprW100Doc:
    if isinstance(d, DprW100Doc):
        return d
    return DprW100Doc(d.doc_id, d.text, getattr(d, "title", ""))  # type: ignore[attr-defined]


class DocSequence(Sequence[DprW100Doc]):
    def __init__(self, handler: object) -> None:
        self.handler = handler
        self._all: list[DprW100Doc] | None = None
        self._fp: str | None = None
        self.streams = hasattr(handler, "docs_slice")

    def _loaded(self) -> list[DprW100Doc]:
        if self._all is None:
            self._all = [as_dpr_doc(d) for d in self.handler.docs_iter()]  # type: ignore[attr-defined]
        return self._all

    def __len__(self) -> int:
        return int(self.handler.docs_count()) if self.streams else len(self._loaded())  # type: ignore[attr-defined]

    @overload
    def __getitem__(self, i: int) -> DprW100Doc: ...
    @overload
    def __getitem__(self, i: slice) -> list[DprW100Doc]: ...
    def __getitem__(self, i: int | slice) -> DprW100Doc | list[DprW100Doc]:
        if not self.streams:
            return self._loaded()[i]
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step != 1:
                raise ValueError("corpus slices must be contiguous")
            return [as_dpr_doc(d) for d in self.handler.docs_slice(start, stop)]  # type: ignore[attr-defined]
        if i < 0:
            i += len(self)
        return self[i : i + 1][0]

    def __iter__(self) -> Iterator[DprW100Doc]:
        if not self.streams:
            return iter(self._loaded())
        return (as_dpr_doc(d) for d in self.handler.docs_iter())  # type: ignore[attr-defined]

    def ids(self) -> Iterator[str]:
        return (d.doc_id for d in self)

    def fingerprint(self) -> str:
        """sha256 of (id, title, text) of every passage, or the corpus file's own checksum."""
        if self._fp is None:
            if hasattr(self.handler, "docs_fingerprint"):
                self._fp = str(self.handler.docs_fingerprint())
            else:
                self._fp = fingerprint_lines(f"{d.doc_id}\t{d.title}\t{d.text}" for d in self)
        return self._fp


def docs_fingerprint(docs: Sequence[DprW100Doc]) -> str:
    """The content fingerprint of any doc sequence (cheap for a streaming DocSequence)."""
    if isinstance(docs, DocSequence):
        return docs.fingerprint()
    return fingerprint_lines(f"{d.doc_id}\t{d.title}\t{d.text}" for d in docs)
