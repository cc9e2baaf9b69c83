"""Retrieval systems behind one contract: build (or load) the index of a corpus, search a query set.

The pipeline knows systems only through :class:`System`; a new kind (sparse, multi-vector) is a new
subclass and an entry in :func:`make_system`, not a change to the orchestration.  What systems
share lives in :class:`Resources`: one encoder object per encoder spec (so every system with the
same query encoder reads one query-embedding cache, ``cache/queries``), one generator per spec;
passage embeddings are cached on disk under the encoder's signature (``cache/embeddings``), so
every system with the same encoder encodes the corpus once, with or without an augmentation.

The same caches can be filled by sharded jobs beforehand (one per GPU or node, each resumable):
:func:`generate_shards` generates an xQG system's queries, :func:`encode_shards` encodes the passages
(and the generated queries); a run with the same settings then finds everything cached.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

from xqg_bench.core.atomic import ensure_output_dir, slug
from xqg_bench.core.spec import DEFAULT_SHARD_SIZE
from xqg_bench.core.stages import stage
from xqg_bench.encoders import load_encoder
from xqg_bench.encoders.base import Encoder
from xqg_bench.encoders.cache import CachedQueryEncoder
from xqg_bench.evaluate.query_sets import load_query_set
from xqg_bench.experiment.config import SystemDecl
from xqg_bench.retrieval.index import IndexInfo, build_index, check_index_type, encode_corpus
from xqg_bench.retrieval.ingest import SuppliedQueries
from xqg_bench.retrieval.search import cached_search
from xqg_bench.xqg.augment import encode_generated
from xqg_bench.xqg.generators import QueryGenerator, load_generator
from xqg_bench.xqg.store import generate, generated_dir, generation_signature, read_manifest
from xqg_bench.xqg.system import XqgConfig


class Resources:
    """Encoders, query encoders (with their embedding cache) and generators, each loaded once per spec."""

    def __init__(
        self,
        cache_root: str,
        shard_size: int = DEFAULT_SHARD_SIZE,
        progress: bool = True,
        backend: str = "local",
        ray_options: dict | None = None,
    ) -> None:
        self.cache_root, self.shard_size, self.progress = cache_root, shard_size, progress
        self.backend, self.ray_options = backend, dict(ray_options or {})
        self._encoders: dict[str, Encoder] = {}
        self._query_encoders: dict[str, CachedQueryEncoder] = {}
        self._generators: dict[str, QueryGenerator] = {}
        self._supplied: dict[str, SuppliedQueries] = {}

    def encoder(self, spec: str) -> Encoder:
        if spec not in self._encoders:
            self._encoders[spec] = load_encoder(spec, backend=self.backend, **self._ray())
        return self._encoders[spec]

    def replace_encoder(self, spec: str, encoder: Encoder) -> None:
        """Passage embeddings made elsewhere (:mod:`xqg_bench.retrieval.ingest`) stand in for ``spec``'s."""
        self._encoders[spec] = encoder
        self._query_encoders.pop(spec, None)

    def supply_queries(self, spec: str, supplied: SuppliedQueries) -> None:
        """Generated-query embeddings made elsewhere stand in for generating and encoding, for every xQG system
        with encoder ``spec``."""
        self._supplied[spec] = supplied

    def supplied_queries(self, spec: str) -> SuppliedQueries | None:
        return self._supplied.get(spec)

    def query_encoder(self, spec: str) -> CachedQueryEncoder:
        if spec not in self._query_encoders:
            self._query_encoders[spec] = CachedQueryEncoder(self.encoder(spec), self.cache_root)
        return self._query_encoders[spec]

    def generator(self, spec: str) -> QueryGenerator:
        if spec not in self._generators:
            self._generators[spec] = load_generator(spec, backend=self.backend, **self._ray())
        return self._generators[spec]

    def _ray(self) -> dict:
        return self.ray_options if self.backend == "ray" else {}


class System(ABC):
    """A named retrieval system.  ``check`` fails before anything is written; ``index`` builds or loads
    the index of ``qs``'s corpus (cached by signature); ``search`` ranks a query set of that corpus.
    After ``index``: ``spec`` names what ranks (run tags, score signatures), ``index_signature`` and
    ``index_path`` the index, ``record`` what an augmentation actually used."""

    def __init__(self, decl: SystemDecl, resources: Resources) -> None:
        self.decl, self.name, self.resources = decl, decl.name, resources
        self.spec = ""
        self.index_signature = ""
        self.index_path = ""
        self.record: dict = {}

    @abstractmethod
    def check(self, qs) -> None:  # type: ignore[no-untyped-def]
        ...

    @abstractmethod
    def index(self, qs) -> None:  # type: ignore[no-untyped-def]
        ...

    @abstractmethod
    def search(self, query_ids: Sequence[str], texts: Sequence[str], depth: int, threads: int):  # type: ignore[no-untyped-def]
        ...

    @property
    def label(self) -> str:
        """Short name for file names: the encoder's name, ``+xqg`` when augmented."""
        return self.decl.encoder.split("(")[0] + ("+xqg" if self.decl.xqg is not None else "")


class DenseSystem(System):
    """An encoder, its passage vectors in a FAISS inner-product index (Pyserini layout), exact search."""

    def _set(self, info: IndexInfo, spec: str) -> None:
        self.info, self.spec, self.index_signature, self.index_path = info, spec, info.signature, info.path

    @property
    def encoder(self) -> Encoder:
        return self.resources.encoder(self.decl.encoder)

    def check(self, qs) -> None:  # type: ignore[no-untyped-def]
        check_index_type(self.decl.index_type, self.encoder.dim, len(qs.docs))  # trial-built before any encoding

    def index(self, qs) -> None:  # type: ignore[no-untyped-def]
        r = self.resources
        info = build_index(self.encoder, qs.docs, r.cache_root, r.shard_size, r.progress, self.decl.index_type)
        self._set(info, self.encoder.spec)

    def search(self, query_ids: Sequence[str], texts: Sequence[str], depth: int, threads: int):  # type: ignore[no-untyped-def]
        with stage("encode questions and search"):
            return cached_search(
                self.info.path,
                self.info.signature,
                self.resources.query_encoder(self.decl.encoder),
                query_ids,
                texts,
                self.resources.cache_root,
                depth=depth,
                threads=threads,
                progress=self.resources.progress,
            )


class XqgSystem(DenseSystem):
    """A dense system whose passage vectors are augmented with embeddings of generated queries (xQG)."""

    @property
    def generator(self) -> QueryGenerator | SuppliedQueries:
        """The query generator, or the generated-query embeddings supplied in its place (their ``spec`` names
        the files by content hash, and so does every signature built on it)."""
        assert self.decl.xqg is not None
        supplied = self.resources.supplied_queries(self.decl.encoder)
        return supplied if supplied is not None else self.resources.generator(self.decl.xqg.generator)

    def check(self, qs) -> None:  # type: ignore[no-untyped-def]
        super().check(qs)
        x = self.decl.xqg
        assert x is not None
        gen = self.generator  # loaded (a released file read and checked) before any work
        if hasattr(gen, "check_request"):
            gen.check_request(qs.docs, x.langs, x.n, x.allow_short)  # type: ignore[attr-defined]

    def index(self, qs) -> None:  # type: ignore[no-untyped-def]
        from xqg_bench.xqg.system import build_xqg_index

        r, x = self.resources, self.decl.xqg
        assert x is not None
        source = self.generator
        supplied = source if isinstance(source, SuppliedQueries) else None
        info, record = build_xqg_index(
            self.encoder, qs.docs, r.cache_root, x, r.shard_size, r.progress,
            None if supplied else source, self.decl.index_type, supplied,
        )  # fmt: skip
        gen = f"gen:{record['generator']}:n{record['n_generated']}:seed{record['seed']}"
        self._set(info, f"{self.encoder.spec}+{record['augment']}+{gen}")
        self.record = record


def make_system(decl: SystemDecl, resources: Resources) -> System:
    """The system a declaration describes (dense today; a sparse kind would be chosen here)."""
    return DenseSystem(decl, resources) if decl.xqg is None else XqgSystem(decl, resources)


def file_labels(systems: Sequence[System]) -> dict[str, str]:
    """System name -> the part of its file names after the dataset: ``<encoder>[+xqg]`` when that is
    unique within the experiment (the default run's names), otherwise the system's own name."""
    labels = {s.name: slug(s.label) for s in systems}
    if len(set(labels.values())) == len(labels):
        return labels
    labels = {s.name: slug(s.name) for s in systems}
    if len(set(labels.values())) != len(labels):
        clash = sorted(n for n in labels if list(labels.values()).count(labels[n]) > 1)
        raise ValueError(f"systems {clash} would write files of the same name; rename one of them")
    return labels


def shared_encoders(systems: Sequence[System]) -> dict[str, list[str]]:
    """Encoder spec -> the systems sharing its passage and query embeddings."""
    out: dict[str, list[str]] = {}
    for s in systems:
        out.setdefault(s.decl.encoder, []).append(s.name)
    return out


def index_dir_of(system: System, out_dir: str) -> str:
    return os.path.relpath(system.index_path, out_dir)


# ---------------------------------------------------------------------------------------------- sharded jobs


def generate_shards(
    dataset: str,
    output_dir: str,
    xqg: XqgConfig,
    shard_size: int = DEFAULT_SHARD_SIZE,
    num_shards: int = 1,
    shard_id: int = 0,
    progress: bool = True,
    backend: str = "local",
    ray_options: dict | None = None,
) -> tuple[str, int | None]:
    """Generate ``xqg``'s queries for this job's shards of ``dataset``'s corpus into ``<output_dir>/cache``
    (resumable; shard i belongs to job ``i % num_shards``; precomputed queries are checked against the corpus
    before any write).  Returns the directory and, once every shard exists (the manifest is written), the
    number of queries (None: partial)."""
    docs = load_query_set(dataset).docs
    gen = load_generator(xqg.generator, backend=backend, **(ray_options or {}))
    if hasattr(gen, "check_request"):  # precomputed queries: checked against the corpus before any write
        gen.check_request(docs, xqg.langs, xqg.n, xqg.allow_short)  # type: ignore[attr-defined]
    ensure_output_dir(output_dir)
    root = os.path.join(output_dir, "cache")
    out = generate(gen, docs, root, xqg.langs, xqg.n, xqg.seed, shard_size, num_shards, shard_id, progress=progress)
    done = os.path.exists(os.path.join(out, "manifest.json"))
    return out, read_manifest(out)["queries"] if done else None


def encode_shards(
    dataset: str,
    output_dir: str,
    encoder: str,
    shard_size: int = DEFAULT_SHARD_SIZE,
    num_shards: int = 1,
    shard_id: int = 0,
    progress: bool = True,
    backend: str = "local",
    ray_options: dict | None = None,
    queries: XqgConfig | None = None,
) -> Iterator[str]:
    """Encode this job's shards of ``dataset``'s passages into ``<output_dir>/cache`` and, with ``queries``,
    of the queries generated with those settings (their manifest must exist; resumable).  Yields each
    embedding directory as it is done: the passages', then the generated queries'."""
    docs = load_query_set(dataset).docs
    enc = load_encoder(encoder, backend=backend, **(ray_options or {}))
    ensure_output_dir(output_dir)
    root = os.path.join(output_dir, "cache")
    yield encode_corpus(enc, docs, root, shard_size, progress, num_shards, shard_id)
    if queries is not None:
        gen = load_generator(queries.generator)  # only its signature: the queries are on disk
        sig = generation_signature(gen, docs, queries.langs, queries.n, queries.seed, shard_size)
        q_dir = generated_dir(root, sig)
        yield encode_generated(
            enc, q_dir, root, num_shards, shard_id, progress, queries.query_store, queries.query_dtype
        )
