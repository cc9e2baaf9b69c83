"""Query generators by spec: the registry over the contract and declarations of ``xqg.base``
(passage -> {lang: [queries]}, seeded per passage).

Each generator is named by a canonical spec string (``cldr``, ``mt5(model=...)``,
``released(path=...)``) that goes into signatures.  The randomness of a passage depends only on
(generator spec, seed, doc id, language): never on batch composition, shard or process.
"""

from __future__ import annotations

from xqg_bench.core.spec import parse_spec
from xqg_bench.xqg.base import (
    DEFAULT_GENERATOR,
    DEFAULT_MT5,
    GENERATOR_PARAMS,
    GENERATOR_USAGE,
    GENERATORS,
    GeneratedQueries,
    QueryGenerator,
    passage_seed,
)

__all__ = [
    "DEFAULT_GENERATOR", "DEFAULT_MT5", "GENERATORS", "GENERATOR_PARAMS", "GENERATOR_USAGE", "GeneratedQueries",
    "QueryGenerator", "check_generator_spec", "generator_help", "load_generator", "passage_seed",
]  # fmt: skip


def generator_help() -> str:
    """What --generator takes, from the declarations."""
    mt5 = ",".join(
        f"{k}={p.canonical(p.default)}" for k, p in GENERATOR_PARAMS["mt5"].items() if k in ("topk", "maxlen", "inlen")
    )
    return (
        f"query generator: {DEFAULT_GENERATOR} (default, offline stand-in), mt5(model=NAME_OR_PATH[,{mt5}]) or "
        "released(path=JSONL_OR_DIR) (precomputed queries, e.g. ielab/xor-tydi-xqg-augmented)"
    )


def load_generator(spec_text: str, backend: str = "local", **ray_options: object) -> QueryGenerator:
    """A generator from its spec; ``backend="ray"`` runs it on Ray actors (same spec, same output)."""
    if backend == "ray":
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            raise ValueError("the ray backend needs Ray: pip install -e '.[ray]'")
        from xqg_bench.encoders.ray_backend import RayGenerator

        return RayGenerator(spec_text, load_generator, **ray_options)  # type: ignore[return-value, arg-type]
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
