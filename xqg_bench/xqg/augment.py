"""Query embeddings of generated queries, and passage-embedding augmentation as released.

``e_aug(p) = (1 - alpha) * e_p + alpha * SUM_{lang, j} e(q_lang_j)`` (alpha 0.01 in the paper),
a SUM over the passage's generated-query embeddings, nothing normalised, query side untouched.
Options: ``agg=mean``, a language subset, the number of queries per language ``n`` (ablation),
``renorm=l2``.  The number of query embeddings actually used is stored per passage
(``used-*.npy``) and its total goes into the signature.  Work streams shard by shard: memory does
not grow with the corpus.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from xqg_bench.core.atomic import (
    atomic_write_json,
    is_complete,
    job_dir,
    load_npy_checked,
    read_json,
    save_npy_checked,
    settle_meta,
)
from xqg_bench.core.signature import cache_key, make_signature
from xqg_bench.core.spec import Param, Range, canonical_spec, parse_spec
from xqg_bench.encoders.base import Encoder
from xqg_bench.retrieval.index import load_vectors
from xqg_bench.xqg.store import read_manifest, read_shard

# The augmentation's parameters, declared once: the spec ``xqg(alpha=…,agg=…,langs=…,n=…,renorm=…)``,
# AugmentConfig's defaults and checks, and the command line's --alpha, --agg, --aug-langs, --aug-n, --renorm.
AUGMENT_PARAMS: dict[str, Param] = {
    "alpha": Param(float, 0.01, "augmentation weight: e_aug = (1 - alpha) e_p + alpha SUM e_q", check=Range(0, 1)),
    "agg": Param(str, "sum", "sum (released) or mean of the query embeddings", choices=("sum", "mean")),
    "langs": Param(
        tuple, None, "use only these languages' queries (ablation; default: every generated one)", example="ja+ko"
    ),
    "n": Param(
        int, None, "use only the first n queries per language (ablation; default: all)", check=Range(1), example="1"
    ),
    "renorm": Param(str, "none", "L2-normalise the augmented vectors (none: as released)", choices=("none", "l2")),
}


class AugmentConfig(NamedTuple):
    alpha: float = AUGMENT_PARAMS["alpha"].default
    agg: str = AUGMENT_PARAMS["agg"].default  # sum (released) | mean
    langs: tuple[str, ...] | None = None  # None: every generated language
    n: int | None = None  # queries per language to use; None: all generated
    renorm: str = AUGMENT_PARAMS["renorm"].default  # none (released) | l2

    def validate(self) -> None:
        """Every value against AUGMENT_PARAMS (ValueError naming the parameter, what is allowed and a fix)."""
        for key, param in AUGMENT_PARAMS.items():
            param.parse(getattr(self, key), "xqg", key, "augmentation")

    @property
    def spec(self) -> str:
        return canonical_spec("xqg", self._asdict(), AUGMENT_PARAMS)

    @classmethod
    def parse(cls, text: str) -> AugmentConfig:
        spec = parse_spec(text, "augmentation", {"xqg": AUGMENT_PARAMS}, "xqg(alpha=A,agg=sum|mean,langs=L+L,n=N,...)")
        return cls(**spec.kwargs())


QUERY_STORES = ("queries", "sums")
QUERY_DTYPES = ("float32", "float16")


def qemb_signature(gen_signature: str, encoder: Encoder, store: str = "queries", dtype: str = "float32") -> str:
    fields: dict[str, object] = {"gen": cache_key(gen_signature), "encoder": encoder.spec}
    fields["weights"] = encoder.fingerprint()[:16]
    if (store, dtype) != ("queries", "float32"):
        fields.update(store=store, dtype=dtype)
    return make_signature(fields)


# Generated queries are encoded in blocks of consecutive shards holding up to this many queries:
# each distinct text of a block is encoded once (templated or sampled queries repeat across
# passages).  Blocks are cut from the manifest's per-shard counts alone, so which texts are
# encoded together never depends on the job split, the kill point or the machine.
ENCODE_BLOCK = 100_000


def encoding_blocks(shard_queries: Sequence[int], limit: int = ENCODE_BLOCK) -> list[list[int]]:
    """Consecutive shard indices grouped while a group holds <= ``limit`` queries (a shard alone may hold more)."""
    blocks: list[list[int]] = []
    size = 0
    for i, n in enumerate(shard_queries):
        if not blocks or size + n > limit:
            blocks.append([])
            size = 0
        blocks[-1].append(i)
        size += n
    return blocks


def _shard_texts(records: Sequence[tuple[str, dict]], langs: Sequence[str]) -> tuple[Sequence, list[str], np.ndarray]:
    """(records, texts in (doc, lang, j) order, queries per (doc, lang))."""
    texts, counts = [], np.zeros((len(records), len(langs)), dtype=np.int32)
    for d, (_docid, gq) in enumerate(records):
        for li, lang in enumerate(langs):
            qs = gq.get(lang, [])
            counts[d, li] = len(qs)
            texts.extend(qs)
    return records, texts, counts


def encode_generated(
    encoder: Encoder,
    gen_dir: str,
    root: str,
    num_shards: int = 1,
    shard_id: int = 0,
    progress: bool = True,
    store: str = "queries",
    dtype: str = "float32",
) -> str:
    """Encode every generated query, block by block (``encoding_blocks``): each distinct text of a
    block is encoded once.  With ``num_shards`` jobs, job ``shard_id`` takes blocks
    ``shard_id, shard_id + num_shards, ...``.

    ``store="queries"`` keeps every query embedding (``qemb-*.npy`` rows in (doc, lang, j) order):
    any ablation is possible.  ``store="sums"`` keeps one sum per (passage, language)
    (``qsum-*.npy``, shape (docs, langs, dim)): 5x smaller for n=5, enough for the released method,
    language subsets and mean, but not for the ``n`` ablation.  ``dtype="float16"`` halves either.
    ``qcount-*.npy`` = queries per (passage, language) in both.
    """
    from tqdm.auto import tqdm

    if store not in QUERY_STORES or dtype not in QUERY_DTYPES:
        raise ValueError(f"query store must be one of {QUERY_STORES} and dtype one of {QUERY_DTYPES}")
    manifest = read_manifest(gen_dir)
    langs = manifest["langs"]
    sig = qemb_signature(manifest["signature"], encoder, store, dtype)
    out = os.path.join(root, "qembeddings", cache_key(sig))
    job_dir(out)
    total = len(manifest["shards"])
    blocks = encoding_blocks([s["queries"] for s in manifest["shards"]])
    mine = [b for k, b in enumerate(blocks) if k % num_shards == shard_id]

    def done(i: int) -> bool:
        return is_complete(os.path.join(out, f"qcount-{i:05d}.npy")) and is_complete(
            os.path.join(out, f"qemb-{i:05d}.npy")
        )

    with tqdm(
        total=sum(manifest["shards"][i]["queries"] for b in mine for i in b),
        initial=sum(manifest["shards"][i]["queries"] for b in mine for i in b if done(i)),
        desc="encode generated queries",
        unit="q",
        disable=not progress,
    ) as bar:
        for block in mine:
            todo = [i for i in block if not done(i)]
            if not todo:
                continue
            # every shard of the block is read, so a resumed block encodes the same distinct texts
            per_shard = {i: _shard_texts(read_shard(gen_dir, i), langs) for i in block}
            unique = sorted({t for _records, texts, _counts in per_shard.values() for t in texts})
            vecs = encoder.encode_queries(unique) if unique else np.zeros((0, encoder.dim), np.float32)
            row = {t: k for k, t in enumerate(unique)}
            for i in todo:
                records, texts, counts = per_shard[i]
                emb = vecs[[row[t] for t in texts]] if texts else np.zeros((0, encoder.dim), np.float32)
                save_npy_checked(os.path.join(out, f"qcount-{i:05d}.npy"), counts)
                if store == "sums":
                    sums = np.zeros((len(records), len(langs), encoder.dim), dtype=np.float64)
                    flat = counts.reshape(-1)
                    owner = np.repeat(np.arange(flat.size), flat)
                    np.add.at(sums.reshape(-1, encoder.dim), owner, emb.astype(np.float64))
                    emb = sums
                # the last file written marks the shard done
                save_npy_checked(os.path.join(out, f"qemb-{i:05d}.npy"), emb.astype(dtype))
                bar.update(len(texts))
    complete = all(os.path.exists(os.path.join(out, f"qemb-{i:05d}.npy.sha256")) for i in range(total))
    meta = {"signature": sig, "langs": langs, "shards": total, "store": store, "dtype": dtype}
    meta_path = os.path.join(out, "meta.json")
    settle_meta(meta_path, meta, complete)
    return out


def _finish(passages: np.ndarray, q_sum: np.ndarray, used: np.ndarray, cfg: AugmentConfig) -> np.ndarray:
    if cfg.agg == "mean":
        q_sum = q_sum / np.maximum(used, 1)[:, None]
    aug = (1.0 - cfg.alpha) * passages.astype(np.float64) + cfg.alpha * q_sum
    if cfg.renorm == "l2":
        aug = aug / np.maximum(np.linalg.norm(aug, axis=1, keepdims=True), 1e-12)
    return aug.astype(np.float32)


def _lang_indices(langs: Sequence[str], cfg: AugmentConfig) -> list[int]:
    if cfg.langs is None:
        return list(range(len(langs)))
    unknown = [lg for lg in cfg.langs if lg not in langs]
    if unknown:
        raise ValueError(f"languages {unknown} were not generated (generated: {list(langs)})")
    return [list(langs).index(lg) for lg in cfg.langs]


def augment_shard_sums(
    passages: np.ndarray, sums: np.ndarray, counts: np.ndarray, langs: Sequence[str], cfg: AugmentConfig
) -> tuple[np.ndarray, np.ndarray]:
    """``augment_shard`` over a per-(passage, language) sum store."""
    idx = _lang_indices(langs, cfg)
    if cfg.n is not None and (counts[:, idx] > cfg.n).any():
        raise ValueError(
            f"n={cfg.n} needs individual query embeddings, but this store keeps per-language sums of up to "
            f"{int(counts.max())} queries: re-encode with the 'queries' store (--query-store queries)"
        )
    used = counts[:, idx].sum(axis=1).astype(np.int32)
    q_sum = sums[:, idx].astype(np.float64).sum(axis=1)
    return _finish(passages, q_sum, used, cfg), used


def augment_shard(
    passages: np.ndarray, qemb: np.ndarray, counts: np.ndarray, langs: Sequence[str], cfg: AugmentConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Augmented passage vectors and the number of query embeddings used per passage."""
    import scipy.sparse as sp

    n_docs, n_langs = counts.shape
    if passages.shape[0] != n_docs:
        raise ValueError(f"{passages.shape[0]} passage vectors but {n_docs} passages with generated queries")
    flat = counts.reshape(-1)
    doc_of_row = np.repeat(np.repeat(np.arange(n_docs), n_langs), flat)
    lang_of_row = np.repeat(np.tile(np.arange(n_langs), n_docs), flat)
    starts = np.repeat(np.cumsum(flat) - flat, flat)
    j_of_row = np.arange(flat.sum()) - starts
    keep = np.isin(lang_of_row, _lang_indices(langs, cfg))
    if cfg.n is not None:
        keep &= j_of_row < cfg.n
    rows = np.nonzero(keep)[0]
    select = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float64), (doc_of_row[rows], rows)), shape=(n_docs, len(doc_of_row))
    )
    used = np.asarray(select.sum(axis=1)).reshape(-1).astype(np.int32)
    q_sum = select @ qemb.astype(np.float64) if len(doc_of_row) else np.zeros((n_docs, passages.shape[1]))
    return _finish(passages, q_sum, used, cfg), used


def augment(passage_dir: str, qemb_dir: str, root: str, cfg: AugmentConfig, progress: bool = True) -> tuple[str, str]:
    """Augment every shard (streamed); return (directory, signature incl. the total used count)."""
    from tqdm.auto import tqdm

    cfg.validate()
    qmeta = read_json(os.path.join(qemb_dir, "meta.json"))
    pmeta = read_json(os.path.join(passage_dir, "meta.json"))
    if pmeta["shards"] != qmeta["shards"]:
        raise ValueError(
            f"passage embeddings have {pmeta['shards']} shards, generated queries {qmeta['shards']}: "
            "use the same --shard-size"
        )
    base = make_signature({"p": cache_key(pmeta["signature"]), "q": cache_key(qmeta["signature"]), "aug": cfg.spec})
    out = os.path.join(root, "augmented", cache_key(base))
    job_dir(out)
    sums = qmeta.get("store") == "sums"
    for i in tqdm(range(pmeta["shards"]), desc="augment", unit="shard", disable=not progress):
        if is_complete(os.path.join(out, f"used-{i:05d}.npy")) and is_complete(os.path.join(out, f"shard-{i:05d}.npy")):
            continue
        p = load_vectors(os.path.join(passage_dir, f"shard-{i:05d}.npy"), pmeta["dim"])
        q = load_vectors(os.path.join(qemb_dir, f"qemb-{i:05d}.npy"), pmeta["dim"], 3 if sums else 2)
        c = load_npy_checked(os.path.join(qemb_dir, f"qcount-{i:05d}.npy"))
        if c is None:
            raise ValueError(f"{qemb_dir}/qcount-{i:05d}.npy is missing or damaged; rerun: it is encoded again")
        shard_fn = augment_shard_sums if sums else augment_shard
        aug, used = shard_fn(p, q, c, qmeta["langs"], cfg)
        save_npy_checked(os.path.join(out, f"used-{i:05d}.npy"), used)
        save_npy_checked(os.path.join(out, f"shard-{i:05d}.npy"), aug)
    used_total = 0
    for i in range(pmeta["shards"]):
        used = load_npy_checked(os.path.join(out, f"used-{i:05d}.npy"))
        if used is None:
            raise ValueError(f"{out}/used-{i:05d}.npy is missing or damaged; rerun: it is computed again")
        used_total += int(used.sum())
    sig = make_signature({"base": cache_key(base), "aug": cfg.spec, "used": used_total, "docs": pmeta["count"]})
    atomic_write_json(
        os.path.join(out, "meta.json"),
        {
            "signature": sig,
            "count": pmeta["count"],
            "dim": pmeta["dim"],
            "shards": pmeta["shards"],
            "used_total": used_total,
        },
    )
    return out, sig
