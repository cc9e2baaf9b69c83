"""The perturbation contract: a value with a canonical string (``name(key=value,...)``), seeded per query,
and the parameters every family shares (``SEED``, ``RATE``).

Every family (``families``, ``typo``, ``romanize``, ``codemix``, ``adversarial``) extends ``Perturbation``;
the registry that builds one from its string is ``families.parse_variant``.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod

from xqg_bench.core.signature import passage_seed
from xqg_bench.core.spec import DEFAULT_SEED, Param, Range, canonical_spec, did_you_mean

LANGS = ("ar", "bn", "fi", "ja", "ko", "ru", "te", "en")
STOPWORDS: dict[str, frozenset[str]] = {
    "ar": frozenset("في من على إلى ما هي هو أي التي الذي عن مع".split()),
    "bn": frozenset("কোন কী কি এর এ ও এবং শহরে দেশে".split()),
    "fi": frozenset("on ja mikä missä mitä minkä ennen kun se".split()),
    "ja": frozenset(["は", "の", "で", "に", "を", "が", "と", "ですか", "ですか？", "？", "か"]),
    "ko": frozenset("은 는 이 가 을 를 의 에서 에서는 무엇입니까? 어느".split()),
    "ru": frozenset("в во на и до какая какой какой-то является из с".split()),
    "te": frozenset("ఏ ఏది లో యొక్క మరియు".split()),
    "en": frozenset("the a an of in on is what which".split()),
}


# Parameters every family shares (declared once; each family's PARAMS lists its own, in canonical order).
SEED = Param(int, DEFAULT_SEED, "seed: a query's randomness comes from (variant, seed, query id) alone")
RATE = Param(float, 1.0, "probability of each eligible place (1.0: all)", check=Range(0, 1, lo_open=True))


class Perturbation(ABC):
    """A perturbation family: ``name``, its parameters ``PARAMS`` (``xqg_bench.core.spec.Param``: type, default,
    choices, check), converted and checked by the declaration whether built from a spec string
    (``parse_variant``) or in Python (``Typo("keyboard", 2, 13)``, ``Romanize(rate=0.5)``)."""

    name: str
    PARAMS: dict[str, Param]
    keys: tuple[str, ...]  # the parameter names in canonical order

    def __init_subclass__(cls, **kw: object) -> None:
        super().__init_subclass__(**kw)
        cls.keys = tuple(cls.PARAMS)

    def __init__(self, *args: object, **kwargs: object) -> None:
        if len(args) > len(self.keys):
            raise TypeError(f"{self.name} takes at most {len(self.keys)} parameters ({', '.join(self.keys)})")
        given = dict(zip(self.keys, args, strict=False))
        for key, v in kwargs.items():
            if key in given:
                raise TypeError(f"{self.name} got {key} twice")
            given[key] = v
        for key in given:
            if key not in self.PARAMS:
                raise ValueError(
                    f"unknown {self.name} option {key!r}{did_you_mean(key, self.keys)}; options: {sorted(self.keys)}"
                )
        self.params: dict[str, object] = {}
        for key, param in self.PARAMS.items():
            value = param.parse(given.get(key), self.name, key, "variant")
            value = param.default if value is None else value
            if not (param.omit_default and value == param.default):
                self.params[key] = value

    @property
    def spec(self) -> str:
        return canonical_spec(self.name, self.params, self.PARAMS)

    def __str__(self) -> str:
        return self.spec

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Perturbation) and other.spec == self.spec

    def __hash__(self) -> int:
        return hash(self.spec)

    @property
    def rate(self) -> float:
        return float(self.params["rate"])  # type: ignore[arg-type]

    def rng(self, query_id: str) -> random.Random:
        return random.Random(passage_seed(int(self.params["seed"]), query_id, self.spec))  # type: ignore[arg-type]

    def applicable(self, lang: str) -> bool:
        return lang in LANGS

    def normalise(self, text: str, lang: str) -> str:
        """The text the perturbation starts from (edits are counted from it)."""
        return text

    @abstractmethod
    def apply(self, text: str, lang: str, query_id: str) -> str: ...
