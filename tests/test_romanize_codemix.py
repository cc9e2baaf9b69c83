"""Romanisation schemes and code-mixing on real XOR-TyDi questions: goldens per language, the
schemes' defining properties, whole-word replacements, inflection, the parallel lexicon and its
alignment method, and determinism across processes."""

import json
import os
import subprocess
import sys

import ir_datasets
import pytest
import regex
from conftest import outputs_across_processes

import xqg_bench  # noqa: F401
from xqg_bench.perturb.align import align, english_units, native_units
from xqg_bench.perturb.codemix import CodeMix, korean_particle, lexicon
from xqg_bench.perturb.families import STOPWORDS, parse_variant
from xqg_bench.perturb.romanize import (
    COMMON,
    Romanize,
    arabizi,
    brahmic_chat,
    kana_romaji,
    revised_romanization,
    russian_translit,
)

HERE = os.path.dirname(__file__)
REAL_SAMPLE = os.path.join(HERE, "fixtures", "xor-tydi-real", "xor_train_sample.jsonl")
GOLDEN_PATH = os.path.join(HERE, "fixtures", "xor-tydi-real", "golden_romanize_codemix.json")
QUESTIONS = [json.loads(line) for line in open(REAL_SAMPLE, encoding="utf-8")]
for _q in QUESTIONS:
    _q["lang"] = _q["lang"].strip()
LANGS = ("ar", "bn", "fi", "ja", "ko", "ru", "te")
GOLDEN_VARIANTS = (
    "romanize(rate=1.0,seed=13)",
    "romanize(rate=0.5,seed=13)",
    "codemix(rate=1.0,seed=13)",
    "codemix(lexicon=parallel,rate=1.0,seed=13)",
    "codemix(lexicon=both,rate=0.5,seed=13)",
)
REAL = os.environ.get(
    "XQG_BENCH_REAL_DATA", os.path.join(HERE, "..", "..", "shared", "data", "xor-tydi")
)  # fmt: skip
REAL_TRAIN = os.path.join(REAL, "xor_train_retrieve_eng_span.jsonl")
TRANSLATIONS = os.path.join(REAL, "translations")
JA_SCRIPT = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}ー・々〆]")


def golden_cases() -> list[dict]:
    """The first four real questions per language under each golden variant (the fixture's order)."""
    cases = []
    for lang in LANGS:
        for q in [q for q in QUESTIONS if q["lang"] == lang][:4]:
            for v in GOLDEN_VARIANTS:
                if parse_variant(v).applicable(lang):
                    cases.append({"lang": lang, "query_id": q["id"], "input": q["question"], "variant": v})
    return cases


GOLDEN = json.load(open(GOLDEN_PATH, encoding="utf-8"))


def test_golden_cases_cover_every_language_and_both_families():
    assert [{k: c[k] for k in ("lang", "query_id", "input", "variant")} for c in GOLDEN] == golden_cases()
    assert {c["lang"] for c in GOLDEN} == set(LANGS)


@pytest.mark.parametrize("case", GOLDEN, ids=lambda c: f"{c['lang']}-{c['query_id']}-{c['variant']}")
def test_golden_on_real_questions(case):
    assert parse_variant(case["variant"]).apply(case["input"], case["lang"], case["query_id"]) == case["output"]


# ------------------------------------------------------------------------------------ romanisation


VALIDITY_VARIANTS = [
    *(f"romanize(scheme={s},rate=1.0,seed=13)" for s in ("hepburn", "wapuro", "rr", "chat", "arabizi", "translit")),
    "romanize(rate=1.0,seed=13)",
    "romanize(rate=0.5,seed=13)",
    "codemix(rate=1.0,seed=13)",
    "codemix(lexicon=parallel,rate=1.0,seed=13)",
    "codemix(lexicon=both,rate=1.0,seed=13)",
    "codemix(lexicon=both,rate=0.5,seed=13)",
]


@pytest.mark.parametrize("variant", VALIDITY_VARIANTS)
def test_every_output_on_real_questions_passes_the_validator(variant):
    """No output has a problem its question had not (the validator's classes: no Latin spliced inside
    a native word, no detached mark, ...), and the report's rows say 0 invalid."""
    from xqg_bench.perturb.report import validity_of
    from xqg_bench.perturb.validate import introduced

    p = parse_variant(variant)
    out = []
    for q in QUESTIONS:
        text, lang = q["question"], q["lang"]
        out.append((lang, text, p.apply(text, lang, q["id"]) if p.applicable(lang) else text))
    assert [(lang, t, dict(introduced(t, o, lang))) for lang, o, t in out if introduced(t, o, lang)] == []
    assert all(r.invalid == 0 for r in validity_of("fixture", variant, out))


def test_japanese_hepburn_has_no_han_or_kana_on_any_real_question():
    r = Romanize()
    for q in QUESTIONS:
        if q["lang"] == "ja":
            out = r.apply(q["question"], "ja", q["id"])
            assert not JA_SCRIPT.search(out), (q["question"], out)
            assert out.isascii(), out


def test_japanese_hepburn_reads_kanji_and_spells_particles_and_long_vowels():
    r = Romanize()
    assert r.apply("東京都は日本の首都ですか", "ja", "q") == "tokyo to wa nippon no shuto desu ka"
    assert r.apply("ヘルシンキではどの通貨が使われていますか？", "ja", "q") == (
        "herushinki de wa dono tsuka ga tsukawarete imasu ka?"
    )
    wapuro = Romanize(scheme="wapuro")
    assert wapuro.apply("東京都は日本の首都ですか", "ja", "q") == "toukyou to wa nippon no shuto desu ka"
    assert (
        kana_romaji("がっこう") == "gakkou"
        and kana_romaji("マッチ") == "matchi"
        and kana_romaji("シャシン") == "shashin"
    )
    assert kana_romaji("ハンガリー") == "hangari" and kana_romaji("ハンガリー", "wapuro") == "hangarii"
    assert kana_romaji("ティーム") == "timu" and kana_romaji("ジュース") == "jusu" and kana_romaji("ファン") == "fan"


BENGALI = {
    "কলকাতা": "kolkata",
    "বাংলাদেশ": "bangladesh",
    "রাজনৈতিক": "rajnoitik",
    "মহিলা": "mohila",
    "দলের": "doler",
    "হিটলার": "hitlar",
    "কবে": "kobe",
    "হয়": "hoy",
    "মশলা": "moshla",
    "যুক্তরাষ্ট্র": "juktorashtro",
    "নেটওয়ার্ক": "netoyark",
}
TELUGU = {
    "హైదరాబాద్": "haidarabad",
    "తెలంగాణ": "telangana",
    "భారతదేశంలో": "bharatadesamlo",
    "రాష్ట్రాలు": "rashtralu",
    "ఉన్నాయి": "unnayi",
    "నగరంలో": "nagaramlo",
    "వ్యవస్థాపకుడు": "vyavasthapakudu",
    "సముద్రంలో": "samudramlo",
    "శ్రీ": "sri",
}


@pytest.mark.parametrize(
    "lang, word, roman", [("bn", w, r) for w, r in BENGALI.items()] + [("te", w, r) for w, r in TELUGU.items()]
)
def test_bengali_and_telugu_keep_the_inherent_vowel(lang, word, roman):
    assert brahmic_chat(word, lang) == roman


def _vowel_ratio(text: str, lang: str, scheme: str = "common") -> float:
    """Vowel groups in the romanisation per written syllable (a letter cluster not closed by a virama)."""
    from xqg_bench.perturb.text import graphemes

    virama = {"bn": "\u09cd", "te": "\u0c4d"}[lang]
    syllables = sum(
        1 for g in graphemes(text) if regex.match(r"[\p{Bengali}\p{Telugu}]", g) and regex.search(r"\p{L}", g)
        and not g.endswith(virama)
    )  # fmt: skip
    roman = Romanize(scheme=scheme).apply(text, lang, "q")
    return len(regex.findall("[aeiou]+", roman.lower())) / syllables


@pytest.mark.parametrize("lang, floor, mean", [("te", 0.9, 0.95), ("bn", 0.55, 0.7)])
def test_real_bengali_and_telugu_questions_keep_their_syllables_unlike_anyascii(lang, floor, mean):
    """Every written syllable carries a vowel (Telugu: all of them; Bengali: all but the schwas speakers
    drop); anyascii, which drops the inherent vowel, fails the same thresholds."""
    qs = [q["question"] for q in QUESTIONS if q["lang"] == lang]
    ours = [_vowel_ratio(q, lang) for q in qs]
    theirs = [_vowel_ratio(q, lang, "anyascii") for q in qs]
    assert min(ours) >= floor and sum(ours) / len(qs) >= mean
    assert sum(theirs) / len(qs) < mean - 0.15


KOREAN = {
    "국어": "gugeo",
    "국물": "gungmul",
    "종로": "jongno",
    "신라": "silla",
    "설날": "seollal",
    "좋고": "joko",
    "굳이": "guji",
    "같이": "gachi",
    "백마": "baengma",
    "독립": "dongnip",
    "왕릉": "wangneung",
    "닭이": "dalgi",
    "한국": "hanguk",
    "대한민국": "daehanminguk",
    "서울": "seoul",
    "사용합니까": "sayonghamnikka",
}


@pytest.mark.parametrize("word, roman", KOREAN.items())
def test_korean_revised_romanization_with_sound_changes(word, roman):
    assert revised_romanization(word) == roman


ARABIC = {
    "محمد": "ma7mad",
    "العملة": "al3amla",
    "مدينة": "madina",
    "السعودية": "alsa3udiya",
    "إسرائيل": "esra2il",
    "خليج": "5alij",
    "هلسنكي": "halsanki",
    "بالهند": "bilhand",
    "في": "fi",
    "ما": "ma",
}


@pytest.mark.parametrize("word, roman", ARABIC.items())
def test_arabizi(word, roman):
    assert arabizi(word) == roman


def test_arabizi_on_a_real_question_uses_the_chat_digits_and_written_vowels():
    assert (
        Romanize().apply("كم تصرف مصر من دخلها على الجيش ؟", "ar", "q") == "kam tasraf masr man da5laha 3ala aljish ?"
    )


def test_russian_translit():
    assert russian_translit("Какая валюта используется в городе Хельсинки?") == (
        "Kakaya valyuta ispolzuetsya v gorode Helsinki?"
    )
    assert russian_translit("Достоевский Щука объём Москва́") == "Dostoevsky Schuka obyom Moskva"


def test_schemes_are_explicit_and_canonical():
    assert Romanize().spec == "romanize(rate=1.0,seed=13)"
    assert parse_variant("romanize(scheme=common,rate=1.0,seed=13)").spec == "romanize(rate=1.0,seed=13)"
    assert parse_variant("romanize(scheme=rr,rate=1.0,seed=13)").spec == "romanize(scheme=rr,rate=1.0,seed=13)"
    assert Romanize(scheme="rr").applicable("ko") and not Romanize(scheme="rr").applicable("ja")
    assert not Romanize().applicable("fi") and all(Romanize().applicable(lang) for lang in COMMON)
    with pytest.raises(ValueError, match="did you mean 'hepburn'"):
        parse_variant("romanize(scheme=hepbrun,rate=1.0,seed=13)")
    from anyascii import anyascii

    assert Romanize(scheme="anyascii").apply("Какая валюта", "ru", "q") == anyascii("Какая валюта").lower()


def test_partial_romanisation_keeps_the_other_words_native():
    for q in QUESTIONS:
        out = Romanize(rate=0.5).apply(q["question"], q["lang"], q["id"])
        assert out == Romanize(rate=0.5).apply(q["question"], q["lang"], q["id"])
        if q["lang"] == "fi":
            assert out == q["question"]
    outs = [Romanize(rate=0.5).apply(q["question"], q["lang"], q["id"]) for q in QUESTIONS if q["lang"] != "fi"]
    assert sum(regex.search(r"[a-z]", o) is not None and regex.search(r"[^\p{Latin}\p{Common}]", o) is not None
               for o in outs) > len(outs) // 2  # fmt: skip


# ----------------------------------------------------------------------------------- code-mixing


def _word_char(c: str) -> bool:
    return bool(regex.match(r"\w", c))


def _japanese_bounds(text: str) -> set[int]:
    from janome.tokenizer import Tokenizer

    bounds, pos = {0}, 0
    for tok in Tokenizer().tokenize(text):
        pos += len(tok.surface)
        bounds.add(pos)
    return bounds


def assert_whole_words(text: str, lang: str, spans: list[tuple[int, int, str]]) -> None:
    """Every replaced span starts and ends at a word boundary (marks and viramas are word characters;
    Japanese: a token boundary of an independent Janome segmentation)."""
    bounds = _japanese_bounds(text) if lang == "ja" else None
    for start, end, _ in spans:
        if bounds is not None:
            assert start in bounds and end in bounds, (text, text[start:end])
            continue
        assert start == 0 or not (_word_char(text[start - 1]) or text[start - 1] in "-‐–"), (text, text[start:end])
        assert end == len(text) or not _word_char(text[end]), (text, text[start:end])


@pytest.mark.parametrize("which", ["cldr", "parallel", "both"])
def test_codemix_replaces_whole_words_only_on_real_questions(which):
    v = CodeMix(lexicon=which)
    changed = 0
    for q in QUESTIONS:
        spans = v.replacements(q["question"], q["lang"], q["id"])
        assert_whole_words(q["question"], q["lang"], spans)
        changed += bool(spans)
    assert changed >= 40


@pytest.mark.parametrize(
    "text, lang, entries",
    [
        ("インドネシアとインドアの違い", "ja", {"インド": "India"}),  # a katakana loanword containing a name
        ("第一次世界大戦中の出来事", "ja", {"世界大戦": "World War"}),  # tokens inside a kanji compound
        ("ジョン・ローレンス・スミスの性別", "ja", {"ローレンス": "Lawrence"}),  # inside a ・-joined name
        ("ভারতীয় সংস্কৃতি", "bn", {"ভারত": "India"}),  # a vowel sign after the name: another word
        ("ভারতবর্ষ", "bn", {"ভারত": "India"}),
        ("భారతీయ సంస్కృతి", "te", {"భారత": "India"}),
        ("الهندية والهندوس", "ar", {"الهند": "India"}),
        ("Norjalainen", "fi", {"Norja": "Norway"}),
        ("Норвежский", "ru", {"Норвегия": "Norway"}),
    ],
)
def test_a_name_inside_another_word_is_never_replaced(text, lang, entries):
    from xqg_bench.perturb.codemix import _Matcher

    assert _Matcher(lang, entries).matches(text) == []


@pytest.mark.parametrize(
    "text, lang, out",
    [
        ("Mikä on Norjan pääkaupunki?", "fi", "Mikä on Norway:n pääkaupunki?"),
        ("Kuka asui Helsingissä?", "fi", "Kuka asui Helsinki:ssä?"),
        ("Какая столица Норвегии?", "ru", "Какая столица Norway?"),
        ("من بالهند؟ والهند الهند", "ar", "من ب India؟ و India India"),
        ("중국이 일본은 브라질로 노르웨이의 수도는?", "ko", "China가 Japan은 Brazil로 Norway의 수도는?"),
        ("ভারতের রাজধানী ঢাকায়", "bn", "India-এর রাজধানী Dhaka-য়"),
        ("భారతదేశంలో రాష్ట్రాలు", "te", "India లో రాష్ట్రాలు"),
        ("ノルウェーの首都はどこ？", "ja", "Norwayの首都はどこ？"),
    ],
)
def test_inflected_forms_and_particles(text, lang, out):
    from xqg_bench.perturb.codemix import _Matcher, render

    entries = {
        "fi": {"Norja": "Norway", "Helsinki": "Helsinki"},
        "ru": {"Норвегия": "Norway"},
        "ar": {"الهند": "India"},
        "ko": {"중국": "China", "일본": "Japan", "브라질": "Brazil", "노르웨이": "Norway"},
        "bn": {"ভারত": "India", "ঢাকা": "Dhaka"},
        "te": {"భారతదేశం": "India"},
        "ja": {"ノルウェー": "Norway"},
    }[lang]
    got, pos = "", 0
    for start, end, prefix, ending, english in _Matcher(lang, entries).matches(text):
        got += text[pos:start] + render(lang, prefix, english, ending)
        pos = end
    assert got + text[pos:] == out


def test_korean_particles_follow_the_english_words_korean_reading():
    assert korean_particle("China", "이") == "가" and korean_particle("Japan", "가") == "이"
    assert korean_particle("Brazil", "으로") == "로" and korean_particle("Japan", "로") == "으로"
    assert korean_particle("game", "는") == "은" and korean_particle("France", "은") == "는"
    assert korean_particle("cup", "를") == "을" and korean_particle("Korea", "과") == "와"


def test_codemix_strings_are_canonical_and_lexicons_explicit():
    assert CodeMix().spec == "codemix(rate=1.0,seed=13)"
    assert parse_variant("codemix(lexicon=cldr,rate=1.0,seed=13)").spec == "codemix(rate=1.0,seed=13)"
    assert CodeMix(lexicon="both").spec == "codemix(lexicon=both,rate=1.0,seed=13)"
    with pytest.raises(ValueError, match="did you mean 'parallel'"):
        parse_variant("codemix(lexicon=paralel,rate=1.0,seed=13)")


def test_parallel_lexicon_file_is_small_attributed_and_free_of_function_words():
    from xqg_bench.perturb.codemix import PARALLEL_PATH

    data = json.load(open(PARALLEL_PATH, encoding="utf-8"))
    assert "CC BY-SA 4.0" in data["licence"] and "unverified" in data["source"]
    lex = lexicon("parallel")
    assert set(lex) == set(LANGS) and sum(map(len, lex.values())) <= 3500
    for lang, entries in lex.items():
        assert all(native not in STOPWORDS[lang] and len(native) >= 2 for native in entries), lang
        assert not any(english.lower() in STOPWORDS["en"] for english in entries.values()), lang
    assert (
        lex["ja"]["日本"] == "Japan"
        and lex["ko"]["일본"] == "Japan"
        and lex["ar"]["الولايات المتحدة"] == "United States"
    )
    assert os.path.exists(os.path.join(os.path.dirname(PARALLEL_PATH), "README.md"))


def test_codemix_with_the_parallel_lexicon_changes_at_least_15_percent_of_fixture_questions_per_language():
    v = CodeMix(lexicon="parallel")
    for lang in LANGS:
        qs = [q for q in QUESTIONS if q["lang"] == lang]
        changed = sum(v.apply(q["question"], lang, q["id"]) != q["question"] for q in qs)
        assert changed >= 0.15 * len(qs), (lang, changed)


@pytest.mark.skipif(not os.path.exists(REAL_TRAIN), reason="the real train file is not beside this checkout")
def test_on_real_train_questions_codemix_changes_15_percent_and_japanese_romanisation_is_all_latin(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("XQG_BENCH_MIRROR", REAL)
    monkeypatch.setenv("IR_DATASETS_HOME", str(tmp_path / "home"))
    v = "codemix(lexicon=parallel,rate=1.0,seed=13)"
    for lang in LANGS:
        qs = list(ir_datasets.load(f"xqg-bench:xor-tydi/train/{lang}/{v}").queries_iter())
        changed = sum(q.text != q.original_text for q in qs)
        assert changed >= 0.15 * len(qs), (lang, changed, len(qs))
        if lang == "ja":  # and no Han or kana left in the romanisation of any real Japanese question
            assert not [q.text for q in qs if JA_SCRIPT.search(Romanize().apply(q.original_text, "ja", q.query_id))]
        for q in qs[:150]:
            assert_whole_words(
                q.original_text, lang, CodeMix(lexicon="parallel").replacements(q.original_text, lang, q.query_id)
            )


# ------------------------------------------------------------------------------- the aligner


def test_alignment_links_names_and_content_words_not_function_words():
    pairs = [
        ("Mikä on Norjan pääkaupunki?", "What is the capital of Norway?"),
        ("Milloin Norja itsenäistyi?", "When did Norway become independent?"),
        ("Kuinka monta asukasta Norjassa on?", "How many inhabitants are there in Norway?"),
        ("Mikä on Ruotsin pääkaupunki?", "What is the capital of Sweden?"),
        ("Milloin Ruotsi liittyi EU:hun?", "When did Sweden join the EU?"),
        ("Kuinka suuri on Ruotsin väkiluku?", "How large is the population of Sweden?"),
        ("Kuka on Ruotsin kuningas?", "Who is the king of Sweden?"),  # a fourth pair: no look-alike needed
        ("Mikä on Suomen pääkaupunki?", "What is the capital of Finland?"),
        ("Mikä on Viron pääkaupunki?", "What is the capital of Estonia?"),
        ("Mikä on Tanskan pääkaupunki?", "What is the capital of Denmark?"),
    ]
    lex = align(pairs, "fi", STOPWORDS["fi"], min_count=3)
    assert lex == {"Norja": "Norway", "Ruotsi": "Sweden", "pääkaupunki": "capital"}
    # three pairs link a name only if it also sounds like its English (Norja ~ Norway, not Ruotsi ~ Sweden)
    three = [p for p in pairs if "kuningas" not in p[0]]
    assert align(three, "fi", STOPWORDS["fi"], min_count=3) == {"Norja": "Norway", "pääkaupunki": "capital"}
    assert "Norjan pääkaupunki" in native_units(pairs[0][0], "fi", frozenset())
    assert english_units("What is the capital of the United States?") == {
        "capital",
        "United",
        "States",
        "United States",
    }


def test_alignment_is_deterministic_and_the_build_script_refuses_misaligned_files(tmp_path):
    src = tmp_path / "tr"
    src.mkdir()
    for lang in LANGS:
        (src / f"{lang}-en.{lang}.txt").write_text("Mikä on Norjan pääkaupunki?\n" * 3, encoding="utf-8")
        (src / f"{lang}-en.en.txt").write_text("What is the capital of Norway?\n" * 3, encoding="utf-8")
    script = os.path.join(HERE, "..", "scripts", "build_codemix_lexicon.py")
    outs = []
    for seed in ("0", "99"):
        out = tmp_path / f"lex{seed}.json"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run(
            [sys.executable, script, str(src), "--output", str(out)], env=env, check=True, capture_output=True
        )
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    (src / "ru-en.en.txt").write_text("one line\n", encoding="utf-8")
    bad = tmp_path / "bad.json"
    proc = subprocess.run([sys.executable, script, str(src), "--output", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1 and "ru-en.ru.txt has 3 lines but" in proc.stderr and "line-aligned" in proc.stderr
    assert not bad.exists()


@pytest.mark.skipif(not os.path.isdir(TRANSLATIONS), reason="the translations are not beside this checkout")
def test_the_shipped_lexicon_is_what_the_script_builds_from_the_translations(tmp_path):
    from xqg_bench.perturb.codemix import PARALLEL_PATH

    out = tmp_path / "lex.json"
    script = os.path.join(HERE, "..", "scripts", "build_codemix_lexicon.py")
    subprocess.run([sys.executable, script, TRANSLATIONS, "--output", str(out)], check=True, capture_output=True)
    assert out.read_bytes() == open(PARALLEL_PATH, "rb").read()


def test_determinism_across_processes_on_real_questions():
    code = (
        "import json, sys; from xqg_bench.perturb.families import parse_variant; "
        "qs = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]; "
        "print(json.dumps([parse_variant(v).apply(q['question'], q['lang'].strip(), q['id']) for q in qs "
        "for v in ['romanize(rate=0.5,seed=13)', 'codemix(lexicon=both,rate=0.5,seed=13)'] "
        "if parse_variant(v).applicable(q['lang'].strip())]))"
    )
    assert len(outputs_across_processes(code, REAL_SAMPLE)) == 1
