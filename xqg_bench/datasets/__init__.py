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


def load_dataset(dataset_id: str):  # type: ignore[no-untyped-def]
    """``ir_datasets.load`` with our datasets registered; an unknown ID raises ValueError with close matches."""
    import difflib

    import ir_datasets

    register_datasets()
    try:
        return ir_datasets.load(dataset_id)
    except KeyError as e:
        from xqg_bench.perturb.registry import split_id

        if dataset_id in ir_datasets.registry._registered or split_id(dataset_id):
            # a registered set that failed to build, or a variant ID the pattern matched: its own message
            raise ValueError(str(e.args[0]) if e.args else f"cannot load {dataset_id!r}") from None
        ours = [d for d in ir_datasets.registry._registered if d.startswith("xqg-bench:")]
        pool = ours if dataset_id.startswith("xqg-bench:") else list(ir_datasets.registry._registered)
        close = difflib.get_close_matches(dataset_id, pool, n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
        raise ValueError(
            f"unknown dataset {dataset_id!r}{hint}; list the registered ones with `python -m xqg_bench.run datasets` "
            "and the perturbed variants with `python -m xqg_bench.run perturb --list`"
        ) from None
