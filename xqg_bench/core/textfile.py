"""Reading user-supplied text files strictly: UTF-8 or a clear error naming the file and line."""

from __future__ import annotations

import codecs
import mmap
import os
from collections.abc import Callable, Iterator, Sequence


def non_utf8_error(path: str) -> ValueError:
    """A ValueError naming the first line of ``path`` that is not valid UTF-8, the byte and the fix."""
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as e:
                byte = raw[e.start]
                return ValueError(
                    f"{path}, line {lineno}: not valid UTF-8 (byte 0x{byte:02x} at byte {e.start + 1} of the line); "
                    "re-save the file as UTF-8 (e.g. iconv -f <its encoding> -t UTF-8)"
                )
    return ValueError(f"{path}: not valid UTF-8; re-save the file as UTF-8")


def utf8_lines(path: str) -> Iterator[tuple[int, str]]:
    """(line number from 1, line) of a UTF-8 text file (a leading byte-order mark is dropped); a non-UTF-8 byte
    raises ValueError naming the line."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            yield from enumerate(f, start=1)
    except UnicodeDecodeError:
        raise non_utf8_error(path) from None


def read_utf8(path: str) -> str:
    """The whole text of a UTF-8 file (without a leading byte-order mark); a non-UTF-8 byte raises ValueError
    naming the line."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            return f.read()
    except UnicodeDecodeError:
        raise non_utf8_error(path) from None


def first_line(path: str, column: int, values: set[str]) -> tuple[int, str]:
    """(number, value) of the first line of a whitespace-separated file whose ``column`` is in ``values``."""
    for lineno, line in utf8_lines(path):
        cols = line.split()
        if len(cols) > column and cols[column] in values:
            return lineno, cols[column]
    return 0, min(values)


def check_ids(
    path: str,
    kind: str,
    pairs: Sequence[tuple[str, str]],
    known_queries: Callable[[list[str]], set[str]],
    known_docs: Callable[[list[str]], set[str]],
    dataset: str,
    allow_extra_queries: bool = False,
) -> None:
    """Fail naming the file, line and first ID of ``path`` (a run or qrels, given as its (query id, doc id)
    pairs) that ``dataset`` lacks; ``known_*`` return the known subset of a sorted list of IDs."""
    columns = [(2, "doc id", known_docs)]
    if not allow_extra_queries:
        columns.insert(0, (0, "query id", known_queries))
    for column, name, known in columns:
        present = sorted({q if column == 0 else d for q, d in pairs})
        found = known(present)
        unknown = {i for i in present if i not in found}
        if not unknown:
            continue
        line, first = first_line(path, column, unknown)
        fix = (
            "score it against the query set it was made for, or pass --allow-extra-queries to ignore them"
            if column == 0 and kind == "run"
            else "it was made for another query set or corpus: pass the matching --dataset"
        )
        where = f"{path}, line {line}" if line else path
        raise ValueError(
            f"{where}: {name} {first!r} is not in {dataset} ({len(unknown)} unknown {name}s in this {kind}); {fix}"
        )


class LineFile(Sequence[str]):
    """The lines of a UTF-8 text file (e.g. an index's ``docid``: one doc id a line), without a Python string
    per line: the file is memory-mapped and only the byte offset of each line start is held (4 bytes a line, 8
    past 4 GiB), so 18.2M doc ids take ~70 MiB instead of ~2.5 GiB of strings.  A line is decoded when it is
    read (``lines[i]``, or ``lines[rows]`` with an integer array: an object array, as for a search's top-k
    hits).  Lines read as Pyserini's ``FaissSearcher.load_docids`` reads them (trailing whitespace stripped).
    A byte that is not UTF-8 raises UnicodeDecodeError when the file is opened, as Pyserini's reader does."""

    CHUNK = 1 << 20  # bytes scanned at a time for line ends (read, not mapped: the scan adds no resident pages)

    def __init__(self, path: str) -> None:
        import numpy as np

        self.path = path
        size = os.path.getsize(path)
        kind = np.uint32 if size < 2**32 else np.uint64
        ends = [np.zeros(1, kind)]  # line starts; ends[-1][-1] is the end of the last line
        decoder = codecs.getincrementaldecoder("utf-8")()
        buf = bytearray(self.CHUNK)
        with open(path, "rb") as f:
            base = 0
            while n := f.readinto(buf):
                chunk = np.frombuffer(buf, np.uint8, n)
                if chunk.max() >= 0x80:  # not ASCII: check it is UTF-8
                    decoder.decode(bytes(buf[:n]))
                ends.append((np.flatnonzero(chunk == 0x0A) + (base + 1)).astype(kind))
                base += n
        decoder.decode(b"", final=True)
        if size and not (len(ends[-1]) and int(ends[-1][-1]) == size):  # a last line without a newline
            ends.append(np.array([size], kind))
        self._starts = np.concatenate(ends)
        self._map: mmap.mmap | bytes = b""
        if size:
            with open(path, "rb") as f:
                self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)

    def __len__(self) -> int:
        return len(self._starts) - 1

    def _line(self, i: int) -> str:
        return self._map[int(self._starts[i]) : int(self._starts[i + 1])].decode("utf-8").rstrip()

    def __getitem__(self, i):  # type: ignore[no-untyped-def, override]
        import numpy as np

        if isinstance(i, slice):
            return [self._line(j) for j in range(*i.indices(len(self)))]
        if isinstance(i, np.ndarray):
            rows = np.where(i < 0, i + len(self), i)
            if rows.size and (rows.min() < 0 or rows.max() >= len(self)):
                raise IndexError(f"line index out of range for {len(self)} lines of {self.path}")
            out = np.empty(rows.shape, dtype=object)
            out.flat[:] = [self._line(j) for j in rows.ravel().tolist()]
            return out
        j = int(i)
        if j < 0:
            j += len(self)
        if not 0 <= j < len(self):
            raise IndexError(f"line {i} out of range for {len(self)} lines of {self.path}")
        return self._line(j)

    def __iter__(self) -> Iterator[str]:
        return (self._line(j) for j in range(len(self)))
