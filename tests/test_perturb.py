"""Perturbations: golden fixtures per language, properties on random text in each script,
determinism across processes, canonical strings, and ir_datasets registration."""

import json
import os
import unicodedata

import ir_datasets
import pytest
from conftest import outputs_across_processes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xqg_bench  # noqa: F401
from xqg_bench.perturb.families import FAMILIES, Typo, parse_variant
from xqg_bench.perturb.keyboards import LAYOUTS, neighbours
from xqg_bench.perturb.registry import DEFAULT_VARIANTS, variant_ids
from xqg_bench.perturb.report import is_invalid, validity
from xqg_bench.perturb.text import graphemes, hangul_compose, hangul_decompose

GOLDEN = json.load(open(os.path.join(os.path.dirname(__file__), "fixtures", "perturb_golden.json"), encoding="utf-8"))


@pytest.mark.parametrize("case", GOLDEN, ids=lambda c: f"{c['lang']}-{c['variant']}")
def test_golden(case):
    p = parse_variant(case["variant"])
    assert p.apply(case["input"], case["lang"], case["query_id"]) == case["output"]
    assert not is_invalid(case["output"], case["lang"], case["input"])


def test_golden_covers_every_language_and_family():
    assert {c["lang"] for c in GOLDEN} == {"ar", "bn", "fi", "ja", "ko", "ru", "te"}
    assert {parse_variant(c["variant"]).name for c in GOLDEN} == set(FAMILIES)


# random text in each script: letters (and marks) of the layout, spaces and punctuation
SCRIPT_TEXT = {
    lang: st.lists(
        st.sampled_from([k for row in LAYOUTS[lang] for k in row] + [" ", " ", "?"]), min_size=1, max_size=30
    ).map("".join)
    for lang in ("ar", "bn", "fi", "ja", "ru", "te", "en")
}
SCRIPT_TEXT["ko"] = st.lists(
    st.one_of(st.integers(0xAC00, 0xD7A3).map(chr), st.just(" ")), min_size=1, max_size=20
).map("".join)
VARIANTS = [parse_variant(v) for v in DEFAULT_VARIANTS] + [Typo("keyboard", 5, 3), Typo("substitute", 3, 1)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_outputs_are_valid_and_deterministic(data):
    lang = data.draw(st.sampled_from(sorted(SCRIPT_TEXT)))
    text = data.draw(SCRIPT_TEXT[lang])
    if not any(unicodedata.category(c).startswith("L") for c in text):
        text = "a" + text if lang in ("fi", "en") else text + "ー" if lang == "ja" else text
    variant = data.draw(st.sampled_from(VARIANTS))
    qid = data.draw(st.text(min_size=1, max_size=8))
    if not variant.applicable(lang):
        return
    out = variant.apply(text, lang, qid)
    assert out == variant.apply(text, lang, qid)
    if text.strip() and any(unicodedata.category(c).startswith("L") for c in graphemes(text)[0] + text):
        # never a detached mark, never invalid Hangul; empty only if the input had no letters
        from xqg_bench.perturb.text import broken_clusters, invalid_hangul

        assert not broken_clusters(out) or broken_clusters(text)
        assert not invalid_hangul(out)
        assert out.strip() or not text.strip()


@given(st.sampled_from(DEFAULT_VARIANTS))
def test_canonical_strings_round_trip(v):
    p = parse_variant(v)
    assert p.spec == v and parse_variant(p.spec) == p and str(p) == v


@pytest.mark.parametrize(
    "bad, msg",
    [
        ("tpyo(kind=keyboard)", "did you mean 'typo'"),
        ("typo(kind=fat-finger)", "typo kind must be"),
        ("typo(n=0)", "1..10"),
        ("typo(colour=red)", "unknown typo option"),
        ("script(kind=alef,rate=2)", "rate must be"),
        ("word(kind=drop,n=x)", "n must be an integer"),
    ],
)
def test_bad_variant_strings(bad, msg):
    with pytest.raises(ValueError, match=msg):
        parse_variant(bad)


def test_hangul_jamo_round_trip_and_dubeolsik_typos_recompose():
    assert hangul_decompose("헬") == ("ㅎ", "ㅔ", "ㄹ") and hangul_compose("ㅎ", "ㅔ", "ㄹ") == "헬"
    assert hangul_compose("ㅏ", "ㅎ") is None
    out = Typo("keyboard", 3, 1).apply("헬싱키", "ko", "q")
    assert out != "헬싱키" and all(0xAC00 <= ord(c) <= 0xD7A3 for c in out)
    assert "ㅈ" in neighbours("ko")["ㅇ"]


def test_indic_clusters_are_never_split():
    text = "ক্ষেত্র হেলসিঙ্কি"
    for seed in range(30):
        for kind in Typo.KINDS:
            out = Typo(kind, 2, seed).apply(text, "bn", "q")
            assert not is_invalid(out, "bn", text), (kind, seed, out)


def test_determinism_across_processes_with_different_hash_seeds():
    code = (
        "import xqg_bench, ir_datasets, json; "
        "print(json.dumps([q.text for v in ['typo(kind=keyboard,n=2,seed=13)', 'word(kind=swap,n=1,seed=13)', "
        "'codemix(rate=1.0,seed=13)'] for q in ir_datasets.load('xqg-bench:mini/dev/' + v).queries_iter()]))"
    )
    assert len(outputs_across_processes(code)) == 1


def test_randomness_depends_on_query_id_not_order():
    ds = ir_datasets.load("xqg-bench:mini/dev/typo(kind=insert,n=1,seed=13)")
    queries = list(ds.queries_iter())
    v = parse_variant("typo(kind=insert,n=1,seed=13)")
    for q in reversed(queries[:50]):
        assert v.apply(q.original_text, q.lang, q.query_id) == q.text


def test_every_listed_id_loads_with_inherited_docs_and_qrels():
    bases = ["xqg-bench:mini/dev"] + [f"xqg-bench:mini/dev/{lg}" for lg in ("ar", "bn", "fi", "ja", "ko", "ru", "te")]
    ids = variant_ids(bases)
    assert len(ids) > 100
    docs = ir_datasets.load("xqg-bench:mini").docs_handler()
    for ds_id in ids:
        ds = ir_datasets.load(ds_id)
        base = ir_datasets.load(ds_id.rsplit("/", 1)[0] if "(" in ds_id.rsplit("/", 1)[1] else ds_id)
        assert ds.docs_handler() is docs  # inherited, not copied
        assert ds.qrels_handler() is base.qrels_handler()
        q = next(ds.queries_iter())
        assert q.variant == ds_id.rsplit("/", 1)[1] and q.original_text


def test_perturb_cli_list_show_and_report(capsys):
    from xqg_bench.run import main

    assert main(["perturb", "--list"]) == 0
    listed = capsys.readouterr().out.split("\n")
    assert "xqg-bench:mini/dev/ja/script(kind=kana,rate=1.0,seed=13)" in listed
    assert "xqg-bench:mini/dev/fi/romanize(rate=1.0,seed=13)" not in listed  # not applicable to Latin script
    assert main(["perturb", "--show", "xqg-bench:mini/dev/ar/script(kind=alef,rate=1.0,seed=13)"]) == 0
    assert "perturbed:" in capsys.readouterr().out
    assert main(["perturb", "--report", "xqg-bench:mini/dev/te/typo(kind=keyboard,n=2,seed=13)"]) == 0
    assert "| te | 60 | 60 | 60 |" in capsys.readouterr().out
    [v] = validity("xqg-bench:mini/dev/ko/typo(kind=keyboard,n=1,seed=13)")
    assert (v.lang, v.queries, v.applicable, v.changed, v.invalid, v.invalid_by_class) == ("ko", 60, 60, 60, 0, {})
    assert v.mean_net_edits == 1.0 and v.script_preserved == 60 and v.exact == v.long_enough == 60
    assert main(["perturb", "--show", "xqg-bench:mini/dev/ja"]) == 2  # not a variant ID


def test_adversarial_is_greedy_bounded_cached_and_registered(tiny_models, tmp_path, monkeypatch):
    import numpy as np

    from xqg_bench.encoders import load_encoder
    from xqg_bench.perturb.adversarial import Adversarial

    model = tiny_models["bert"]
    v = parse_variant(f"adversarial(budget=2,cands=8,encoder=hf:{model},seed=13)")
    assert isinstance(v, Adversarial) and v.max_encodes_per_query == 17
    queries = [
        ("q1", "Missä maassa sijaitsee kaupunki Helsinki?", "fi"),
        ("q2", "헬싱키에서는 어떤 통화를 사용합니까?", "ko"),
    ]
    out = v.attack(queries)
    assert set(out) == {"q1", "q2"} and all(out[q] != t for q, t, _ in queries)
    assert all(not is_invalid(out[q], lang, t) for q, t, lang in queries)
    # greedy: the attacked text is no closer to the clean query than the best single edit of step 1
    enc = load_encoder(f"hf(model={model})")

    def cos(a, b):
        x, y = enc.encode_queries([a, b])
        return float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))

    for qid, text, lang in queries:
        step1 = v._candidates(text, lang, qid, 0)
        assert cos(text, out[qid]) <= min(cos(text, c) for c in step1) + 1e-6
    # cached by signature, and registered like every other variant
    monkeypatch.setenv("IR_DATASETS_HOME", str(tmp_path))
    assert v.attack_cached(queries) == out and os.path.exists(v.cache_path(queries))
    ds = ir_datasets.load(f"xqg-bench:mini/dev/fi/adversarial(budget=1,cands=4,encoder=hf:{model},seed=13)")
    perturbed = list(ds.queries_iter())
    assert len(perturbed) == 60 and sum(q.text != q.original_text for q in perturbed) >= 55


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.tuples(st.sampled_from(sorted(SCRIPT_TEXT)), st.data()), min_size=1, max_size=1))
def test_random_text_is_perturbed_identically_in_two_processes(texts, tmp_path_factory):
    """Hypothesis draws random texts in every script; two processes with different PYTHONHASHSEED
    and thread counts apply every default variant to them and must agree byte for byte."""
    _lang, data = texts[0]
    batch = [(lang, data.draw(SCRIPT_TEXT[lang])) for lang in sorted(SCRIPT_TEXT)]
    path = tmp_path_factory.mktemp("rand") / "texts.json"
    path.write_text(json.dumps(batch, ensure_ascii=False))
    code = (
        "import json, sys; from xqg_bench.perturb.families import parse_variant; "
        "from xqg_bench.perturb.registry import DEFAULT_VARIANTS; "
        "batch = json.load(open(sys.argv[1])); "
        "print(json.dumps([parse_variant(v).apply(t, lang, f'q{i}') if parse_variant(v).applicable(lang) else t "
        "for v in DEFAULT_VARIANTS for i, (lang, t) in enumerate(batch)], ensure_ascii=False))"
    )
    assert len(outputs_across_processes(code, str(path))) == 1


def test_perturb_library_lists_shows_and_reports_without_the_cli():
    from xqg_bench.perturb import report

    assert report.listed_ids() == variant_ids(report.default_query_sets())
    assert report.listed_ids(["xqg-bench:mini/dev/fi"], ["typo(n=2,seed=13,kind=keyboard)"]) == [
        "xqg-bench:mini/dev/fi/typo(kind=keyboard,n=2,seed=13)"  # canonical spec
    ]
    with pytest.raises(ValueError, match="did you mean 'keyboard'"):
        report.variant_specs(["typo(kind=keybord)"])
    vid = "xqg-bench:mini/dev/ja/typo(kind=keyboard,n=1,seed=13)"
    shown = report.examples(vid, 3)
    assert len(shown) == 3 and len({q.query_id for q in shown}) == 3 and all(q.text != q.original_text for q in shown)
    assert report.format_example(shown[0]).startswith(f"{shown[0].query_id} [ja]\n  original:  ")
    with pytest.raises(ValueError, match="is not a variant ID"):
        report.examples("xqg-bench:mini/dev/ja")
    # default report: every default variant on each language of the dev set, never the whole set
    variants = ("typo(kind=keyboard,n=1,seed=13)",)
    rows = list(report.report_rows(variants=variants))
    assert [r.lang for r in rows] == ["ar", "bn", "fi", "ja", "ko", "ru", "te"]
    assert [r.dataset_id for r in report.report_rows([vid])] == [vid]
    whole = list(report.report_rows(query_sets=["xqg-bench:mini/dev"], variants=variants))
    assert {r.dataset_id for r in whole} == {f"xqg-bench:mini/dev/{variants[0]}"} and len(whole) == 7


def test_a_mark_carried_by_a_space_counts_as_detached():
    # found by the property test above: a word split at the space would start with the mark
    from xqg_bench.perturb.text import broken_clusters

    assert broken_clusters(" \u09c3\u09ac") and not broken_clusters("\u09ac\u09c3 \u09ac")
    for v in ("word(kind=drop,n=1,seed=13)", "word(kind=swap,n=1,seed=13)", "word(kind=dup,n=1,seed=13)"):
        out = parse_variant(v).apply(" \u09c3\u09ac", "bn", "q1")
        assert out == parse_variant(v).apply(" \u09c3\u09ac", "bn", "q1")
