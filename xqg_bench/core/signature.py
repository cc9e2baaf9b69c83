"""Signatures (sacrebleu style): every setting that can change a number, as ``key:value|...``.

A signature names how an artefact was made; ``cache_key`` turns one into a short directory name.
Content fingerprints (sha256) of data, doc ids and files go into signatures too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping


def make_signature(fields: Mapping[str, object]) -> str:
    """``key:value|key:value`` in the given order; values may not contain ``|``."""
    parts = []
    for k, v in fields.items():
        text = str(v)
        if "|" in text or "\n" in text:
            raise ValueError(f"signature value for {k!r} contains '|' or a newline: {text!r}")
        parts.append(f"{k}:{text}")
    return "|".join(parts)


def passage_seed(seed: int, doc_id: str, *extra: str) -> int:
    """A 63-bit seed from (seed, doc id, ...), identical in every process (generators seed per passage,
    perturbations per query)."""
    h = hashlib.sha256("\x1f".join([str(seed), doc_id, *extra]).encode("utf-8")).digest()
    return int.from_bytes(h[:8], "big") >> 1


def cache_key(signature: str, length: int = 16) -> str:
    return hashlib.sha256(signature.encode("utf-8")).hexdigest()[:length]


def fingerprint_lines(lines: Iterable[str]) -> str:
    """sha256 of newline-terminated lines (e.g. a docid list)."""
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def file_md5(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "md5").hexdigest()
