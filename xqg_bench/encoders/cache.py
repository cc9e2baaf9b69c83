"""A query-embedding cache: the same texts with the same encoder are encoded once, ever.

Keyed by sha256 of (encoder spec, weights fingerprint, the texts in order); stored as ``.npy``
(no pickle) under ``<cache>/queries/`` with a ``.sha256`` checked on reuse (a damaged file is named
and encoded again).  Baseline and +xQG search the same query sets with the
same encoder, so each set is encoded once per run, and not at all on a warm run.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

import numpy as np
from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.core.atomic import load_npy_checked, save_npy_checked
from xqg_bench.encoders.base import Encoder


class CachedQueryEncoder(Encoder):
    def __init__(self, inner: Encoder, cache_dir: str) -> None:
        self.inner = inner
        self.spec = inner.spec
        self.cache_dir = os.path.join(cache_dir, "queries")
        self._fp = inner.fingerprint()

    @property
    def dim(self) -> int:
        return self.inner.dim

    def fingerprint(self) -> str:
        return self._fp

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        h = hashlib.sha256(f"{self.spec}\n{self._fp}\n".encode())
        for t in texts:
            h.update(t.encode("utf-8"))
            h.update(b"\x00")
        path = os.path.join(self.cache_dir, f"{h.hexdigest()[:32]}.npy")
        arr = load_npy_checked(path)
        if arr is not None and arr.shape == (len(texts), self.dim):
            return arr
        arr = self.inner.encode_queries(texts)
        save_npy_checked(path, arr)
        return arr

    def encode_passages(self, docs: Sequence[DprW100Doc]) -> np.ndarray:
        return self.inner.encode_passages(docs)
