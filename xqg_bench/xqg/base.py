"""The query-generator contract: passage -> {lang: [queries]}, seeded per passage; and each generator's
parameters, declared once.

Generators (``cldr_generator``, ``mt5``, ``released``, the Ray backend) implement the contract; the registry
that builds one from its spec string is ``generators.load_generator``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.core.signature import passage_seed
from xqg_bench.core.spec import Param, Range

GeneratedQueries = dict[str, list[str]]  # lang -> queries
DEFAULT_GENERATOR = "cldr"
GENERATOR_USAGE = "cldr, mt5(model=...) or released(path=...)"
DEFAULT_MT5 = "ielabgroup/xor-tydi-docTquery-mt5-base"
# Every generator's parameters, declared once (spec strings, checks, the command line's help).
GENERATOR_PARAMS: dict[str, dict[str, Param]] = {
    "cldr": {},
    "mt5": {
        "model": Param(str, DEFAULT_MT5, "hub name or path of a seq2seq query generator"),
        "topk": Param(int, 10, "top-k sampling", check=Range(1)),
        "maxlen": Param(int, 32, "longest generated query in tokens", check=Range(1)),
        "inlen": Param(int, 256, "passage input length in tokens", check=Range(1)),
        "batch": Param(int, 8, "passages per generation batch", check=Range(1)),
        "device": Param(str, None, "torch device (default: cuda if available, else cpu)"),
    },
    "released": {
        "path": Param(str, None, "directory or .jsonl of generated queries", required=True, example="/data/xqg"),
    },
}
GENERATORS = tuple(GENERATOR_PARAMS)


class QueryGenerator(ABC):
    spec: str

    @abstractmethod
    def generate(self, docs: Sequence[DprW100Doc], langs: Sequence[str], n: int, seed: int) -> list[GeneratedQueries]:
        """For each doc, up to ``n`` queries per language (fewer only if the generator has fewer)."""


__all__ = [
    "DEFAULT_GENERATOR", "DEFAULT_MT5", "GENERATORS", "GENERATOR_PARAMS", "GENERATOR_USAGE", "GeneratedQueries",
    "QueryGenerator", "passage_seed",
]  # fmt: skip
