"""Variants of any query set ir_datasets resolves: a dataset registered here under a non-xqg-bench ID (built
from ir_datasets' own formats) runs through the whole pipeline with variants; the sub-corpus's parameterised
IDs take variants; unknown IDs anywhere give the did-you-mean error, never a bare KeyError."""

import json
import os
import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple, Tuple  # noqa: UP035 - ir_datasets' TSV reader recognises typing.Tuple[str, ...]

import ir_datasets
import pytest
from ir_datasets.formats import BaseDocs, GenericDoc, GenericQuery, TrecQrels, TsvQueries
from ir_datasets.indices import Docstore
from ir_datasets.util import LocalDownload
from ir_measures import Qrel

from xqg_bench.datasets import load_dataset
from xqg_bench.experiment.pipeline import RunConfig, load_query_set, run_pipeline

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = "tiny-irds-test"
TYPO = "typo(kind=keyboard,n=1,seed=13)"
SUB = "xqg-bench:xor-tydi-sub(pool=1,seed=0)"

DOCS = [
    ("d1", "The euro is the currency of Finland. Helsinki is its capital."),
    ("d2", "The yen is the currency of Japan. Tokyo is its capital."),
    ("d3", "The ruble is the currency of Russia. Moscow is its capital."),
    ("d4", "The won is the currency of South Korea. Seoul is its capital."),
    ("d5", "Finland borders Sweden, Norway and Russia."),
    ("d6", "Japan is an island country in East Asia."),
]
QUERIES = [  # id, text, lang, answers...
    ("q1", "フィンランドの通貨は何ですか", "ja", "euro"),
    ("q2", "日本の首都はどこですか", "ja", "Tokyo"),
    ("q3", "Какая валюта в России?", "ru", "ruble"),
    ("q4", "Какая столица Японии?", "ru", "Tokyo"),
    ("q5", "한국의 통화는 무엇입니까?", "ko", "won"),
    ("q6", "핀란드의 수도는 어디입니까?", "ko", "Helsinki"),
    ("q7", "Mikä on Suomen valuutta?", "fi", "euro"),
    ("q8", "Mikä on Venäjän pääkaupunki?", "fi", "Moscow"),
]
QRELS = {"q1": "d1", "q2": "d2", "q3": "d3", "q4": "d2", "q5": "d4", "q6": "d1", "q7": "d1", "q8": "d3"}


class TinyQuery(NamedTuple):
    query_id: str
    text: str
    lang: str
    answers: Tuple[str, ...]  # noqa: UP006


class _Store(Docstore):
    def __init__(self, docs: dict[str, GenericDoc]) -> None:
        super().__init__(GenericDoc, "doc_id")
        self._docs = docs

    def get_many_iter(self, doc_ids: Iterable[str]) -> Iterator[GenericDoc]:
        return (self._docs[d] for d in doc_ids if d in self._docs)


class _Docs(BaseDocs):
    def __init__(self) -> None:
        self._docs = {d: GenericDoc(d, t) for d, t in DOCS}

    def docs_iter(self) -> Iterator[GenericDoc]:
        return iter(self._docs.values())

    def docs_count(self) -> int:
        return len(self._docs)

    def docs_cls(self) -> type:
        return GenericDoc

    def docs_store(self, field: str = "doc_id") -> _Store:
        return _Store(self._docs)

    def docs_lang(self) -> str:
        return "en"


@pytest.fixture(scope="module")
def tiny_id(tmp_path_factory) -> str:
    """``tiny-irds-test/dev`` (queries with a lang field, answers and qrels), ``…/ja`` (one language declared by
    the queries handler, qrels only) and ``…/nolang`` (no language at all), from TSV and TREC files."""
    d = tmp_path_factory.mktemp("tiny-irds")
    (d / "queries.tsv").write_text("".join("\t".join(q) + "\n" for q in QUERIES), encoding="utf-8")
    (d / "ja.tsv").write_text("".join(f"{q[0]}\t{q[1]}\n" for q in QUERIES if q[2] == "ja"), encoding="utf-8")
    (d / "qrels.txt").write_text("".join(f"{q} 0 {doc} 1\n" for q, doc in QRELS.items()), encoding="utf-8")
    (d / "ja-qrels.txt").write_text("q1 0 d1 1\nq2 0 d2 1\n", encoding="utf-8")
    if f"{BASE}/dev" not in ir_datasets.registry:  # once per process
        docs, qrels = _Docs(), TrecQrels(LocalDownload(d / "qrels.txt"), {1: "relevant"})
        ir_datasets.registry.register(BASE, ir_datasets.Dataset(docs))
        queries = TsvQueries(LocalDownload(d / "queries.tsv"), query_cls=TinyQuery, namespace=BASE)
        ir_datasets.registry.register(f"{BASE}/dev", ir_datasets.Dataset(docs, queries, qrels))
        ja = TsvQueries(LocalDownload(d / "ja.tsv"), query_cls=GenericQuery, namespace=BASE, lang="ja")
        ja_qrels = TrecQrels(LocalDownload(d / "ja-qrels.txt"), {1: "relevant"})
        ir_datasets.registry.register(f"{BASE}/ja", ir_datasets.Dataset(docs, ja, ja_qrels))
        nolang = TsvQueries(LocalDownload(d / "ja.tsv"), query_cls=GenericQuery, namespace=BASE)
        ir_datasets.registry.register(f"{BASE}/nolang", ir_datasets.Dataset(docs, nolang, ja_qrels))
    return f"{BASE}/dev"


def test_any_registered_query_set_takes_variants(tiny_id):
    base = {q.query_id: q for q in load_dataset(tiny_id).queries_iter()}
    ds = load_dataset(f"{tiny_id}/{TYPO}")
    got = list(ds.queries_iter())
    assert [q.query_id for q in got] == [q[0] for q in QUERIES]
    for q in got:
        b = base[q.query_id]
        assert (q.lang, q.answers, q.original_text) == (b.lang, b.answers, b.text)
        assert q.variant == TYPO and q.text != q.original_text  # exactly one keyboard typo in each
    assert [(r.query_id, r.doc_id) for r in ds.qrels_iter()] == list(QRELS.items())
    assert ds.docs_handler() is load_dataset(tiny_id).docs_handler()  # the base's docs, nothing copied
    # a variant of a variant; the language declared for the whole set (qrels only)
    both = list(load_dataset(f"{tiny_id}/{TYPO}/word(kind=swap,n=1,seed=13)").queries_iter())
    assert [q.original_text for q in both] == [q.text for q in got]
    ja = load_query_set(f"{BASE}/ja/{TYPO}")
    assert {q.lang for q in ja.queries} == {"ja"} and ja.qrels == [Qrel("q1", "d1", 1), Qrel("q2", "d2", 1)]
    assert ja.texts["q1"] != QUERIES[0][1]


def test_a_query_set_without_a_language_is_refused_with_the_fix(tiny_id):
    for dataset_id in (f"{BASE}/nolang", f"{BASE}/nolang/{TYPO}"):
        with pytest.raises(ValueError, match=r"tiny-irds-test/nolang: query q1 has no language .*queries_lang\(\)"):
            load_query_set(dataset_id)


def test_the_whole_pipeline_runs_on_it_with_variants(tiny_id, tiny_models, tmp_path):
    cfg = RunConfig(
        dataset=tiny_id, encoder=f"hf(model={tiny_models['bert']})", output_dir=str(tmp_path), progress=False,
        variants=(TYPO, "romanize(rate=1.0,seed=13)"), seeds=1, samples=200, max_samples=200, budgets=(2, 20),
        measures=("nDCG@10",),
    )  # fmt: skip
    res = run_pipeline(cfg)
    assert set(res.variants) == {TYPO, "romanize(rate=1.0,seed=13)"}
    for sys_res in (*res.systems.values(), *(r for v in res.variants.values() for r in v.values())):
        assert set(sys_res.per_query.query_id) == set(QRELS)
        assert set(sys_res.per_query.measure) == {"R@2t", "R@20t", "nDCG@10"}
    assert set(res.robustness.condition) >= {TYPO}
    run = res.variants[TYPO]["baseline"].run_path
    assert f"{BASE}-dev" in os.path.basename(run) and os.path.getsize(run) > 0


def test_sub_corpus_ids_take_variants(mirror):
    train = {"id": "tr1", "question": "Japanin valuutta?", "answers": ["yen"], "lang": "fi"}
    (mirror / "xor_train_retrieve_eng_span.jsonl").write_text(json.dumps(train) + "\n")
    ds = load_dataset(f"{SUB}/dev/ja/{TYPO}")
    (q,) = list(ds.queries_iter())
    assert q.query_id == "-1001" and q.lang == "ja" and q.original_text == "フィンランドの通貨は何ですか？"
    assert q.text != q.original_text and q.answers == ("euro", "Euro")
    assert [d.doc_id for d in ds.docs_iter()] == ["1", "2", "10"]  # answer passages + a pool of 1, from the mirror


def test_sub_corpus_runs_the_pipeline_with_variants(mirror, tiny_models, tmp_path):
    train = {"id": "tr1", "question": "Japanin valuutta?", "answers": ["yen"], "lang": "fi"}
    (mirror / "xor_train_retrieve_eng_span.jsonl").write_text(json.dumps(train) + "\n")
    cfg = RunConfig(
        dataset=f"{SUB}/dev", encoder=f"hf(model={tiny_models['bert']})", output_dir=str(tmp_path), progress=False,
        variants=(TYPO,), seeds=1, samples=200, max_samples=200,
    )  # fmt: skip
    res = run_pipeline(cfg)
    typo = res.variants[TYPO]
    # 7200's answer is "yes": not scored by R@kt (the official rule), and the sub-corpus has no qrels
    assert set(typo) == {"baseline", "xqg"} and set(typo["baseline"].per_query.query_id) == {"-1001", "-3"}
    assert TYPO in set(res.robustness.condition)


@pytest.mark.parametrize(
    ("dataset_id", "needle"),
    [
        (f"{BASE}/dve/{TYPO}", "unknown dataset 'tiny-irds-test/dve' (did you mean 'tiny-irds-test/dev'"),
        (f"{BASE}/dve", "unknown dataset 'tiny-irds-test/dve' (did you mean 'tiny-irds-test/dev'"),
        (f"{BASE}/dev/tpyo(kind=keyboard,n=1,seed=13)", "unknown variant family 'tpyo' (did you mean 'typo'?)"),
        (f"{BASE}/dev/typo(n=1)", "write the variant canonically as 'typo(kind=keyboard,n=1,seed=13)'"),
        (f"{BASE}/dev/typo(kind=keybord,n=1,seed=13)", "did you mean 'keyboard'"),
        (f"{SUB}/dev/jp/{TYPO}", f"did you mean '{SUB}/dev/ja'"),
        ("xqg-bench:mini/dev/jp", "did you mean 'xqg-bench:mini/dev/ja'"),
        (
            f"xqg-bench:mini/dve/ja/{TYPO}",
            "unknown dataset 'xqg-bench:mini/dve/ja' (did you mean 'xqg-bench:mini/dev/ja",
        ),
        ("tiny-irds-tset", "did you mean 'tiny-irds-test'"),
    ],
)
def test_unknown_ids_anywhere_get_a_did_you_mean(tiny_id, dataset_id, needle):
    with pytest.raises(ValueError) as e:  # a ValueError with the fix, never a bare KeyError
        load_dataset(dataset_id)
    assert needle in str(e.value)


def test_the_registry_is_used_through_its_public_interface():
    for dirpath, _dirs, files in os.walk(os.path.join(ROOT, "xqg_bench")):
        for name in files:
            if name.endswith(".py"):
                text = open(os.path.join(dirpath, name), encoding="utf-8").read()
                assert not re.search(r"registry\._|\._registered|\._patterns", text), os.path.join(dirpath, name)
