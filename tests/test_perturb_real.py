"""Typos, keyboard layouts, script noise and word noise on real XOR-TyDi questions (the committed
fixture of 210 train questions): golden outputs per family and language, validity of every output
by the validator, exactly n typos, determinism across processes, and the report."""

import json
import os
import unicodedata

import pytest
from conftest import outputs_across_processes

from xqg_bench.perturb.families import Layout, Typo, Word, parse_variant, word_items
from xqg_bench.perturb.keyboards import neighbours, us_keys
from xqg_bench.perturb.report import validity_of
from xqg_bench.perturb.validate import introduced, ksx1001_syllables, net_edits

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
QUESTIONS = os.path.join(FIXTURES, "xor-tydi-real", "xor_train_sample.jsonl")
REAL = [(str(q["id"]), q["question"], q["lang"].strip()) for q in map(json.loads, open(QUESTIONS, encoding="utf-8"))]
GOLDEN = json.load(open(os.path.join(FIXTURES, "perturb_golden_real.json"), encoding="utf-8"))
LANGS = ("ar", "bn", "fi", "ja", "ko", "ru", "te")

VARIANTS = [
    *(f"typo(kind={k},n={n},seed=13)" for k in Typo.ALL_KINDS for n in (1, 2, 3)),
    "layout(rate=1.0,seed=13)",
    "layout(rate=0.5,seed=13)",
    "script(kind=diacritics,rate=0.5,seed=13)",
    "script(kind=diacritics,rate=1.0,seed=13)",
    "script(kind=tatweel,rate=0.3,seed=13)",
    "script(kind=tatweel,rate=1.0,seed=13)",
    "script(kind=alef,rate=1.0,seed=13)",
    "script(kind=zwj,rate=1.0,seed=13)",
    "script(kind=kana,rate=1.0,seed=13)",
    "script(kind=halfwidth,rate=1.0,seed=13)",
    "script(kind=jamo,rate=1.0,seed=13)",
    "script(kind=nfd,rate=1.0,seed=13)",
    "script(kind=nfkc,rate=1.0,seed=13)",
    *(f"word(kind={k},n={n},seed=13)" for k in Word.KINDS for n in (1, 2)),
]


@pytest.mark.parametrize("case", GOLDEN, ids=lambda c: f"{c['lang']}-{c['query_id']}-{c['variant']}")
def test_golden_on_real_questions(case):
    p = parse_variant(case["variant"])
    assert p.apply(case["input"], case["lang"], case["query_id"]) == case["output"]


def test_golden_covers_every_language_and_these_families():
    assert {c["lang"] for c in GOLDEN} == set(LANGS)
    assert {parse_variant(c["variant"]).name for c in GOLDEN} == {"typo", "layout", "script", "word"}
    for lang in LANGS:  # every family changes some real question of every language it applies to
        for fam in ("typo", "word"):
            assert any(c["output"] != c["input"] for c in GOLDEN if c["lang"] == lang and c["variant"].startswith(fam))


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_output_on_real_questions_is_valid(variant):
    """No output has a problem its question had not (the validator's classes), and the report says
    so too; every applicable variant changes most questions."""
    p = parse_variant(variant)
    out = [(lang, text, p.apply(text, lang, qid) if p.applicable(lang) else text) for qid, text, lang in REAL]
    bad = [(lang, o, t, dict(introduced(t, o, lang))) for lang, o, t in out if introduced(t, o, lang)]
    assert bad == []
    rows = validity_of("fixture", variant, out)
    assert all(r.invalid == 0 for r in rows)
    assert sum(r.changed for r in rows) >= 0.5 * sum(r.applicable for r in rows) or variant.startswith(
        ("layout", "script(kind=nfd", "script(kind=nfkc", "script(kind=alef", "script(kind=zwj")
    )


@pytest.mark.parametrize("kind", Typo.ALL_KINDS)
def test_typos_make_exactly_n_net_edits_on_real_questions(kind):
    """n net edits (OSA on keystroke units) on >= 99% of the questions with room for them (at least
    3n places the kind can edit), never more than n anywhere."""
    for n in (1, 2, 3):
        p = Typo(kind, n, 13)
        long_enough = exact = 0
        for qid, text, lang in REAL:
            if not p.applicable(lang):
                continue
            start = p.normalise(text, lang)
            edits = net_edits(start, p.apply(text, lang, qid), lang)
            assert edits <= n
            if p.editable(text, lang) >= 3 * n:
                long_enough += 1
                exact += edits == n
        assert long_enough >= 20 and exact >= 0.99 * long_enough, (kind, n, exact, long_enough)


def test_typos_change_what_a_keystroke_changes():
    ja = [(q, t) for q, t, lang in REAL if lang == "ja"]
    ko = [(q, t) for q, t, lang in REAL if lang == "ko"]
    for kind in Typo.KINDS:
        p = Typo(kind, 3, 13)
        for qid, text in ja:  # kanji are never typed key by key: all of them survive, in order
            kanji = [c for c in text if "\u4e00" <= c <= "\u9fff"]
            assert [c for c in p.apply(text, "ja", qid) if "\u4e00" <= c <= "\u9fff"] == kanji
        for qid, text in ko:  # no syllable that Korean text practically never has
            new = set(p.apply(text, "ko", qid)) - set(text)
            assert all(c in ksx1001_syllables() for c in new if "\uac00" <= c <= "\ud7a3")
    # Russian stress marks are removed before editing; the accent never lands on another letter
    out = Typo("keyboard", 2, 13).apply("Где нахо́дится Москва́?", "ru", "q")
    assert "\u0301" not in out and net_edits("Где находится Москва?", out, "ru") == 2
    # Bengali: keyboard slips reach vowel signs (ি/ী are vertical neighbours); spelling confusions
    assert "ী" in neighbours("bn")["ি"] and "ূ" in neighbours("bn")["ু"]
    outs = {Typo("spelling", 1, s).apply("দেশ", "bn", "q") for s in range(40)}
    assert outs == {"দেষ", "দেস"}
    outs = {Typo("spelling", 1, s).apply("কি", "bn", "q") for s in range(40)}
    assert outs == {"কী"}


def test_inscript_bottom_row_is_aligned_with_the_us_keys():
    # the Bengali Z key types nothing: anusvara is on X, ma on C, na on V (no longer one key off)
    assert (us_keys("bn")["ং"], us_keys("bn")["ম"], us_keys("bn")["ন"], us_keys("bn")["য"]) == ("x", "c", "v", "/")
    assert (us_keys("te")["ె"], us_keys("te")["ం"], us_keys("te")["మ"]) == ("z", "x", "c")
    assert "ম" in neighbours("bn")["ং"] and "" not in neighbours("bn")["ং"]


@pytest.mark.parametrize(
    "lang, native, typed",
    [
        ("ko", "안녕", "dkssud"),
        ("ko", "헬싱키는 어디에 있나요?", "gpftldzlsms djeldp dlTskdy?"),
        ("ru", "привет", "ghbdtn"),
        ("ru", "Где Ёлка?", "Ult ~krf?"),
        ("ar", "ما هي العملة؟", "lh id hgulgm?"),
        ("ar", "لا", "b"),
        ("ar", "الذي", "hg`d"),
        ("bn", "হঠাৎ", 'u"eld'),
        ("fi", "Missä on Töölö?", "Miss' on T;;l;?"),
        ("bn", "কি", "kf"),
        ("te", "ఏది", "Sof"),
    ],
)
def test_layout_types_the_us_keys_of_the_native_keystrokes(lang, native, typed):
    assert Layout(1.0, 13).apply(native, lang, "q") == typed


def test_layout_leaves_no_native_letter_of_a_real_question():
    p = Layout(1.0, 13)
    for qid, text, lang in REAL:
        if p.applicable(lang) and lang != "fi":
            out = p.apply(text, lang, qid)
            assert not [c for c in out if ord(c) > 127 and unicodedata.category(c)[0] in "LM"], (text, out)


def test_layout_applies_to_languages_typed_on_a_native_layout():
    assert [lang for lang in LANGS if Layout().applicable(lang)] == ["ar", "bn", "fi", "ko", "ru", "te"]
    half = Layout(0.5, 13)
    outs = [half.apply(t, lang, q) for q, t, lang in REAL if lang == "ru"]
    mixed = [o for o in outs if any("a" <= c <= "z" for c in o) and any("а" <= c <= "я" for c in o)]
    assert len(mixed) >= 10  # rate 0.5: some words typed with the wrong layout, the rest not


def test_japanese_words_come_from_a_segmenter_with_particles_kept():
    small = set("ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮー")
    for _qid, text, lang in REAL:
        if lang != "ja":
            continue
        items, joiner = word_items(text, lang)
        assert joiner.join(i.lead + i.core + i.tail for i in items) == text
        for item in items:
            assert not item.core or item.core[0] not in small
            assert item.core not in ("は", "が", "の", "を", "に", "で", "と", "も", "か")
    items, _ = word_items("東京都の人口は何人ですか？", "ja")
    assert [i.core for i in items] == ["東京都の", "人口は", "何人ですか"] and items[-1].tail == "？"


def test_word_noise_keeps_punctuation():
    for kind in Word.KINDS:
        p = Word(kind, 1, 13)
        for qid, text, lang in REAL:
            out = p.apply(text, lang, qid)
            end = text.rstrip()[-1]
            if unicodedata.category(end)[0] == "P":
                assert out.rstrip()[-1] == end, (kind, text, out)
    assert Word("drop", 1, 13).apply("Missä on Helsinki?", "fi", "x").endswith("?")


def test_script_noise_places():
    # harakat never on alef / alef maqsura, no sukun or shadda on a word's first letter
    d = parse_variant("script(kind=diacritics,rate=1.0,seed=13)")
    for qid, text, lang in REAL:
        if lang == "ar":
            out = d.apply(text, lang, qid)
            assert out != text and not introduced(out, text, lang)
    # alef: ي→ى only at a word end
    a = parse_variant("script(kind=alef,rate=1.0,seed=13)")
    assert a.apply("في مدينة هلسنكي", "ar", "q") == "فى مدينه هلسنكى"
    assert a.apply("متى أُطلقت أول لعبة", "ar", "q") == "متي أُطلقت اول لعبه"  # a vocalised hamza stays
    # zwj: never a second joiner after one the writer put (ম‍্যাচ), never on a reph
    z = parse_variant("script(kind=zwj,rate=1.0,seed=13)")
    assert z.apply("ম\u200d্যাচ কর্ম", "bn", "q") == "ম\u200d্যাচ কর্ম"
    assert z.apply("র্যাব", "bn", "q") == "র\u200d্যাব"
    # kana: a katakana word left in hiragana; kanji and hiragana untouched
    k = parse_variant("script(kind=kana,rate=1.0,seed=13)")
    assert k.apply("ヘルシンキではどの通貨が？", "ja", "q") == "へるしんきではどの通貨が？"


def test_real_questions_are_perturbed_identically_in_two_processes():
    code = (
        "import json, sys; from xqg_bench.perturb.families import parse_variant; "
        "qs = [json.loads(line) for line in open(sys.argv[1], encoding='utf-8')]; "
        "vs = [parse_variant(v) for v in json.loads(sys.argv[2])]; "
        "qs = [q for i, q in enumerate(qs) if i % 3 == 0]; "  # 70 questions, every language
        "print(json.dumps([v.apply(q['question'], q['lang'].strip(), q['id']) for v in vs for q in qs "
        "if v.applicable(q['lang'].strip())], ensure_ascii=False))"
    )
    variants = [
        *(f"typo(kind={k},n=3,seed=13)" for k in Typo.ALL_KINDS), "layout(rate=0.5,seed=13)",
        "script(kind=diacritics,rate=0.5,seed=13)", "script(kind=tatweel,rate=0.3,seed=13)",
        "script(kind=kana,rate=1.0,seed=13)", "script(kind=zwj,rate=1.0,seed=13)", "word(kind=swap,n=1,seed=13)",
        "word(kind=drop,n=2,seed=13)",
    ]  # fmt: skip
    assert len(outputs_across_processes(code, QUESTIONS, json.dumps(variants))) == 1


def test_report_on_the_fixture_prints_every_language_and_no_invalid(capsys):
    from xqg_bench.run import main

    variants = ["typo(kind=keyboard,n=3,seed=13)", "layout(rate=1.0,seed=13)", "word(kind=drop,n=1,seed=13)"]
    assert main(["perturb", "--report", "--questions", QUESTIONS, "--variants", *variants]) == 0
    out = capsys.readouterr().out
    for lang in LANGS:
        assert f"/typo(kind=keyboard,n=3,seed=13) | {lang} | 30 | 30 | 30 | 3.00 | 3 |" in out or lang == "ja"
    assert "| ja | 30 | 30 | 30 |" in out and "layout(rate=1.0,seed=13) | ko | 30 | 30 | 30 |" in out
    assert out.rstrip().endswith("20 rows, 0 invalid outputs")  # 7 + 6 (layout: not ja) + 7
