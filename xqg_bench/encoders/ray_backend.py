"""Ray backend: any encoder, run by a pool of Ray actors (``ray.data`` ``map_batches``).

``RayEncoder(spec)`` has the same contract and the same ``spec`` as the encoder it wraps, so
signatures and caches do not change with the backend: a job started locally can be finished on a
Ray cluster.  Each ``encode_*`` call becomes a Ray Data pipeline whose batches go to
``actors`` actors, each holding one copy of the model (one GPU each when ``gpus_per_actor`` is 1).
Connect to an existing cluster with ``address`` (``ray://...`` or ``auto``), or start a local
instance.  Install with the ``ray`` extra: ``pip install -e '.[ray]'``.

The backends receive the factory that builds the wrapped encoder or generator from its spec
(``encoders.load_encoder``, ``xqg.generators.load_generator``: each registry passes itself), so this
module depends on the contracts only, not on the registries that import it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

import numpy as np
from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.encoders.base import Encoder, as_float32


class GeneratorLike(Protocol):
    """What the generator backend needs of a query generator (the contract is ``xqg.base.QueryGenerator``)."""

    spec: str

    def generate(
        self, docs: Sequence[DprW100Doc], langs: Sequence[str], n: int, seed: int
    ) -> list[dict[str, list[str]]]: ...


class _EncodeActor:
    """Ray Data callable class: loads the encoder once per actor."""

    def __init__(self, spec: str, kind: str, load_encoder: Callable[[str], Encoder]) -> None:
        # Ray places one actor per CPU it grants: an actor encodes in its own process, no pool of its own
        os.environ.setdefault("XQG_BENCH_ENCODE_WORKERS", "1")
        self.encoder = load_encoder(spec)
        self.kind = kind

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.kind == "query":
            vecs = self.encoder.encode_queries([str(t) for t in batch["text"]])
        else:
            docs = [
                DprW100Doc(str(i), str(t), str(h))
                for i, t, h in zip(batch["doc_id"], batch["text"], batch["title"], strict=True)
            ]
            vecs = self.encoder.encode_passages(docs)
        return {"row": batch["row"], "vec": vecs}


class _RayPool:
    """Shared set-up of the Ray backends: cluster connection and one ``map_batches`` over an actor pool."""

    def __init__(self, actors: int, batch_size: int, gpus_per_actor: float, address: str | None) -> None:
        import ray

        if not ray.is_initialized():
            if address:
                ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
            else:
                ray.init(
                    num_cpus=max(actors, 1), ignore_reinit_error=True, log_to_driver=False, include_dashboard=False
                )
        self.actors, self.batch_size, self.gpus_per_actor = actors, batch_size, gpus_per_actor

    def map(self, rows: list[dict], actor_cls: type, ctor_args: tuple) -> Iterator[dict[str, np.ndarray]]:
        """Batches of the actors' outputs (in any order; every output carries its ``row``)."""
        import ray.data

        blocks = max(self.actors, min(-(-len(rows) // self.batch_size), 256))
        ds = ray.data.from_items(rows, override_num_blocks=min(blocks, len(rows)))
        out = ds.map_batches(
            actor_cls,
            fn_constructor_args=ctor_args,
            batch_size=self.batch_size,
            concurrency=self.actors,
            num_gpus=self.gpus_per_actor,
            batch_format="numpy",
        )
        yield from out.iter_batches(batch_format="numpy", batch_size=None)


class RayEncoder(Encoder):
    def __init__(
        self,
        spec: str,
        load_encoder: Callable[[str], Encoder],
        actors: int = 2,
        batch_size: int = 256,
        gpus_per_actor: float = 0.0,
        address: str | None = None,
    ) -> None:
        self._load = load_encoder
        self._pool = _RayPool(actors, batch_size, gpus_per_actor, address)
        self._probe = load_encoder(spec)  # dimension and canonical spec; also fails fast on a bad spec
        self.spec = self._probe.spec
        self._spec_text = spec

    @property
    def dim(self) -> int:
        return self._probe.dim

    def fingerprint(self) -> str:
        return self._probe.fingerprint()

    def _run(self, rows: list[dict], kind: str) -> np.ndarray:
        vecs = np.zeros((len(rows), self.dim), dtype=np.float32)
        if rows:
            for batch in self._pool.map(rows, _EncodeActor, (self._spec_text, kind, self._load)):
                vecs[batch["row"]] = np.stack(batch["vec"])
        return as_float32(vecs, len(rows), self.dim, f"ray encoder {self.spec}")

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run([{"row": i, "text": t} for i, t in enumerate(texts)], "query")

    def encode_passages(self, docs: Sequence[DprW100Doc]) -> np.ndarray:
        rows = [{"row": i, "doc_id": d.doc_id, "text": d.text, "title": d.title} for i, d in enumerate(docs)]
        return self._run(rows, "passage")


class _GenerateActor:
    """Ray Data callable class: loads the query generator once per actor."""

    def __init__(
        self, spec: str, langs: tuple[str, ...], n: int, seed: int, load_generator: Callable[[str], GeneratorLike]
    ) -> None:
        self.generator = load_generator(spec)
        self.langs, self.n, self.seed = langs, n, seed

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        docs = [
            DprW100Doc(str(i), str(t), str(h))
            for i, t, h in zip(batch["doc_id"], batch["text"], batch["title"], strict=True)
        ]
        out = self.generator.generate(docs, self.langs, self.n, self.seed)
        return {
            "row": batch["row"],
            "queries": np.array([json.dumps(o, ensure_ascii=False) for o in out], dtype=object),
        }


class RayGenerator:
    """Any query generator run by Ray actors; per-passage seeding makes the output identical to local."""

    def __init__(
        self,
        spec: str,
        load_generator: Callable[[str], GeneratorLike],
        actors: int = 2,
        batch_size: int = 16,
        gpus_per_actor: float = 0.0,
        address: str | None = None,
    ) -> None:
        self._load = load_generator
        self._pool = _RayPool(actors, batch_size, gpus_per_actor, address)
        self.spec = load_generator(spec).spec
        self._spec_text = spec

    def generate(
        self, docs: Sequence[DprW100Doc], langs: Sequence[str], n: int, seed: int
    ) -> list[dict[str, list[str]]]:
        rows = [{"row": i, "doc_id": d.doc_id, "text": d.text, "title": d.title} for i, d in enumerate(docs)]
        result: list[dict[str, list[str]]] = [{} for _ in docs]
        if rows:
            for batch in self._pool.map(rows, _GenerateActor, (self._spec_text, tuple(langs), n, seed, self._load)):
                for row, text in zip(batch["row"], batch["queries"], strict=True):
                    result[int(row)] = json.loads(str(text))
        return result
