"""Security rules checked on the source: no pickle loading, no remote code by default."""

import pathlib
import re

PACKAGE = pathlib.Path(__file__).parents[1] / "xqg_bench"


def sources():
    return {p: p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py")}


def test_no_pickle_anywhere_in_the_package():
    for path, text in sources().items():
        assert not re.search(r"^\s*(import pickle|from pickle|import dill|import joblib)", text, flags=re.M), path
        assert "allow_pickle=True" not in text, path
        assert not re.search(r"read_pickle|to_pickle|torch\.load\(", text), path


def test_every_np_load_refuses_pickles():
    for path, text in sources().items():
        for line in text.splitlines():
            if "np.load(" in line:
                assert "allow_pickle=False" in line, (path, line)


def test_trust_remote_code_is_off_by_default():
    for path, text in sources().items():
        assert "trust_remote_code=True" not in text, path
        for default in re.findall(r"trust_remote_code: bool = (\w+)", text):
            assert default == "False", path
