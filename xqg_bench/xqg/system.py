"""The xQG-augmented system: generate -> encode queries -> augment -> Pyserini-layout index."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple

from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.core.atomic import read_json
from xqg_bench.core.signature import cache_key, make_signature
from xqg_bench.core.spec import DEFAULT_INDEX_TYPE, DEFAULT_SEED, DEFAULT_SHARD_SIZE
from xqg_bench.core.stages import stage
from xqg_bench.encoders.base import Encoder
from xqg_bench.retrieval.index import IndexInfo, cached_index, encode_corpus, index_fields, write_index_from_cache
from xqg_bench.retrieval.ingest import SuppliedQueries
from xqg_bench.xqg import XQG_LANGS, XQG_N
from xqg_bench.xqg.augment import QUERY_DTYPES, QUERY_STORES, AugmentConfig, augment, encode_generated
from xqg_bench.xqg.generators import DEFAULT_GENERATOR, QueryGenerator, load_generator
from xqg_bench.xqg.store import generate, read_manifest


class XqgConfig(NamedTuple):
    generator: str = DEFAULT_GENERATOR
    langs: tuple[str, ...] = XQG_LANGS  # languages to generate
    n: int = XQG_N  # queries per language and passage
    seed: int = DEFAULT_SEED
    augment: AugmentConfig = AugmentConfig()
    query_store: str = QUERY_STORES[0]  # queries (every embedding) | sums (per passage and language)
    query_dtype: str = QUERY_DTYPES[0]  # float32 | float16
    allow_short: bool = False  # precomputed queries: run with fewer languages/queries than requested


def build_xqg_index(
    encoder: Encoder,
    docs: Sequence[DprW100Doc],
    cache_root: str,
    cfg: XqgConfig,
    shard_size: int = DEFAULT_SHARD_SIZE,
    progress: bool = True,
    generator: QueryGenerator | None = None,
    index_type: str = DEFAULT_INDEX_TYPE,
    supplied: SuppliedQueries | None = None,
) -> tuple[IndexInfo, dict]:
    """Build (or reuse) the augmented index; return it and the augmentation record.

    ``generator`` overrides loading ``cfg.generator`` locally (e.g. the same spec on Ray actors).
    ``supplied``: generated-query embeddings made elsewhere (:class:`~xqg_bench.retrieval.ingest.SuppliedQueries`)
    stand in for generating and encoding; their languages are the files' (``cfg.langs`` orders them).
    """
    cfg.augment.validate()
    if supplied is None:
        gen = generator or load_generator(cfg.generator)
        with stage("generate queries"):
            gen_dir = generate(gen, docs, cache_root, cfg.langs, cfg.n, cfg.seed, shard_size, progress=progress)
        with stage("encode generated queries"):
            q_dir = encode_generated(
                encoder, gen_dir, cache_root, progress=progress, store=cfg.query_store, dtype=cfg.query_dtype
            )
        gen_spec, store, langs = gen.spec, f"{cfg.query_store}/{cfg.query_dtype}", list(cfg.langs)
        per_lang = read_manifest(gen_dir).get("per_lang", {})
    else:
        with stage("ingest generated-query embeddings"):
            q_dir = supplied.write(progress)
        qmeta = read_json(os.path.join(q_dir, "meta.json"))
        gen_spec, store, per_lang, langs = supplied.spec, f"{qmeta['store']}/float32", qmeta["per_lang"], qmeta["langs"]
    with stage("encode passages"):
        p_dir = encode_corpus(encoder, docs, cache_root, shard_size, progress)
    with stage("augment"):
        aug_dir, aug_sig = augment(p_dir, q_dir, cache_root, cfg.augment, progress)
    sig = make_signature(index_fields(encoder.spec, cache_key(aug_sig), index_type))
    record = {
        "generator": gen_spec,
        "seed": cfg.seed,
        "n_generated": cfg.n,
        "langs": langs,
        "augment": cfg.augment.spec,
        "query_store": store,
        "augment_signature": aug_sig,
        # what the generated queries hold (may be fewer than requested with precomputed queries)
        "used_langs": [lg for lg in langs if per_lang.get(lg, {}).get("queries", 0) > 0],
        "used_per_lang": per_lang,
    }
    index_dir = os.path.join(cache_root, "indexes", cache_key(sig))
    cached = cached_index(index_dir, sig)
    if cached is not None:
        return cached, record
    with stage("index"):
        info = write_index_from_cache(
            index_dir,
            aug_dir,
            [d.doc_id for d in docs],
            {"signature": sig, "encoder": encoder.spec, "xqg": record},
            index_type,
        )
    return info, record
