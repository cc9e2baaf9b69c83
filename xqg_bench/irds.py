"""``python -m xqg_bench.irds``: ir_datasets' own command line with the xqg-bench IDs registered.

    python -m xqg_bench.irds export xqg-bench:mini/dev/ja queries
    python -m xqg_bench.irds export "xqg-bench:mini/dev/ko/typo(kind=keyboard,n=1,seed=13)" queries --format jsonl
    python -m xqg_bench.irds lookup xqg-bench:mini FI-money
    python -m xqg_bench.irds doc_fifos xqg-bench:mini --count 2

is exactly ``python -m ir_datasets …`` (same commands, arguments and output) after registering
the harness's datasets, so no ``import xqg_bench`` is needed.  An unknown dataset ID is an error
naming the closest registered IDs (``xqg-bench:mini/dev/jp`` -> ``xqg-bench:mini/dev/ja``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

_TAKES_DATASET = ("export", "lookup", "doc_fifos")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    import ir_datasets

    from xqg_bench.datasets import load_dataset, register_datasets

    register_datasets()  # for every command (`list` included)
    try:
        if len(args) >= 2 and args[0] in _TAKES_DATASET and not args[1].startswith("-"):
            load_dataset(args[1])  # registers ours; an unknown ID: the closest registered IDs
        ir_datasets.main(args)
    except (ValueError, KeyError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"error: {msg}", file=sys.stderr)
        return 2
    except SystemExit as e:  # ir_datasets' own usage errors
        return e.code if isinstance(e.code, int) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
