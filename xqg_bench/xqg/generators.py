"""Query generators behind one contract: passage -> {lang: [queries]}, seeded per passage.

Each generator is named by a canonical spec string (``cldr``, ``mt5(model=...)``,
``released(path=...)``) that goes into signatures.  The randomness of a passage depends only on
(generator spec, seed, doc id, language): never on batch composition, shard or process.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Sequence

from xqg_bench.datasets.records import XorDoc
from xqg_bench.spec import Param, Range, parse_spec

GeneratedQueries = dict[str, list[str]]  # lang -> queries
DEFAULT_GENERATOR = "cldr"
GENERATOR_USAGE = "cldr, mt5(model=...) or released(path=...)"
DEFAULT_MT5 = "ielabgroup/xor-tydi-docTquery-mt5-base"
# Every generator's parameters, declared once (spec strings, checks, the command line's help).
GENERATOR_PARAMS: dict[str, dict[str, Param]] = {
    "cldr": {},
    "mt5": {
        "model": Param(str, DEFAULT_MT5, "hub name or path of a seq2seq query generator"),
        "topk": Param(int, 10, "top-k sampling", check=Range(1)),
        "maxlen": Param(int, 32, "longest generated query in tokens", check=Range(1)),
        "inlen": Param(int, 256, "passage input length in tokens", check=Range(1)),
        "batch": Param(int, 8, "passages per generation batch", check=Range(1)),
        "device": Param(str, None, "torch device (default: cuda if available, else cpu)"),
    },
    "released": {
        "path": Param(str, None, "directory or .jsonl of generated queries", required=True, example="/data/xqg"),
    },
}
GENERATORS = tuple(GENERATOR_PARAMS)


def generator_help() -> str:
    """What --generator takes, from the declarations."""
    mt5 = ",".join(
        f"{k}={p.canonical(p.default)}" for k, p in GENERATOR_PARAMS["mt5"].items() if k in ("topk", "maxlen", "inlen")
    )
    return (
        f"query generator: {DEFAULT_GENERATOR} (default, offline stand-in), mt5(model=NAME_OR_PATH[,{mt5}]) or "
        "released(path=JSONL_OR_DIR) (precomputed queries, e.g. ielab/xor-tydi-xqg-augmented)"
    )


def passage_seed(seed: int, doc_id: str, *extra: str) -> int:
    """A 63-bit seed from (seed, doc id, ...), identical in every process."""
    h = hashlib.sha256("\x1f".join([str(seed), doc_id, *extra]).encode("utf-8")).digest()
    return int.from_bytes(h[:8], "big") >> 1


class QueryGenerator(ABC):
    spec: str

    @abstractmethod
    def generate(self, docs: Sequence[XorDoc], langs: Sequence[str], n: int, seed: int) -> list[GeneratedQueries]:
        """For each doc, up to ``n`` queries per language (fewer only if the generator has fewer)."""


def load_generator(spec_text: str, backend: str = "local", **ray_options: object) -> QueryGenerator:
    """A generator from its spec; ``backend="ray"`` runs it on Ray actors (same spec, same output)."""
    if backend == "ray":
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            raise ValueError("the ray backend needs Ray: pip install -e '.[ray]'")
        from xqg_bench.encoders.ray_backend import RayGenerator

        return RayGenerator(spec_text, **ray_options)  # type: ignore[return-value, arg-type]
    if backend != "local":
        raise ValueError(f"unknown backend {backend!r}; use local or ray")
    spec = parse_spec(spec_text, "generator", GENERATOR_PARAMS, GENERATOR_USAGE)
    if spec.name == "cldr":
        from xqg_bench.xqg.cldr_generator import CldrGenerator

        return CldrGenerator()
    if spec.name == "mt5":
        from xqg_bench.xqg.mt5 import MT5Generator

        try:
            return MT5Generator(
                model=spec.value("model"),
                top_k=spec.value("topk"),
                max_length=spec.value("maxlen"),
                input_length=spec.value("inlen"),
                batch_size=spec.value("batch"),
                device=spec.value("device"),
            )
        except OSError as e:
            raise ValueError(
                f"cannot load generator for {spec_text!r}: {e}. Give a local directory or a reachable hub name."
            ) from e
    from xqg_bench.xqg.released import ReleasedQueries

    return ReleasedQueries(spec.value("path"))


def check_generator_spec(spec_text: str) -> None:
    """Validate a generator spec against the declarations before any work (nothing is loaded)."""
    parse_spec(spec_text, "generator", GENERATOR_PARAMS, GENERATOR_USAGE)
