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
from xqg_bench.spec import check_keys, parse_spec, unknown_name

GeneratedQueries = dict[str, list[str]]  # lang -> queries
GENERATORS = ("cldr", "mt5", "released")
GENERATOR_USAGE = "cldr, mt5(model=...) or released(path=...)"


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
    spec = parse_spec(spec_text, "generator")
    params = dict(spec.params)

    if spec.name == "cldr":
        check_keys(spec, set(), spec_text)
        from xqg_bench.xqg.cldr_generator import CldrGenerator

        return CldrGenerator()
    if spec.name == "mt5":
        check_keys(spec, {"model", "topk", "maxlen", "inlen", "batch", "device"}, spec_text)
        from xqg_bench.xqg.mt5 import DEFAULT_MT5, MT5Generator

        try:
            return MT5Generator(
                model=params.get("model", DEFAULT_MT5),
                top_k=int(params.get("topk", 10)),
                max_length=int(params.get("maxlen", 32)),
                input_length=int(params.get("inlen", 256)),
                batch_size=int(params.get("batch", 8)),
                device=params.get("device"),
            )
        except OSError as e:
            raise ValueError(
                f"cannot load generator for {spec_text!r}: {e}. Give a local directory or a reachable hub name."
            ) from e
    if spec.name == "released":
        check_keys(spec, {"path"}, spec_text)
        if "path" not in params:
            raise ValueError(f"{spec_text!r}: released generators need path=<directory or .jsonl of generated queries>")
        from xqg_bench.xqg.released import ReleasedQueries

        return ReleasedQueries(params["path"])
    raise unknown_name("generator", spec.name, GENERATORS, spec_text, GENERATOR_USAGE)
