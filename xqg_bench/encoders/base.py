"""The encoder contract: queries and passages in, float32 matrices out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from xqg_bench.datasets.records import XorDoc


class Encoder(ABC):
    """A bi-encoder.  ``spec`` is its canonical string; it names the encoder in signatures."""

    spec: str
    similarity: str = "ip"  # search by inner product

    @property
    @abstractmethod
    def dim(self) -> int: ...

    @abstractmethod
    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32."""

    @abstractmethod
    def encode_passages(self, docs: Sequence[XorDoc]) -> np.ndarray:
        """(len(docs), dim) float32; each passage is ``title + " " + text``."""

    def fingerprint(self) -> str:
        """Content fingerprint of the weights where one can be computed cheaply; else the spec."""
        return self.spec


def as_float32(x: object, rows: int, dim: int, who: str) -> np.ndarray:
    arr = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
    if arr.shape != (rows, dim):
        raise RuntimeError(f"{who} returned shape {arr.shape}, expected {(rows, dim)}")
    if not np.isfinite(arr).all():
        raise RuntimeError(f"{who} returned non-finite values (NaN/inf); check the model weights and dtype")
    return arr
