"""Generators: tiny mT5 (the released recipe), the offline CLDR stand-in, released-format files."""

import json
import os
import subprocess
import sys

import pytest
from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.datasets.cldr import templates
from xqg_bench.datasets.mini_build import build_mini
from xqg_bench.xqg import XQG_LANGS
from xqg_bench.xqg.generators import load_generator

DOCS = [
    DprW100Doc("d1", "Finland uses the euro. Helsinki is its capital.", "Economy of Finland"),
    DprW100Doc("d2", "Japan uses the yen.", "Economy of Japan"),
]


def test_tiny_mt5_samples_n_per_language_with_the_released_prompt(tiny_mt5):
    gen = load_generator(f"mt5(model={tiny_mt5})")
    assert gen.spec == f"mt5(model={tiny_mt5},topk=10,maxlen=32,inlen=256)"
    assert (
        gen.prompt(DOCS[0], "ja") == "Generate a Japanese question for this passage: Economy of Finland " + DOCS[0].text
    )
    out = gen.generate(DOCS, ["ja", "te"], 5, seed=7)
    assert len(out) == 2 and all(set(o) == {"ja", "te"} and len(o["ja"]) == 5 for o in out)
    assert all(isinstance(q, str) for o in out for qs in o.values() for q in qs)


def test_mt5_sampling_is_per_passage_seeded(tiny_mt5):
    gen = load_generator(f"mt5(model={tiny_mt5})")
    both = gen.generate(DOCS, ["ar"], 3, seed=7)
    alone = gen.generate(DOCS[1:], ["ar"], 3, seed=7)
    assert both[1] == alone[0]  # independent of what else is in the batch or shard


def test_cldr_generator_uses_localised_names_and_other_templates():
    mini = build_mini()
    gen = load_generator("cldr")
    out = gen.generate(mini.docs, XQG_LANGS, 5, seed=13)
    fi = next(o for d, o in zip(mini.docs, out, strict=True) if d.doc_id == "FI-places")
    assert any("ヘルシンキ" in q for q in fi["ja"]) and any("헬싱키" in q for q in fi["ko"])
    test_questions = {q.text for q in mini.dev + mini.train}
    generated = {q for o in out for qs in o.values() for q in qs}
    assert not generated & test_questions
    prefixes = {
        t.split("{")[0] for kind in templates()["mini"]["questions"].values() for t in kind.values() if t.split("{")[0]
    }
    assert not any(q.startswith(p) for q in generated for p in prefixes)
    assert all(len(o[lang]) <= 5 for o in out for lang in XQG_LANGS)


def test_cldr_generator_is_deterministic_across_processes():
    code = (
        "import json; from xqg_bench.datasets.mini_build import build_mini; "
        "from xqg_bench.xqg.generators import load_generator; "
        "print(json.dumps(load_generator('cldr').generate(build_mini().docs[:40], ['ja','te'], 3, 13)))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env=dict(os.environ, PYTHONHASHSEED=s),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for s in ("1", "999")
    }
    assert len(outs) == 1


def test_released_layout_reader(tmp_path):
    d = tmp_path / "released"
    d.mkdir()
    rec = {
        "docid": "d1",
        "title": "t",
        "text": "x",
        "generated_queries": {"Japanese": ["q1", "q2", "q3"], "ko": ["k1"]},
    }
    (d / "part-000.jsonl").write_text(json.dumps(rec, ensure_ascii=False) + "\n")
    (d / "part-001.jsonl").write_text(json.dumps({**rec, "docid": "d2"}) + "\n")
    gen = load_generator(f"released(path={d})")
    assert gen.spec.startswith("released(md5=")
    out = gen.generate(DOCS, ["ja", "ko", "te"], 2, seed=0)
    assert out[0] == {"ja": ["q1", "q2"], "ko": ["k1"], "te": []}
    (d / "part-002.jsonl").write_text('{"docid": "d3", "generated_queries": ["oops"]}\n')
    with pytest.raises(ValueError, match=r"part-002.jsonl, line 1"):
        load_generator(f"released(path={d})")


@pytest.mark.parametrize(
    "spec, msg",
    [
        ("gpt", "unknown generator"),
        ("cldr(n=3)", "unknown cldr option"),
        ("released", "need path"),
        ("mt5(model=/no/such/dir)", "cannot load generator"),
    ],
)
def test_bad_generator_specs(spec, msg):
    with pytest.raises(ValueError, match=msg):
        load_generator(spec)
