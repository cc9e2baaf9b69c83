"""The embedded benchmark: pinned counts, records and fingerprint; ir_datasets access."""

import collections
import os

import ir_datasets
import pytest
from ir_datasets.datasets.dpr_w100 import DprW100Doc

import xqg_bench  # noqa: F401  (registers datasets)
from xqg_bench.datasets.mini import dataset_ids
from xqg_bench.datasets.mini_build import MAX_WORDS, MIN_WORDS, XOR_LANGS, build_mini
from xqg_bench.datasets.records import XorQuery
from xqg_bench.evaluate.qrels import SHIPPED, qrels_filename
from xqg_bench.evaluate.tokenize import word_tokenize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FINGERPRINT = "31b48beadba4737686d58c6604dd3f3b7478659aee767aa55df4e0f957d042e1"


@pytest.fixture(scope="module")
def mini():
    return build_mini()


def test_counts_and_fingerprint_are_pinned(mini):
    assert (len(mini.docs), len(mini.dev), len(mini.train)) == (909, 420, 1400)
    assert mini.fingerprint == FINGERPRINT


def test_first_and_last_records_are_pinned():
    docs = ir_datasets.load("xqg-bench:mini")
    first = next(docs.docs_iter())
    assert first.doc_id == "AC-money" and first.title == "Economy of Ascension Island"
    assert first.text.startswith(
        "The official currency of Ascension Island is the St. Helena Pound (ISO 4217 code SHP)."
    )
    *_, last = docs.docs_iter()
    assert last.doc_id == "currency-ZWG" and last.title == "Zimbabwean Gold"
    dev = list(ir_datasets.load("xqg-bench:mini/dev").queries_iter())
    assert dev[0] == XorQuery("mini-dev-ar-0000", "في أي دولة تقع مدينة أروجوانيا؟", "ar", ("Brazil",), "city_country")
    assert dev[-1] == XorQuery(
        "mini-dev-te-0059", "తుర్క్\u200cమెనిస్థాని మనాట్ ఏ దేశపు కరెన్సీ?", "te", ("Turkmenistan",), "currency_country"
    )
    train = list(ir_datasets.load("xqg-bench:mini/train").queries_iter())
    assert train[0].query_id == "mini-train-ar-0000" and train[0].answers == ("Antarctica",)
    assert train[-1].query_id == "mini-train-te-0199" and train[-1].answers == ("Uzbekistan",)


def test_size_and_language_requirements(mini):
    assert len(mini.docs) >= 500
    per_lang = collections.Counter(q.lang for q in mini.dev)
    assert set(per_lang) == set(XOR_LANGS) and min(per_lang.values()) >= 40
    for d in mini.docs:
        assert MIN_WORDS <= len(d.text.split()) <= MAX_WORDS, d.doc_id
    assert len({d.doc_id for d in mini.docs}) == len(mini.docs)


def test_no_duplicate_questions_and_no_dev_train_overlap(mini):
    texts = [(q.lang, q.text) for q in mini.dev + mini.train]
    assert len(texts) == len(set(texts))
    assert len({q.query_id for q in mini.dev + mini.train}) == len(mini.dev) + len(mini.train)


def test_every_answer_occurs_in_a_gold_passage_after_official_tokenisation(mini):
    by_id = {d.doc_id: d for d in mini.docs}
    for q in mini.dev + mini.train:
        gold = mini.gold[q.query_id]
        assert gold and q.answers
        joined = [" ".join(word_tokenize(by_id[g].text)) for g in gold]
        for a in q.answers:
            assert any(a in j for j in joined), (q.query_id, a)


def test_questions_use_localised_names_not_english(mini):
    # non-Latin languages: almost no Latin letters (CLDR keeps some, e.g. "CFA" in franc names)
    non_fi = [q for q in mini.dev + mini.train if q.lang != "fi"]
    latin = [q for q in non_fi if any("a" <= c.lower() <= "z" for c in q.text)]
    assert len(latin) <= 0.01 * len(non_fi)
    for q in mini.dev + mini.train:
        assert not any(a in q.text for a in q.answers), q  # the question never gives its answer away


def test_all_ids_load_with_docs_queries_qrels_and_docs_store():
    for ds_id in dataset_ids():
        ds = ir_datasets.load(ds_id)
        assert ds.docs_count() == 909 and ds.docs_cls() is DprW100Doc
        assert ds.docs_store().get("FI-money").title == "Economy of Finland"
        if ds_id == "xqg-bench:mini":
            assert not ds.has_queries()
            continue
        queries = list(ds.queries_iter())
        qrels = list(ds.qrels_iter())
        assert queries and {r.query_id for r in qrels} == {q.query_id for q in queries}
        lang = ds_id.rsplit("/", 1)[-1]
        if lang in XOR_LANGS:
            assert {q.lang for q in queries} == {lang} and ds.queries_lang() == lang


def test_committed_qrels_match_the_dataset():
    for ds_id in SHIPPED:
        with open(os.path.join(ROOT, "qrels", qrels_filename(ds_id)), encoding="utf-8") as f:
            lines = f.read().splitlines()
        want = [f"{r.query_id} {r.iteration} {r.doc_id} {r.relevance}" for r in ir_datasets.load(ds_id).qrels_iter()]
        assert lines == want, f"qrels/{qrels_filename(ds_id)} is stale: run `python -m xqg_bench.run export-qrels`"


def test_build_is_deterministic_across_processes():
    import subprocess
    import sys

    code = "from xqg_bench.datasets.mini_build import build_mini; print(build_mini().fingerprint)"
    outs = set()
    for seed in ("0", "123"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outs.add(
            subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
        )
    assert outs == {FINGERPRINT + "\n"}
