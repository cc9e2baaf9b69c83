"""The Ray backend (local Ray instance on CPU) gives the local path's embeddings."""

import numpy as np
import pytest

pytest.importorskip("ray", reason="the ray extra is not installed: pip install -e '.[ray]'")

from xqg_bench.datasets.mini_build import build_mini  # noqa: E402
from xqg_bench.encoders import load_encoder  # noqa: E402
from xqg_bench.retrieval.index import encode_corpus, load_embeddings  # noqa: E402


@pytest.fixture(scope="module")
def ray_encoder(tiny_models):
    import ray

    enc = load_encoder(f"hf(model={tiny_models['xlmr']})", backend="ray", actors=2, batch_size=16)
    yield enc
    ray.shutdown()


def test_same_spec_and_embeddings_as_local(ray_encoder, tiny_models, tmp_path):
    local = load_encoder(f"hf(model={tiny_models['xlmr']})")
    assert ray_encoder.spec == local.spec and ray_encoder.dim == local.dim
    docs = build_mini().docs[:70]
    np.testing.assert_allclose(ray_encoder.encode_passages(docs), local.encode_passages(docs), rtol=1e-4, atol=1e-5)
    qs = [q.text for q in build_mini().dev[:37]]
    np.testing.assert_allclose(ray_encoder.encode_queries(qs), local.encode_queries(qs), rtol=1e-4, atol=1e-5)
    # through the sharded, cached encoding path: same cache key, same vectors
    a = encode_corpus(ray_encoder, docs, str(tmp_path / "ray"), shard_size=32, progress=False)
    b = encode_corpus(local, docs, str(tmp_path / "local"), shard_size=32, progress=False)
    assert a.rsplit("/", 1)[1] == b.rsplit("/", 1)[1]
    np.testing.assert_allclose(load_embeddings(a), load_embeddings(b), rtol=1e-4, atol=1e-5)


def test_ray_generator_matches_local(ray_encoder, tiny_mt5):
    from xqg_bench.xqg.generators import load_generator

    docs = build_mini().docs[:6]
    local = load_generator(f"mt5(model={tiny_mt5})").generate(docs, ["ja", "ru"], 2, 5)
    remote = load_generator(f"mt5(model={tiny_mt5})", backend="ray", actors=2, batch_size=2)
    assert remote.spec == load_generator(f"mt5(model={tiny_mt5})").spec
    assert remote.generate(docs, ["ja", "ru"], 2, 5) == local
