"""Rebuild the parallel code-mixing lexicon from line-aligned question translations.

    python scripts/build_codemix_lexicon.py ../shared/data/xor-tydi/translations \
        [--output xqg_bench/perturb/data/codemix_parallel.json]

Reads ``<l>-en.<l>.txt`` / ``<l>-en.en.txt`` for every XOR-TyDi language, aligns them with the
method of ``xqg_bench.perturb.align`` (Dice co-occurrence of n-grams, best-link and transliteration
filters, no randomness) and writes the JSON file atomically: the same input gives the same bytes.
Exits 1 with a message naming the file on a missing, non-UTF-8 or misaligned input; nothing written.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

LANGS = ("ar", "bn", "fi", "ja", "ko", "ru", "te")
DEFAULT_OUTPUT = os.path.join(os.path.dirname(__file__), "..", "xqg_bench", "perturb", "data", "codemix_parallel.json")
SOURCE = (
    "Aligned from the XOR-TyDi question translations <l>-en.<l>.txt / <l>-en.en.txt (about 4,600-4,800 "
    "pairs per language; about half are XOR-Retrieve train questions). XOR-TyDi QA: Asai et al., NAACL 2021, "
    "https://nlp.cs.washington.edu/xorqa/, CC BY-SA 4.0; the translations' provenance is believed to be "
    "XOR-TyDi's own question translations but is unverified. This lexicon is a derived work under CC BY-SA 4.0."
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("translations", help="directory with <l>-en.<l>.txt and <l>-en.en.txt")
    ap.add_argument("--output", default=os.path.normpath(DEFAULT_OUTPUT))
    args = ap.parse_args(argv)

    from xqg_bench.core.atomic import atomic_write_text
    from xqg_bench.perturb.align import build
    from xqg_bench.perturb.families import STOPWORDS

    try:
        data = build(args.translations, LANGS, STOPWORDS)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    inputs = {}
    for lang in LANGS:
        for side in (lang, "en"):
            name = f"{lang}-en.{side}.txt"
            with open(os.path.join(args.translations, name), "rb") as f:
                inputs[name] = hashlib.md5(f.read()).hexdigest()
    out = {
        "source": SOURCE,
        "licence": "CC BY-SA 4.0",
        "method": "xqg_bench.perturb.align (see its docstring); rebuilt by scripts/build_codemix_lexicon.py",
        "inputs_md5": inputs,
        "entries": {lang: len(d) for lang, d in data["lexicon"].items()},
        **data,
    }
    atomic_write_text(args.output, json.dumps(out, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.output}: " + ", ".join(f"{k} {v}" for k, v in out["entries"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
