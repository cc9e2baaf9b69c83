"""The perturbation validator: every failure class met on real questions is flagged on known-bad
inputs, and the real questions of the committed fixture (and well-formed perturbations) pass."""

import json
import os

import pytest

from xqg_bench.perturb.validate import CLASSES, introduced, net_edits, problems

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "xor-tydi-real", "xor_train_sample.jsonl")
REAL = [json.loads(line) for line in open(FIXTURE, encoding="utf-8")]

# (lang, original, perturbed, the class the validator must report)
KNOWN_BAD = [
    # Arabic harakat on alef / alef maqsura, and on no letter
    ("ar", "ما هي العملة", "ما هي اَلعملة", "haraka-carrier"),
    ("ar", "ما هي العملة", "ماُ هي العملة", "haraka-carrier"),
    ("ar", "على النهر", "علىِ النهر", "haraka-carrier"),
    ("ar", "ما هي العملة", "ما هي ًالعملة", "haraka-carrier"),
    # word-initial sukun and shadda
    ("ar", "في مدينة هلسنكي", "في مْدينة هلسنكي", "haraka-initial"),
    ("ar", "في مدينة هلسنكي", "في مّدينة هلسنكي", "haraka-initial"),
    # two vowels on a letter, shadda with sukun, tanween inside a word
    ("ar", "في مدينة", "في مدَِينة", "haraka-stack"),
    ("ar", "في مدينة", "في مدّْينة", "haraka-stack"),
    ("ar", "في مدينة", "في مدٌينة", "haraka-stack"),
    # tatweel after letters that never join to the left, and at a word start
    *[("ar", f"كلمة {w}", f"كلمة {w[0]}ـ{w[1:]}", "tatweel") for w in ("ابن", "دار", "ذهب", "رجل", "زمن", "ورد")],
    ("ar", "مدرسة كبيرة", "مدرسةـ كبيرة", "tatweel"),
    ("ar", "في مدينة", "في ـمدينة", "tatweel"),
    # ي -> ى in the middle of a word
    ("ar", "في مدينة هلسنكي", "في مدىنة هلسنكي", "final-form"),
    ("ar", "الجامعة الكبيرة", "الجامةعة الكبيرة", "final-form"),
    # Japanese: a lone long-vowel mark or small kana at a word / run start
    ("ja", "コーヒーは何ですか", "ーヒーは何ですか", "kana-start"),
    ("ja", "東京 タワー", "東京 ーワー", "kana-start"),
    ("ja", "しゃしんは", "ゃしんは", "kana-start"),
    ("ja", "サッカー選手", "サッカー選ャ手", "kana-start"),
    ("ja", "サッカー", "サっカー", "kana-start"),
    ("ja", "行った", "った", "kana-start"),
    # Bengali nukta moved onto another consonant by a keyboard slip
    ("bn", "বড় শহর", "বট় শহর", "nukta"),
    ("bn", "বড় শহর", "বট় শহর", "mark-moved"),
    # Brahmic cluster grammar: two vowel signs, vowel sign after virama / independent vowel, a sign
    # after a virama, ZWJ out of place, a vowel sign detached at a word start
    ("bn", "কিনে", "কিীনে", "brahmic-cluster"),
    ("bn", "কিনে", "ক্িনে", "brahmic-cluster"),
    ("bn", "আমি", "আিমি", "brahmic-cluster"),
    ("bn", "কোন দেশ", "কোন দেশ্ং", "brahmic-cluster"),
    ("te", "ఏది నగరం", "ఏది న\u200dగరం", "brahmic-cluster"),
    ("te", "ఏది నగరం", "ఏది ిగరం", "detached-mark"),
    ("te", "ఏది నగరం", "ఏది నాొగరం", "brahmic-cluster"),
    # Russian: a stress accent left on a substituted consonant; a letter recomposed into Macedonian ѓ
    ("ru", "Москва́", "Москвп́", "cyrillic-accent"),
    ("ru", "где город", "ѓде город", "non-russian-letter"),
    ("ru", "где город", "г\u0301де город", "non-russian-letter"),
    ("ru", "Москва́ город", "Москва го́род", "mark-moved"),
    # Latin letters spliced inside a native word
    ("ru", "где Москва", "где Мосkва", "latin-in-word"),
    ("ar", "في مدينة", "في مديxنة", "latin-in-word"),
    ("ko", "헬싱키는 어디", "헬싱b키는 어디", "latin-in-word"),
    ("ja", "ヘルシンキは", "ヘルxシンキは", "latin-in-word"),
    # hiragana inside a katakana or kanji word
    ("ja", "ヘルシンキは", "ヘルしンキは", "kana-in-word"),
    ("ja", "東京都は", "東き京都は", "kana-in-word"),
    # Hangul: jamo that form no syllable, syllables outside KS X 1001
    ("ko", "헬싱키는 어디", "헬싱키는 어\u1100디", "hangul"),
    ("ko", "헬싱키는 어디", "헬싱키는 어ㄱ디", "hangul"),
    ("ko", "헬싱키는 어디", "헬싱쀍는 어디", "hangul-rare"),
    # Arabic haraka moved to another letter
    ("ar", "مَدينة كبيرة", "مدَينة كبيرة", "mark-moved"),
    # nothing left
    ("fi", "Missä on Helsinki?", " ? ", "empty"),
]


@pytest.mark.parametrize("lang, original, bad, cls", KNOWN_BAD, ids=lambda x: x if isinstance(x, str) else "")
def test_known_bad_outputs_are_flagged_by_class(lang, original, bad, cls):
    assert not introduced(original, original, lang)
    assert introduced(bad, original, lang)[cls] >= 1, (bad, introduced(bad, original, lang))


def test_every_class_has_a_known_bad_example():
    assert {c for _l, _o, _b, c in KNOWN_BAD} == set(CLASSES)


GOOD = [
    ("ar", "كتابا", "كتاباً"),  # tanween fath on a final alef
    ("ar", "كتابا", "كتابًا"),
    ("ar", "ما هي العملة", "ما هي العُملة"),
    ("ar", "ما هي العملة", "ما هي العمّلة"),  # shadda inside a word
    ("ar", "ما هي العملة", "ما هي العمــلة"),  # tatweel between dual-joining letters
    ("ar", "مصر بلد", "مصرٌ بلد"),  # tanween at a word end
    ("ar", "ما هي", "ما هى"),  # ى at a word end
    ("bn", "বড় শহর", "বড় শহরে"),
    ("bn", "অ্যাপল কী", "অ্যাপল কি"),  # virama after অ: the English "a" sound
    ("bn", "কর্মী", "কর্\u200cমী"),  # ZWNJ after a virama
    ("bn", "র্যাব", "র\u200d্যাব"),  # ra-phala with ZWJ
    ("te", "వైఎస్ఆర్", "వైఎస్ఆర"),  # an acronym: virama then an independent vowel
    ("ja", "行った", "行ったのは"),
    ("ja", "コーヒー", "こーひー"),  # the long-vowel mark after hiragana: casual writing
    ("ja", "3ヶ月", "3ヶ月間"),
    ("ja", "ソ連は", "そ連は"),  # a katakana word at the start written in hiragana
    ("ja", "FPS・TPSゲーム", "FPS・TPSｹﾞｰﾑ"),  # Latin between name separators, not inside a word
    ("ko", "헬싱키", "핼싱키"),
    ("ru", "Москва́", "Масква"),
    ("ru", "ёлка", "елка"),
    ("ja", "iPhoneの価格", "iPhoneの値段"),
    # a duplicated word carries its writer's own oddity (Latin é as a stress mark): nothing new
    ("ru", "Когда родился Бéрнард Сáндерс?", "Когда родился Бéрнард Сáндерс Сáндерс?"),
]


@pytest.mark.parametrize("lang, original, good", GOOD)
def test_well_formed_outputs_pass(lang, original, good):
    assert not introduced(good, original, lang), introduced(good, original, lang)


def test_real_questions_of_the_fixture_pass():
    """Every fixture question is well formed by the rules (they are what real writers produce)."""
    assert len(REAL) == 210
    flagged = {q["id"]: problems(q["question"], q["lang"].strip()) for q in REAL}
    assert {k: v for k, v in flagged.items() if v} == {}


def test_net_edits_count_graphemes_and_swaps_once():
    assert net_edits("Helsinki", "Hlesinki") == 1
    assert net_edits("Helsinki", "Helsinkii") == 1
    assert net_edits("ক্ষেত্র", "ক্ষিত্র") == 1  # a vowel sign inside a conjunct: one cluster changed
    assert net_edits("헬싱키", "핼싱키") == 1
    assert net_edits("Helsinki", "Hxlsinkx") == 2
    assert net_edits("abc", "abc") == 0
