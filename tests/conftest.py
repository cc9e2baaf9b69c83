"""Test set-up: ir_datasets writes under a temp dir; tiny HF models are built from configs."""

from __future__ import annotations

import os
import tempfile

_TMP = tempfile.mkdtemp(prefix="xqg-bench-tests-")
os.environ.setdefault("IR_DATASETS_HOME", os.path.join(_TMP, "ir_datasets"))
os.environ.setdefault("IR_DATASETS_TMP", os.path.join(_TMP, "ir_datasets_tmp"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# property tests draw the same examples on every run (a test that passes once passes always)
settings.register_profile("deterministic", derandomize=True, database=None)
settings.load_profile("deterministic")

CORPUS = [
    "Finland uses the euro. Helsinki is the capital of Finland.",
    "Japan uses the yen. Tokyo is the largest city of Japan.",
    "フィンランドの通貨はユーロです。東京は日本の首都です。",
    "Финляндия использует евро. Хельсинки — столица.",
    "في أي دولة تقع مدينة هلسنكي؟ ما العملة المستخدمة؟",
    "হেলসিঙ্কি শহরটি কোন দেশে অবস্থিত? ఫిన్లాండ్ దేశంలో ఏ కరెన్సీ?",
    "핀란드의 공용어는 무엇입니까? 헬싱키에서는 어떤 통화를 사용합니까?",
]


def _train_tokenizer(kind: str):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    if kind == "bert":
        specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.train_from_iterator(CORPUS * 5, trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials))
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]",
            pair="[CLS] $A [SEP] $B [SEP]",
            special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
        )
        tok.decoder = decoders.WordPiece()
        return PreTrainedTokenizerFast(
            tokenizer_object=tok,
            unk_token="[UNK]",
            pad_token="[PAD]",
            cls_token="[CLS]",
            sep_token="[SEP]",
            mask_token="[MASK]",
        )
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.train_from_iterator(
        CORPUS * 5, trainers.UnigramTrainer(vocab_size=300, special_tokens=specials, unk_token="<unk>")
    )
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
    )
    tok.decoder = decoders.Metaspace()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        mask_token="<mask>",
    )


def build_tiny_model(kind: str, path: str, seed: int = 0) -> str:
    import torch
    from transformers import BertConfig, BertModel, XLMRobertaConfig, XLMRobertaModel

    tok = _train_tokenizer(kind)
    torch.manual_seed(seed)
    common = dict(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=160,
        vocab_size=len(tok),
    )
    if kind == "bert":
        model = BertModel(BertConfig(**common, pad_token_id=tok.pad_token_id))
    else:
        model = XLMRobertaModel(XLMRobertaConfig(**common, pad_token_id=tok.pad_token_id, type_vocab_size=1))
    model.eval()
    tok.save_pretrained(path)
    model.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, str]:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("tiny-models")
    return {
        "bert": build_tiny_model("bert", str(root / "tiny-bert")),
        "bert2": build_tiny_model("bert", str(root / "tiny-bert-passage"), seed=1),
        "xlmr": build_tiny_model("xlmr", str(root / "tiny-xlmr")),
    }


def build_tiny_mt5(path: str, seed: int = 0) -> str:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import MT5Config, MT5ForConditionalGeneration, PreTrainedTokenizerFast

    specials = ["<pad>", "</s>", "<unk>"]
    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    corpus = CORPUS + ["Generate a Japanese question for this passage: Economy of Finland"]
    tok.train_from_iterator(
        corpus * 5, trainers.UnigramTrainer(vocab_size=300, special_tokens=specials, unk_token="<unk>")
    )
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    tok.decoder = decoders.Metaspace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    torch.manual_seed(seed)
    config = MT5Config(
        vocab_size=len(fast),
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=2,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    MT5ForConditionalGeneration(config).eval().save_pretrained(path)
    fast.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_mt5(tmp_path_factory) -> str:  # type: ignore[no-untyped-def]
    return build_tiny_mt5(str(tmp_path_factory.mktemp("tiny-mt5") / "mt5"))


def file_tree(root) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    """Every file below ``root``: relative path -> bytes."""
    out = {}
    for r, _d, files in os.walk(root):
        for f in files:
            path = os.path.join(r, f)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = fh.read()
    return out


def outputs_across_processes(code: str, *args: str) -> set[str]:
    """stdout of ``python -c code args`` in two processes with different PYTHONHASHSEED and threads."""
    import subprocess
    import sys

    outs = set()
    for seed, threads in (("0", "1"), ("4242", "2")):
        env = dict(os.environ, PYTHONHASHSEED=seed, OMP_NUM_THREADS=threads)
        proc = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True)
        outs.add(proc.stdout)
    return outs


# Small files in the exact official XOR-TyDi formats
XOR_DEV = [
    {"id": "-1001", "question": "フィンランドの通貨は何ですか？", "answers": ["euro", "Euro"], "lang": "ja"},
    {"id": "7200", "question": "Onko Helsinki Suomen pääkaupunki?", "answers": ["yes"], "lang": "fi"},
    {"id": "-3", "question": "Какая валюта в Японии?", "answers": ["yen"], "lang": "ru"},
]
XOR_TEST = [{"id": "t1", "question": "헬싱키는 어느 나라에 있습니까?", "lang": "ko"}]
XOR_CORPUS = (
    "id\ttext\ttitle\n"
    "1\tThe euro is the currency of Finland since 2002.\tFinland\n"
    "2\tThe yen is the currency of Japan.\tJapan\n"
    "10\tHelsinki is the capital of Finland.\tHelsinki\n"
)


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A directory of XOR-TyDi files in the official formats, served through XQG_BENCH_MIRROR."""
    import json

    m = tmp_path / "mirror"
    m.mkdir()
    (m / "xor_dev_retrieve_eng_span_v1_1.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in XOR_DEV)
    )
    (m / "xor_test_retrieve_eng_span_q_only_v1_1.jsonl").write_text(json.dumps(XOR_TEST[0], ensure_ascii=False) + "\n")
    (m / "enwiki_20190201_w100.tsv").write_text(XOR_CORPUS)
    monkeypatch.setenv("XQG_BENCH_MIRROR", str(m))
    monkeypatch.setenv("IR_DATASETS_HOME", str(tmp_path / "home"))
    # these files are in the official format but are not the official files: unpin dev and train
    from xqg_bench.datasets import xor_tydi

    monkeypatch.setattr(xor_tydi, "PINNED", {})
    return m


def assert_same_ranking_up_to_ties(theirs, ours, tol=1e-4):
    """Two rankings of one query agree up to ties: the same scores rank by rank (within ``tol``), the same
    documents within each group of tied scores, and the same score for every document both return.  Hits
    whose scores tie may come in either order, and at the cut-off either of several tied hits may be kept."""
    assert len(theirs) == len(ours)
    import numpy as np

    np.testing.assert_allclose([s for _d, s in theirs], [s for _d, s in ours], atol=tol, rtol=0)
    mine = dict(ours)
    for doc, score in theirs:
        if doc in mine:
            assert abs(score - mine[doc]) <= tol, (doc, score, mine[doc])
    start = 0
    for i in range(1, len(ours) + 1):
        if i == len(ours) or ours[i - 1][1] - ours[i][1] > tol:  # a group of tied scores ends at i
            if i < len(ours):  # the last group may be cut off differently
                assert {d for d, _ in theirs[start:i]} == {d for d, _ in ours[start:i]}, (start, i)
            start = i
