"""Datasets of the harness, registered in ir_datasets on ``import xqg_bench``.

Any dataset ID goes through ir_datasets' own registry (``ir_datasets.registry[...]``: registered IDs
and the IDs its patterns build, e.g. ``xqg-bench:xor-tydi-sub(pool=P,seed=S)/dev/ja``); ``<any such
ID>/<variant>`` is that query set perturbed (``xqg_bench.perturb.registry``).  An ID nothing resolves
is a ValueError naming the closest registered IDs, never a bare KeyError.
"""

from __future__ import annotations

import re

_REGISTERED = False


def register_datasets() -> None:
    """Register every dataset family (idempotent, cheap: nothing is built until used)."""
    global _REGISTERED
    if _REGISTERED:
        return
    import ir_datasets

    from xqg_bench.datasets import mini, xor_subcorpus, xor_tydi
    from xqg_bench.perturb import registry as variants

    if mini.NAME not in ir_datasets.registry:
        mini.register(ir_datasets.registry)
        xor_tydi.register(ir_datasets.registry)
        xor_subcorpus.register(ir_datasets.registry)
        variants.register(ir_datasets.registry)
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
    parent, _slash, last = dataset_id.rpartition("/")
    if parent and re.fullmatch(r"[a-z][a-z0-9_\-]*\(.*\)", last, flags=re.S) and resolves(parent):
        from xqg_bench.perturb.families import parse_variant

        try:
            parse_variant(last)  # an unknown family or option: its own did-you-mean
        except ValueError as e:
            return f"{dataset_id}: {e}"
    if parent and (re.fullmatch(r"[a-z]{2}", last) or last in _LANG_ALIASES) and resolves(parent):
        return unknown_language(dataset_id, parent, last)
    return unknown_dataset(dataset_id)


def unknown_dataset(dataset_id: str) -> str:
    import difflib

    import ir_datasets

    registered = list(ir_datasets.registry)
    ours = [d for d in registered if d.startswith("xqg-bench:")]
    pool = ours if dataset_id.startswith("xqg-bench:") else registered
    close = difflib.get_close_matches(dataset_id, pool, n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    return (
        f"unknown dataset {dataset_id!r}{hint}; list the registered ones with `python -m xqg_bench.run datasets` "
        "and the perturbed variants with `python -m xqg_bench.run perturb --list`"
    )


# Codes people type for the XOR languages: country codes and ISO 639-2/3 codes.
_LANG_ALIASES = {
    "jp": "ja", "jpn": "ja", "kr": "ko", "kor": "ko", "ara": "ar", "sa": "ar", "ben": "bn", "bd": "bn", "bng": "bn",
    "fin": "fi", "suo": "fi", "rus": "ru", "tel": "te", "in": "te",
}  # fmt: skip


def unknown_language(dataset_id: str, base_id: str, code: str, langs: object = None) -> str:
    """The error for ``<query set>/<code>`` naming the closest per-language query set (``langs``: the
    languages of ``base_id``; default: those registered as ``<base_id>/<lang>``)."""
    import difflib

    import ir_datasets

    if langs is None:
        langs = [i.rsplit("/", 1)[1] for i in ir_datasets.registry if i.startswith(base_id + "/")]
    langs = sorted(lg for lg in langs if re.fullmatch(r"[a-z]{2}", lg))  # type: ignore[attr-defined]
    guess = _LANG_ALIASES.get(code) if _LANG_ALIASES.get(code) in langs else None
    guess = guess or next(iter(difflib.get_close_matches(code, langs, n=1, cutoff=0.5)), None)
    hint = f" (did you mean {base_id + '/' + guess!r}?)" if guess else ""
    have = f"; its languages are {', '.join(langs)}" if langs else ""
    return f"unknown language {code!r} in {dataset_id!r}{hint}{have} (ISO 639-1 codes, e.g. ja, not jp)"
