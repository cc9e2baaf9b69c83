import numpy as np
import pytest
from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.encoders import load_encoder

DOCS = [DprW100Doc("d1", "Finland uses the euro.", "Finland"), DprW100Doc("d2", "Japan uses the yen. " * 30, "Japan")]


@pytest.mark.parametrize("kind", ["bert", "xlmr"])
def test_tiny_model_loads_by_path_and_encodes(tiny_models, kind):
    enc = load_encoder(f"hf(model={tiny_models[kind]})")
    assert enc.spec == f"hf(model={tiny_models[kind]},pooling=cls,qlen=32,plen=128)"
    q = enc.encode_queries(["フィンランドの通貨は何ですか", "Какая валюта?"])
    p = enc.encode_passages(DOCS)
    assert q.shape == (2, 32) and p.shape == (2, 32)
    assert q.dtype == np.float32 and np.isfinite(p).all()


def test_cls_pooling_matches_direct_transformers(tiny_models):
    import torch
    from transformers import AutoModel, AutoTokenizer

    path = tiny_models["bert"]
    enc = load_encoder(f"hf(model={path})")
    tok, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()
    text = DOCS[1].title + " " + DOCS[1].text
    with torch.inference_mode():
        batch = tok([text], max_length=128, truncation=True, return_tensors="pt")
        want = model(**batch).last_hidden_state[:, 0].numpy()
    np.testing.assert_allclose(enc.encode_passages([DOCS[1]]), want, rtol=1e-5, atol=1e-5)


def test_mean_pooling_and_length_sorting_are_order_independent(tiny_models):
    enc = load_encoder(f"hf(model={tiny_models['xlmr']},pooling=mean,batch=1,norm=l2)")
    texts = ["short", "a much longer query about the currency of Finland and Japan", "mid length one"]
    a = enc.encode_queries(texts)
    b = enc.encode_queries(texts[::-1])[::-1]
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-5)
    # batching with padding must give the same vectors as one at a time
    enc_batched = load_encoder(f"hf(model={tiny_models['xlmr']},pooling=mean,batch=8,norm=l2)")
    np.testing.assert_allclose(enc_batched.encode_queries(texts), a, rtol=1e-4, atol=1e-5)


def test_separate_query_and_passage_models(tiny_models):
    shared = load_encoder(f"hf(model={tiny_models['bert']})")
    split = load_encoder(f"hf(model={tiny_models['bert']},passage={tiny_models['bert2']})")
    assert "passage=" in split.spec
    np.testing.assert_allclose(split.encode_queries(["euro"]), shared.encode_queries(["euro"]), rtol=1e-6)
    assert not np.allclose(split.encode_passages(DOCS), shared.encode_passages(DOCS))


def test_query_max_length_truncates(tiny_models):
    enc = load_encoder(f"hf(model={tiny_models['bert']},qlen=8)")
    long = "euro " * 50
    np.testing.assert_allclose(enc.encode_queries([long]), enc.encode_queries([long + " yen yen"]), rtol=1e-6)


@pytest.mark.parametrize(
    "spec, msg",
    [
        ("hf(pooling=cls)", "need model="),
        ("hf(model=x,pooling=max)", "pooling must be"),
        ("hf(model=x,colour=red)", "unknown hf option"),
        ("bm25", "unknown encoder"),
        ("hf(model=/nonexistent/dir/xyz)", "cannot load model"),
    ],
)
def test_bad_encoder_specs(spec, msg):
    with pytest.raises(ValueError, match=msg):
        load_encoder(spec)
