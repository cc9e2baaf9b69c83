"""XOR-TyDi loaders on small files in the exact official formats, written here."""

import json
import os

import ir_datasets
import pytest
from conftest import XOR_TEST
from ir_datasets.datasets.dpr_w100 import DprW100Doc

import xqg_bench  # noqa: F401
from xqg_bench.datasets import xor_tydi
from xqg_bench.datasets.records import XorQuery


def test_registered_ids_and_official_urls():
    ids = xor_tydi.dataset_ids()
    assert "xqg-bench:xor-tydi" in ids and "xqg-bench:xor-tydi/dev/te" in ids and len(ids) == 1 + 3 * 8
    assert xor_tydi.RESOURCES["corpus"].url == (
        "https://nlp.cs.washington.edu/xorqa/XORQA_site/data/models/enwiki_20190201_w100.tsv"
    )


def test_queries_corpus_docstore_and_language_subsets_from_the_mirror(mirror):
    dev = list(ir_datasets.load("xqg-bench:xor-tydi/dev").queries_iter())
    assert dev[0] == XorQuery("-1001", "フィンランドの通貨は何ですか？", "ja", ("euro", "Euro"))
    assert [q.query_id for q in ir_datasets.load("xqg-bench:xor-tydi/dev/ru").queries_iter()] == ["-3"]
    test = list(ir_datasets.load("xqg-bench:xor-tydi/test").queries_iter())
    assert test[0].answers == () and test[0].lang == "ko"
    ds = ir_datasets.load("xqg-bench:xor-tydi")
    docs = list(ds.docs_iter())
    assert docs[0] == DprW100Doc("1", "The euro is the currency of Finland since 2002.", "Finland") and len(docs) == 3
    store = ds.docs_store()
    assert store.get("10").title == "Helsinki" and store.get_many(["2", "99"]) == {"2": docs[1]}
    assert ds.docs_count() == 3
    # files were copied from the mirror into the cache, and their md5 recorded
    cached = os.listdir(xor_tydi.data_dir())
    assert "enwiki_20190201_w100.tsv" in cached and "checksums.json" in cached


def test_official_rkt_on_these_files(mirror):
    from xqg_bench.evaluate.rkt import Prediction, evaluate_top_k_hit

    gold = {q.query_id: q.answers for q in ir_datasets.load("xqg-bench:xor-tydi/dev").queries_iter()}
    store = ir_datasets.load("xqg-bench:xor-tydi").docs_store()
    preds = [
        Prediction("-1001", "ja", [store.get("1").text]),
        Prediction("7200", "fi", [store.get("10").text]),  # yes/no only: not counted
        Prediction("-3", "ru", [store.get("1").text, store.get("2").text]),
    ]
    res = evaluate_top_k_hit(preds, gold, 2000)
    assert set(res) == {"ja", "ru"} and res["ja"].hits == 1 and res["ru"].hits == 1


@pytest.mark.parametrize("damage", ["corrupt", "truncated", "wrong-checksum", "missing"])
def test_bad_files_give_clear_errors_and_leave_nothing_cached(mirror, damage, monkeypatch):
    name = "xor_dev_retrieve_eng_span_v1_1.jsonl"
    path = mirror / name
    if damage == "missing":
        path.unlink()
        with pytest.raises(FileNotFoundError, match="has no xor_dev_retrieve_eng_span_v1_1.jsonl"):
            list(ir_datasets.load("xqg-bench:xor-tydi/dev").queries_iter())
        assert not os.path.exists(os.path.join(xor_tydi.data_dir(), name))
        return
    if damage == "wrong-checksum":
        monkeypatch.setitem(xor_tydi.PINNED, name, xor_tydi.Pin("0" * 32))
        with pytest.raises(ValueError, match="does not match the pinned official md5 0{32}"):
            xor_tydi.fetch("dev")
    else:
        text = path.read_text()
        path.write_text(text[:40] if damage == "truncated" else text.replace('"lang": "ja"', '"lang": "xx"'))
        with pytest.raises(ValueError, match=rf"{name}, line 1"):
            list(ir_datasets.load("xqg-bench:xor-tydi/dev").queries_iter())
    # no partial file under the final name, no temp file left behind
    left = os.listdir(xor_tydi.data_dir()) if os.path.isdir(xor_tydi.data_dir()) else []
    assert not any(f.endswith(".tmp") for f in left)
    if damage == "wrong-checksum":
        assert name not in left


def test_recorded_checksum_is_enforced_afterwards(mirror):
    xor_tydi.fetch("test")
    name = "xor_test_retrieve_eng_span_q_only_v1_1.jsonl"
    recorded = json.load(open(os.path.join(xor_tydi.data_dir(), "checksums.json")))
    assert len(recorded[name]) == 32
    os.remove(os.path.join(xor_tydi.data_dir(), name))
    (mirror / name).write_text(json.dumps({**XOR_TEST[0], "id": "t2"}) + "\n")  # a different file now
    with pytest.raises(ValueError, match="does not match"):
        xor_tydi.fetch("test")


def test_variants_apply_to_xor_tydi_query_sets(mirror):
    ds = ir_datasets.load("xqg-bench:xor-tydi/dev/ja/typo(kind=keyboard,n=1,seed=13)")
    q = next(ds.queries_iter())
    assert (
        q.original_text == "フィンランドの通貨は何ですか？"
        and q.text != q.original_text
        and q.answers == ("euro", "Euro")
    )
    assert ds.docs_handler() is ir_datasets.load("xqg-bench:xor-tydi").docs_handler()


def test_topics_file_for_a_variant(tmp_path):
    from xqg_bench.run import main

    out = tmp_path / "t.tsv"
    assert main(["topics", "xqg-bench:mini/dev/ko/typo(kind=keyboard,n=1,seed=13)", "--output", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 60 and all(len(line.split("\t")) == 2 for line in lines)
    assert lines[0].startswith("mini-dev-ko-0000\t")
    assert main(["topics", "xqg-bench:nope/dev", "--output", str(tmp_path / "x.tsv")]) == 2
    assert not (tmp_path / "x.tsv").exists()


def test_derive_qrels_and_prediction_round_trip(mirror, tmp_path, capsys):
    from xqg_bench.run import main

    run = tmp_path / "run.trec"
    run.write_text(
        "-1001 Q0 1 1 0.9 sys\n-1001 Q0 2 2 0.5 sys\n-3 Q0 1 1 0.9 sys\n-3 Q0 2 2 0.8 sys\n7200 Q0 10 1 0.9 sys\n"
    )
    out = tmp_path / "derived.qrels"
    assert (
        main(["derive-qrels", str(run), "--dataset", "xqg-bench:xor-tydi/dev", "--depth", "2", "--output", str(out)])
        == 0
    )
    assert out.read_text().splitlines() == ["-1001 0 1 1", "-1001 0 2 0", "-3 0 1 0", "-3 0 2 1"]  # 7200: yes/no
    prov = json.load(open(str(out) + ".json"))
    assert prov["depth"] == 2 and prov["relevant"] == 2 and "nltk.word_tokenize" in prov["rule"]
    preds = tmp_path / "preds.json"
    assert (
        main(["predictions", "--from-run", str(run), "--dataset", "xqg-bench:xor-tydi/dev", "--output", str(preds)])
        == 0
    )
    items = json.load(open(preds))
    assert items[0] == {"id": "-1001", "lang": "ja", "ctxs": [
        "The euro is the currency of Finland since 2002.", "The yen is the currency of Japan."]}  # fmt: skip
    capsys.readouterr()
    assert (
        main(["predictions", "--score", str(preds), "--dataset", "xqg-bench:xor-tydi/dev", "--budgets", "5,2000"]) == 0
    )
    out_text = capsys.readouterr().out
    assert "R@5t: macro 50.00 | ja 100.00 (1), ru 0.00 (1)" in out_text
    assert "R@2kt: macro 100.00 | ja 100.00 (1), ru 100.00 (1)" in out_text


def test_sub_corpus_is_reproducible_and_labelled(mirror, tmp_path):
    train = [{"id": "tr1", "question": "Japanin valuutta?", "answers": ["yen"], "lang": "fi"}]
    (mirror / "xor_train_retrieve_eng_span.jsonl").write_text(json.dumps(train[0]) + "\n")
    ds = ir_datasets.load("xqg-bench:xor-tydi-sub(pool=0,seed=13)")
    assert [d.doc_id for d in ds.docs_iter()] == ["1", "2"]  # the answer-containing passages only
    manifest = ds.docs_handler().manifest()
    assert manifest["approximation"] is True and manifest["answer_passages"] == 2 and len(manifest["sha256"]) == 64
    bigger = ir_datasets.load("xqg-bench:xor-tydi-sub(pool=1,seed=13)")
    assert [d.doc_id for d in bigger.docs_iter()] == ["1", "2", "10"] and bigger.docs_store().get(
        "10"
    ).title == "Helsinki"
    dev = ir_datasets.load("xqg-bench:xor-tydi-sub(pool=1,seed=13)/dev/ja")
    assert [q.query_id for q in dev.queries_iter()] == ["-1001"] and dev.docs_count() == 3


def test_full_pipeline_streams_the_xor_tydi_corpus(mirror, tiny_models, tmp_path):
    """The whole pipeline on XOR-TyDi files (official formats): the corpus is sliced shard by shard
    through byte offsets and fingerprinted by its md5, never loaded as a list."""
    from xqg_bench.experiment.pipeline import RunConfig, load_query_set, run_pipeline
    from xqg_bench.xqg.system import XqgConfig

    qs = load_query_set("xqg-bench:xor-tydi/dev")
    assert qs.docs.streams and len(qs.docs) == 3 and qs.docs[1:3][0].doc_id == "2"
    assert qs.docs.fingerprint().startswith("md5:") and qs.docs._all is None  # nothing materialised
    cfg = RunConfig(
        dataset="xqg-bench:xor-tydi/dev",
        encoder=f"hf(model={tiny_models['bert']})",
        output_dir=str(tmp_path / "out"),
        depth=3,
        shard_size=2,
        xqg=XqgConfig(generator="cldr", langs=("ja", "ru"), n=2),
        variants=("typo(kind=keyboard,n=1,seed=13)",),
        samples=200,
        progress=False,
    )
    res = run_pipeline(cfg)
    table = res.systems["baseline"].table
    assert set(table.index) == {"ja", "ru", "avg"}  # fi's question is yes/no only: not counted
    assert list(table.columns[:3]) == ["n", "R@200t", "R@500t"] and "nDCG@10" not in table.columns  # no qrels
    draws = {f"typo(kind=keyboard,n=1,seed={s})" for s in (13, 14, 15)}  # --seeds 3: averaged per question
    assert set(res.variants) == draws and os.path.exists(res.files["leaderboard.md"])


def test_pin_checksums_command(mirror, tmp_path, monkeypatch, capsys):
    from xqg_bench.run import main

    pinned_file = tmp_path / "pinned.json"
    monkeypatch.setattr(xor_tydi, "PINNED_FILE", str(pinned_file))
    monkeypatch.setattr(xor_tydi, "PINNED", {})
    xor_tydi.fetch("dev")
    assert main(["datasets", "--pin-checksums"]) == 0
    pinned = json.load(open(pinned_file))
    assert list(pinned) == ["xor_dev_retrieve_eng_span_v1_1.jsonl"] and len(pinned[list(pinned)[0]]["md5"]) == 32
    capsys.readouterr()
    assert main(["datasets", "--checksums"]) == 0
    assert "xor_dev_retrieve_eng_span_v1_1.jsonl\t" + pinned["xor_dev_retrieve_eng_span_v1_1.jsonl"][
        "md5"
    ] + "\tpinned" in (capsys.readouterr().out)


# the real official files, outside the repository (not redistributed): ../shared/data/xor-tydi by default
REAL = os.environ.get(
    "XQG_BENCH_REAL_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "xor-tydi")
)
REAL_TRAIN = os.path.join(REAL, "xor_train_retrieve_eng_span.jsonl")


def test_official_dev_and_train_files_are_pinned_by_size_and_md5():
    assert xor_tydi.PINNED["xor_dev_retrieve_eng_span_v1_1.jsonl"] == xor_tydi.Pin(
        "44ec87b50dd375ce1dca7f963fc5d70b", 426_987
    )
    assert xor_tydi.PINNED["xor_train_retrieve_eng_span.jsonl"] == xor_tydi.Pin(
        "acaeec0d646a7c4e72b790c94ed03a16", 2_912_848
    )


@pytest.mark.parametrize("split", ["dev", "train"])
def test_a_wrong_official_file_is_refused_naming_both_md5s_and_nothing_is_cached(tmp_path, monkeypatch, split):
    m = tmp_path / "mirror"
    m.mkdir()
    res = xor_tydi.RESOURCES[split]
    (m / res.name).write_text(json.dumps({"id": "1", "question": "Mikä?", "answers": ["x"], "lang": "fi"}) + "\n")
    monkeypatch.setenv("XQG_BENCH_MIRROR", str(m))
    monkeypatch.setenv("IR_DATASETS_HOME", str(tmp_path / "home"))
    got = __import__("hashlib").md5((m / res.name).read_bytes()).hexdigest()
    with pytest.raises(ValueError, match=rf"md5 {got}.*pinned official md5 {xor_tydi.PINNED[res.name].md5}"):
        list(ir_datasets.load(f"xqg-bench:xor-tydi/{split}").queries_iter())
    left = os.listdir(xor_tydi.data_dir()) if os.path.isdir(xor_tydi.data_dir()) else []
    assert res.name not in left and "checksums.json" not in left and not any(f.endswith(".tmp") for f in left)


def test_an_unpinned_file_is_announced_with_its_md5(mirror, capsys):
    xor_tydi.fetch("test")
    err = capsys.readouterr().err
    assert "NOTICE: xor_test_retrieve_eng_span_q_only_v1_1.jsonl has no pinned official checksum" in err
    recorded = json.load(open(os.path.join(xor_tydi.data_dir(), "checksums.json")))
    assert recorded["xor_test_retrieve_eng_span_q_only_v1_1.jsonl"] in err


@pytest.mark.skipif(not os.path.exists(REAL_TRAIN), reason="the real train file is not beside this checkout")
def test_the_real_train_file_loads_with_its_official_counts(tmp_path, monkeypatch, capsys):
    from collections import Counter

    monkeypatch.setenv("XQG_BENCH_MIRROR", REAL)
    monkeypatch.setenv("IR_DATASETS_HOME", str(tmp_path / "home"))
    qs = list(ir_datasets.load("xqg-bench:xor-tydi/train").queries_iter())
    assert len(qs) == 15_250
    assert Counter(q.lang for q in qs) == {
        "bn": 2582,
        "ar": 2574,
        "ko": 2469,
        "ja": 2288,
        "fi": 2088,
        "ru": 1941,
        "te": 1308,
    }
    assert qs[0] == XorQuery(
        "-2745676532874802308", "উইকিলিকস কত সালে সর্বপ্রথম ইন্টারনেটে প্রথম তথ্য প্রদর্শন করে ?", "bn", ("2006",)
    )
    assert qs[-1] == XorQuery("-107019484199702154", "మా పసలపూడి కథలు పుస్తకమును ఎవరు రచించారు?", "te", ("Vamsy",))
    assert "2,574 records had a language code with surrounding whitespace" in capsys.readouterr().err
    ar = list(ir_datasets.load("xqg-bench:xor-tydi/train/ar").queries_iter())
    assert len(ar) == 2574 and all(q.lang == "ar" for q in ar)
    typo = list(ir_datasets.load("xqg-bench:xor-tydi/train/ar/typo(kind=keyboard,n=1,seed=13)").queries_iter())
    assert len(typo) == 2574 and sum(q.text != q.original_text for q in typo) > 2500


def test_library_functions_behind_derive_qrels_topics_and_predictions(mirror, tmp_path):
    from xqg_bench.evaluate.predictions import render_scores, score_predictions
    from xqg_bench.evaluate.qrels import derive_qrels
    from xqg_bench.experiment.scoring import run_predictions
    from xqg_bench.retrieval.encoded_queries import write_topics

    dev = "xqg-bench:xor-tydi/dev"
    run = tmp_path / "run.trec"
    run.write_text("-1001 Q0 1 1 0.9 sys\n-1001 Q0 2 2 0.5 sys\n-3 Q0 1 1 0.9 sys\n-3 Q0 2 2 0.8 sys\n")
    with pytest.raises(ValueError, match="run file .*missing.trec does not exist"):
        derive_qrels([str(tmp_path / "missing.trec")], dev, 2, str(tmp_path / "q.qrels"))
    with pytest.raises(ValueError, match="is the input"):
        derive_qrels([str(run)], dev, 2, str(run))
    assert derive_qrels([str(run)], dev, 1, str(tmp_path / "q.qrels"))["judged"] == 2
    preds = tmp_path / "preds.json.gz"
    assert run_predictions(str(run), dev, str(preds)) == str(preds)
    scores = score_predictions(str(preds), dev, (5, 2000))
    assert {n: {lang: s.count for lang, s in per.items()} for n, per in scores.items()} == {
        5: {"ja": 1, "ru": 1}, 2000: {"ja": 1, "ru": 1}}  # fmt: skip
    assert render_scores(scores) == [
        "R@5t: macro 50.00 | ja 100.00 (1), ru 0.00 (1)",
        "R@2kt: macro 100.00 | ja 100.00 (1), ru 100.00 (1)",
    ]
    topics = write_topics(dev, str(tmp_path / "t.tsv"))
    assert topics.encoded is None and topics.queries == len((tmp_path / "t.tsv").read_text().splitlines()) > 0


def test_checksum_lines_name_every_file_and_its_state(mirror):
    lines = xor_tydi.checksum_lines()
    assert len(lines) == len(xor_tydi.RESOURCES)
    for line, res in zip(lines, xor_tydi.RESOURCES.values(), strict=True):
        name, md5, state, url = line.split("\t")
        assert (name, url) == (res.name, res.url) and state in ("pinned", "recorded", "unknown")
        assert (md5 == "-") == (state == "unknown")
