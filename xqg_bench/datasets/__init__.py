"""Datasets of the harness, registered in ir_datasets on ``import xqg_bench``.

Any dataset ID goes through ir_datasets' own registry (``ir_datasets.registry[...]``: registered IDs
and the IDs its patterns build, e.g. ``xqg-bench:xor-tydi-sub(pool=P,seed=S)/dev/ja``); ``<any such
ID>/<variant>`` is that query set perturbed (``xqg_bench.perturb.registry``).  An ID nothing resolves
is a ValueError naming the closest registered IDs, never a bare KeyError.

The perturbed variants live above this package: ``xqg_bench/__init__.py`` registers their pattern and
their explanation of unknown IDs (``add_id_hint``); this package does not import them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from xqg_bench.datasets.unknown import LANG_ALIASES, unknown_dataset, unknown_language

__all__ = ["add_id_hint", "load_dataset", "register_datasets", "resolves", "unknown_dataset", "unknown_id_message",
           "unknown_language"]  # fmt: skip
_REGISTERED = False
_ID_HINTS: list[Callable[[str], str | None]] = []


def add_id_hint(hint: Callable[[str], str | None]) -> None:
    """Let ``hint(dataset_id)`` explain an ID nothing resolves (a message, or None to pass) before the
    generic did-you-mean; dataset families defined above this package (the perturbed variants) add theirs."""
    if hint not in _ID_HINTS:
        _ID_HINTS.append(hint)


def register_datasets() -> None:
    """Register every dataset family (idempotent, cheap: nothing is built until used)."""
    global _REGISTERED
    if _REGISTERED:
        return
    import ir_datasets

    from xqg_bench.datasets import mini, xor_subcorpus, xor_tydi

    if mini.NAME not in ir_datasets.registry:
        mini.register(ir_datasets.registry)
        xor_tydi.register(ir_datasets.registry)
        xor_subcorpus.register(ir_datasets.registry)
    _REGISTERED = True


def load_dataset(dataset_id: str):  # type: ignore[no-untyped-def]
    """``ir_datasets.load`` with our datasets registered; an unknown ID raises ValueError with close matches."""
    import ir_datasets

    register_datasets()
    try:
        return ir_datasets.load(dataset_id)
    except KeyError as e:
        raise ValueError(unknown_id_message(dataset_id, e)) from None


def resolves(dataset_id: str) -> bool:
    """Whether ir_datasets' registry (its registered IDs and patterns) builds ``dataset_id``."""
    import ir_datasets

    try:
        ir_datasets.registry[dataset_id]
    except (KeyError, ValueError):
        return False
    return True


def unknown_id_message(dataset_id: str, error: KeyError | None = None) -> str:
    """The message for a KeyError of ``ir_datasets.registry[dataset_id]``: a dataset's own message
    (a pattern that matched and refused, e.g. a non-canonical variant), or the closest registered IDs."""
    if error is not None and error.args and error.args != (dataset_id,) and isinstance(error.args[0], str):
        return error.args[0]  # raised with a message by an initializer (ours or a pattern's)
    for hint in _ID_HINTS:  # e.g. an unknown variant family or option: its own did-you-mean
        message = hint(dataset_id)
        if message is not None:
            return message
    parent, _slash, last = dataset_id.rpartition("/")
    if parent and (re.fullmatch(r"[a-z]{2}", last) or last in LANG_ALIASES) and resolves(parent):
        return unknown_language(dataset_id, parent, last)
    return unknown_dataset(dataset_id)
