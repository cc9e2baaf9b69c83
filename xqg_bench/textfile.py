"""Reading user-supplied text files strictly: UTF-8 or a clear error naming the file and line."""

from __future__ import annotations

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
