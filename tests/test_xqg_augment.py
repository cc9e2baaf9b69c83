"""Augmentation equals a direct numpy computation of the released formula."""

import os

import numpy as np
import pytest

from xqg_bench.xqg.augment import AugmentConfig, augment_shard

LANGS = ["ar", "bn", "ja"]


@pytest.fixture
def shard():
    rng = np.random.default_rng(0)
    counts = np.array([[2, 3, 1], [0, 2, 2], [0, 0, 0], [3, 1, 0]], dtype=np.int32)
    p = rng.normal(size=(4, 8)).astype(np.float32)
    q = rng.normal(size=(int(counts.sum()), 8)).astype(np.float32)
    # the (doc, lang, j) of every query row, written out by hand
    rows = []
    for d in range(4):
        for li in range(3):
            for j in range(counts[d, li]):
                rows.append((d, li, j))
    return p, q, counts, rows


def direct(p, q, rows, alpha, agg="sum", langs=None, n=None, renorm="none"):
    out, used = [], []
    for d in range(p.shape[0]):
        sel = [
            k
            for k, (dd, li, j) in enumerate(rows)
            if dd == d and (langs is None or LANGS[li] in langs) and (n is None or j < n)
        ]
        s = q[sel].astype(np.float64).sum(axis=0) if sel else np.zeros(p.shape[1])
        if agg == "mean" and sel:
            s = s / len(sel)
        v = (1 - alpha) * p[d].astype(np.float64) + alpha * s
        if renorm == "l2":
            v = v / np.linalg.norm(v)
        out.append(v)
        used.append(len(sel))
    return np.array(out, dtype=np.float32), np.array(used)


@pytest.mark.parametrize(
    "cfg",
    [
        AugmentConfig(),
        AugmentConfig(alpha=0.3),
        AugmentConfig(alpha=0.2, agg="mean"),
        AugmentConfig(alpha=0.1, langs=("bn", "ja")),
        AugmentConfig(alpha=0.1, n=1),
        AugmentConfig(alpha=0.5, agg="mean", langs=("ar",), n=2, renorm="l2"),
        AugmentConfig(alpha=0.0),
    ],
    ids=lambda c: c.spec,
)
def test_matches_direct_numpy(shard, cfg):
    p, q, counts, rows = shard
    got, used = augment_shard(p, q, counts, LANGS, cfg)
    want, want_used = direct(p, q, rows, cfg.alpha, cfg.agg, cfg.langs, cfg.n, cfg.renorm)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(used, want_used)


def test_counts_are_recorded_sum_not_mean_by_default(shard):
    p, q, counts, _ = shard
    _, used = augment_shard(p, q, counts, LANGS, AugmentConfig())
    assert used.tolist() == [6, 4, 0, 4]  # every generated query is used: nothing silently dropped
    assert AugmentConfig().spec == "xqg(alpha=0.01,agg=sum,renorm=none)"


def test_spec_round_trip_and_validation():
    cfg = AugmentConfig(alpha=0.05, agg="mean", langs=("ja", "ko"), n=3, renorm="l2")
    assert AugmentConfig.parse(cfg.spec) == cfg
    for bad in ["xqg(alpha=2)", "xqg(agg=max)", "xqg(n=0)", "xqg(beta=1)", "xqg(alpha=abc)", "aug(alpha=0.1)"]:
        with pytest.raises(ValueError):
            AugmentConfig.parse(bad)
    with pytest.raises(ValueError, match="were not generated"):
        augment_shard(
            np.zeros((1, 2)), np.zeros((1, 2)), np.ones((1, 1), np.int32), ["ar"], AugmentConfig(langs=("ko",))
        )


@pytest.fixture(scope="module")
def stores(tiny_models, tmp_path_factory):
    """The same generated queries encoded into the 'queries' store, the 'sums' store and fp16."""
    from xqg_bench.datasets.mini_build import build_mini
    from xqg_bench.encoders import load_encoder
    from xqg_bench.retrieval.index import encode_corpus
    from xqg_bench.xqg.augment import encode_generated
    from xqg_bench.xqg.generators import load_generator
    from xqg_bench.xqg.store import generate

    root = str(tmp_path_factory.mktemp("stores"))
    docs = build_mini().docs[:50]
    enc = load_encoder(f"hf(model={tiny_models['bert']})")
    gen_dir = generate(load_generator("cldr"), docs, root, ("ja", "ko", "te"), 3, 13, 16, progress=False)
    p_dir = encode_corpus(enc, docs, root, 16, progress=False)
    dirs = {
        (store, dtype): encode_generated(enc, gen_dir, root, progress=False, store=store, dtype=dtype)
        for store in ("queries", "sums")
        for dtype in ("float32", "float16")
    }
    return root, p_dir, dirs


@pytest.mark.parametrize(
    "cfg", [AugmentConfig(alpha=0.2), AugmentConfig(alpha=0.2, agg="mean", langs=("ko", "te"), renorm="l2")]
)
def test_sum_store_and_fp16_give_the_same_augmentation(stores, cfg):
    from xqg_bench.retrieval.index import load_embeddings
    from xqg_bench.xqg.augment import augment

    root, p_dir, dirs = stores
    out = {key: augment(p_dir, q_dir, root, cfg, progress=False) for key, q_dir in dirs.items()}
    assert len({sig for _d, sig in out.values()}) == 4  # storage is part of the signature
    assert len({sig.split("|used:")[1] for _d, sig in out.values()}) == 1  # same number of queries used
    ref = load_embeddings(out[("queries", "float32")][0])
    np.testing.assert_allclose(load_embeddings(out[("sums", "float32")][0]), ref, rtol=1e-5, atol=1e-5)
    for store in ("queries", "sums"):
        np.testing.assert_allclose(load_embeddings(out[(store, "float16")][0]), ref, rtol=1e-2, atol=1e-2)


def test_sum_store_refuses_the_n_ablation(stores):
    from xqg_bench.xqg.augment import augment

    root, p_dir, dirs = stores
    with pytest.raises(ValueError, match="--query-store queries"):
        augment(p_dir, dirs[("sums", "float32")], root, AugmentConfig(n=1), progress=False)
    augment(p_dir, dirs[("queries", "float32")], root, AugmentConfig(n=1), progress=False)  # fine


def test_generated_queries_are_encoded_once_per_distinct_text_across_shards(stores, tiny_models, monkeypatch):
    """Blocks of shards: a text repeated across shards is encoded once, and every query row holds the
    vector its own text gets when encoded alone."""
    from xqg_bench.encoders import load_encoder
    from xqg_bench.xqg.augment import encode_generated, encoding_blocks
    from xqg_bench.xqg.store import read_manifest, read_shard

    assert encoding_blocks([5, 5, 5], limit=10) == [[0, 1], [2]] and encoding_blocks([12, 1], limit=10) == [[0], [1]]
    root, _p_dir, dirs = stores
    gen_dir = os.path.join(root, "generated", os.listdir(os.path.join(root, "generated"))[0])
    manifest = read_manifest(gen_dir)
    texts = [
        q for i in range(len(manifest["shards"])) for _d, gq in read_shard(gen_dir, i) for lg in manifest["langs"]
        for q in gq.get(lg, [])
    ]  # fmt: skip
    assert len(manifest["shards"]) > 1 and len(set(texts)) < len(texts)  # repeats across shards
    enc = load_encoder(f"hf(model={tiny_models['bert']})")
    seen: list[str] = []
    inner = enc.encode_queries
    monkeypatch.setattr(enc, "encode_queries", lambda batch: seen.extend(batch) or inner(batch))
    out = encode_generated(enc, gen_dir, os.path.join(root, "again"), progress=False)
    assert sorted(seen) == sorted(set(texts))  # each distinct text once (one block holds every shard here)
    rows = np.concatenate([np.load(os.path.join(out, f"qemb-{i:05d}.npy")) for i in range(len(manifest["shards"]))])
    first = {t: k for k, t in reversed(list(enumerate(texts)))}
    for k, t in enumerate(texts):
        np.testing.assert_array_equal(rows[k], rows[first[t]])  # a repeated text: the same vector everywhere
    for k in (0, len(texts) // 2, len(texts) - 1):  # each row is its own text's vector (up to padding noise)
        np.testing.assert_allclose(rows[k], inner([texts[k]])[0], rtol=1e-4, atol=1e-5)
