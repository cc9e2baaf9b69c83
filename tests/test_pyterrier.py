"""PyTerrier: the dataset provider entry point (no `import xqg_bench`), and the harness's systems, perturbations
and R@kt as PyTerrier transformers and measures whose pt.Experiment means equal the harness's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pytest

pt = pytest.importorskip("pyterrier")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATASET = "xqg-bench:mini/dev/ja"
VARIANT = "typo(kind=keyboard,n=1,seed=13)"


def _dist_info_with_our_entry_points(tmp_path) -> str:
    """A dist-info holding the entry points pyproject.toml declares (what `pip install` writes), so the
    entry point is tested as declared without reinstalling the package."""
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        groups = tomllib.load(f)["project"]["entry-points"]
    info = tmp_path / "site" / "xqg_bench_entry_points-0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: xqg-bench-entry-points\nVersion: 0\n")
    text = "".join(f"[{g}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n" for g, eps in groups.items())
    (info / "entry_points.txt").write_text(text)
    return str(tmp_path / "site")


def test_dataset_provider_entry_point_without_importing_the_package(tmp_path):
    code = (
        "import json, sys\n"
        "import pyterrier as pt\n"
        "before = 'xqg_bench' in sys.modules\n"
        f"ds = pt.get_dataset('{DATASET}')\n"
        "topics, qrels = ds.get_topics(), ds.get_qrels()\n"
        "try:\n"
        "    pt.get_dataset('xqg-bench:mini/dev/jp')\n"
        "    err = ''\n"
        "except KeyError as e:\n"
        "    err = repr(e.__cause__ or e)\n"
        "print(json.dumps({'before': before, 'cols': list(topics.columns), 'n': len(topics),"
        " 'langs': sorted(set(topics.lang)), 'first': topics.iloc[0].tolist(), 'qrels': list(qrels.columns),"
        " 'nq': len(qrels), 'err': err}))\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([_dist_info_with_our_entry_points(tmp_path), ROOT]))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["before"] is False  # nothing imported the package: the entry point did
    assert got["cols"] == ["qid", "query", "lang"] and got["n"] == 60 and got["langs"] == ["ja"]
    assert got["first"][0] == "mini-dev-ja-0000" and got["first"][1].endswith("？")
    assert got["qrels"][:3] == ["qid", "docno", "label"] and got["nq"] == 60
    assert "did you mean 'xqg-bench:mini/dev/ja'" in got["err"]
    assert "There are multiple query fields" not in proc.stdout


def _tie_free_tiny_model(path: str) -> str:
    """A tiny random BERT whose WordPiece vocabulary comes from the mini benchmark's own passages and
    questions: few [UNK]s, so (unlike the shared tiny models) passages rarely share a vector and scores
    rarely tie.  Exact ties would be ranked by docno descending by trec_eval, ascending by the harness.
    The vocabulary is chosen deterministically (every character, as a word start and as a ``##``
    continuation, then the most frequent words; ties by the string): a trained WordPiece vocabulary
    (``tokenizers``' trainer) differs from run to run, and so would the scores and their ties."""
    from collections import Counter

    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    from xqg_bench.datasets.mini_build import build_mini

    mini = build_mini()
    texts = [d.default_text() for d in mini.docs] + [q.text for q in mini.dev] + [q.text for q in mini.train]
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    norm, pre = normalizers.NFC(), pre_tokenizers.BertPreTokenizer()
    words = Counter(w for t in texts for w, _span in pre.pre_tokenize_str(norm.normalize_str(t)))
    chars = Counter()
    for w, n in words.items():
        for c in w:
            chars[c] += n
    by_count = sorted(chars, key=lambda c: (-chars[c], c))
    vocab = [*specials, *by_count, *(f"##{c}" for c in by_count)]
    vocab += [w for w in sorted(words, key=lambda w: (-words[w], w)) if len(w) > 1][: max(0, 3000 - len(vocab))]
    tok = Tokenizer(models.WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer = norm
    tok.pre_tokenizer = pre
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]",
        mask_token="[MASK]",
    )  # fmt: skip
    torch.manual_seed(0)
    config = BertConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=160, vocab_size=len(fast), pad_token_id=fast.pad_token_id,
    )  # fmt: skip
    BertModel(config).eval().save_pretrained(path)
    fast.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    from xqg_bench.experiment.pipeline import RunConfig, run_pipeline
    from xqg_bench.xqg.augment import AugmentConfig
    from xqg_bench.xqg.system import XqgConfig

    out = tmp_path_factory.mktemp("out")
    model = _tie_free_tiny_model(str(tmp_path_factory.mktemp("model") / "bert"))
    xqg = XqgConfig(langs=("ja",), n=2, augment=AugmentConfig(alpha=0.5))  # the tiny model needs a big alpha
    cfg = RunConfig(
        dataset=DATASET, encoder=f"hf(model={model},pooling=mean)", output_dir=str(out), progress=False, xqg=xqg,
        variants=(VARIANT,), samples=100, budgets=(200, 2000), measures=("nDCG@10", "RR@10"),
    )  # fmt: skip
    return run_pipeline(cfg), cfg


def test_experiment_means_equal_the_harness(harness):
    from pyterrier.measures import RR, nDCG

    from xqg_bench.pyterrier import XqgDataset, perturb, rkt_measure, system

    res, cfg = harness
    ds = XqgDataset(DATASET)
    opts = dict(encoder=cfg.encoder, dataset=DATASET, output_dir=cfg.output_dir, xqg=cfg.xqg)
    base, xqg = system("baseline", **opts), system("xqg", **opts)
    typo = perturb(VARIANT)
    measures = [nDCG @ 10, RR @ 10, rkt_measure(200, DATASET), rkt_measure(2000, DATASET)]
    for p in (base, xqg, typo >> base, typo >> xqg):  # the precondition of comparing with trec_eval's tie rule
        run = p(ds.get_topics())
        assert not run[run["rank"] < 10].duplicated(["qid", "score"]).any(), f"exact score ties in {p}"
    got = pt.Experiment(
        [base, xqg, typo >> base, typo >> xqg], ds.get_topics(), ds.get_qrels(), eval_metrics=measures,
        names=["baseline", "xqg", "baseline typo", "xqg typo"],
    ).set_index("name")  # fmt: skip
    want = {
        "baseline": res.systems["baseline"], "xqg": res.systems["xqg"],
        "baseline typo": res.variants[VARIANT]["baseline"], "xqg typo": res.variants[VARIANT]["xqg"],
    }  # fmt: skip
    for name, sys_res in want.items():
        pq = sys_res.per_query
        for col, measure, scale in [("nDCG@10", "nDCG@10", 1), ("RR@10", "RR@10", 1), ("R@200t", "R@200t", 100),
                                    ("R@2kt", "R@2kt", 100)]:  # fmt: skip
            ours = pq[pq.measure == measure].value.mean() / scale
            assert got.loc[name, col] == pytest.approx(ours, abs=1e-9), (name, measure)
    # not vacuous: +xQG ranks differently, and the typo pipelines search perturbed queries (the tiny model's
    # tokenizer maps most Japanese characters to [UNK], so its rankings barely change)
    topics = ds.get_topics()
    assert tuple(base(topics).docno) != tuple(xqg(topics).docno)
    searched = (typo >> base)(topics).drop_duplicates("qid")
    assert (searched["query"] != searched["query_0"]).sum() >= 50


def test_perturb_and_retriever_frames(harness):
    from xqg_bench.datasets import load_dataset
    from xqg_bench.evaluate.runs import read_trec_run
    from xqg_bench.pyterrier import XqgDataset, perturb, system

    res, cfg = harness
    topics = XqgDataset(DATASET).get_topics()
    rewritten = perturb(VARIANT)(topics)
    variant = {q.query_id: q.text for q in load_dataset(f"{DATASET}/{VARIANT}").queries_iter()}
    assert rewritten["query"].tolist() == [variant[q] for q in rewritten.qid]
    assert rewritten.query_0.tolist() == topics["query"].tolist() and rewritten.lang.tolist() == topics.lang.tolist()
    run = system("baseline", encoder=cfg.encoder, dataset=DATASET, output_dir=cfg.output_dir)(topics)
    assert list(run.columns) == ["qid", "query", "lang", "docno", "score", "rank"]
    ours = read_trec_run(res.systems["baseline"].run_path)  # same index, same vectors: the same run
    for qid, group in run.groupby("qid"):
        assert group["rank"].tolist() == list(range(len(group)))
        assert [(d, round(s, 6)) for d, s in zip(group.docno, group.score, strict=True)] == [
            (d, round(s, 6)) for d, s in ours[qid]
        ]
    with pytest.raises(ValueError, match="needs the columns"):
        perturb(VARIANT)(topics.drop(columns=["lang"]))
