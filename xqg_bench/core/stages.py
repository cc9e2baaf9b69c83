"""Wall time per pipeline stage, for the end-of-run summary and ``benchmarks/end_to_end.py``.

Stages nest (``stage("xqg index")`` holds ``stage("encode generated queries")``); each name adds
up its own wall time.  Timings are printed, never written into an output file (outputs stay
byte-identical between runs).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

_TIMES: dict[str, float] = {}


@contextmanager
def stage(name: str) -> Iterator[None]:
    t = time.perf_counter()
    try:
        yield
    finally:
        _TIMES[name] = _TIMES.get(name, 0.0) + time.perf_counter() - t


def reset() -> None:
    _TIMES.clear()


def times() -> dict[str, float]:
    """Seconds per stage name, in the order the stages first started."""
    return dict(_TIMES)


def summary(times: dict[str, float]) -> str:
    """One line: ``stages: name 1.2 s; ...`` (parsed by benchmarks/end_to_end.py)."""
    return "stages: " + "; ".join(f"{k} {v:.1f} s" for k, v in times.items())
