"""Messages for a dataset ID nothing resolves: the closest registered IDs, or the closest language of a
per-language query set (``xqg-bench:mini/dev/jp`` -> ``xqg-bench:mini/dev/ja``)."""

from __future__ import annotations

import re


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
LANG_ALIASES = {
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
    guess = LANG_ALIASES.get(code) if LANG_ALIASES.get(code) in langs else None
    guess = guess or next(iter(difflib.get_close_matches(code, langs, n=1, cutoff=0.5)), None)
    hint = f" (did you mean {base_id + '/' + guess!r}?)" if guess else ""
    have = f"; its languages are {', '.join(langs)}" if langs else ""
    return f"unknown language {code!r} in {dataset_id!r}{hint}{have} (ISO 639-1 codes, e.g. ja, not jp)"
