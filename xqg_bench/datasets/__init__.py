"""Datasets of the harness, registered in ir_datasets on ``import xqg_bench``."""

from __future__ import annotations

_REGISTERED = False


def register_datasets() -> None:
    """Register every dataset family (idempotent, cheap: nothing is built until used)."""
    global _REGISTERED
    if _REGISTERED:
        return
    import ir_datasets

    from xqg_bench.datasets import mini, xor_subcorpus, xor_tydi
    from xqg_bench.perturb import registry as variants

    if f"{mini.NAME}" not in ir_datasets.registry._registered:
        mini.register(ir_datasets.registry)
        xor_tydi.register(ir_datasets.registry)
        xor_subcorpus.register(ir_datasets.registry)
        variants.register(ir_datasets.registry)
    _REGISTERED = True
