"""Security rules checked on the source: no pickle loading, no remote code by default."""

import pathlib
import re

PACKAGE = pathlib.Path(__file__).parents[1] / "xqg_bench"


def sources():
    return {p: p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py")}


def _unpickling_calls(text: str) -> list[str]:
    """Calls in the code (not in strings, e.g. a conversion command shown to a user) that unpickle."""
    import ast

    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value.id if isinstance(node.func.value, ast.Name) else ""
            if node.func.attr == "read_pickle" or (owner, node.func.attr) in {
                ("pickle", "load"), ("pickle", "loads"), ("torch", "load"), ("dill", "load"), ("joblib", "load")
            }:  # fmt: skip
                found.append(f"{owner}.{node.func.attr} line {node.lineno}")
    return found


def test_no_pickle_anywhere_in_the_package():
    for path, text in sources().items():
        assert not re.search(r"^\s*(import pickle|from pickle|import dill|import joblib)", text, flags=re.M), path
        assert "allow_pickle=True" not in text, path
        assert _unpickling_calls(text) == [], path  # nothing ever unpickled
        if path.name != "encoded_queries.py":
            assert "to_pickle" not in text, path


def test_the_unpickling_check_sees_calls_not_strings():
    assert _unpickling_calls("import pickle\nx = pickle.load(open('f', 'rb'))") == ["pickle.load line 2"]
    assert _unpickling_calls("import pandas as pd\npd.read_pickle('f')") == ["pd.read_pickle line 2"]
    assert _unpickling_calls("msg = \"python -c 'import pickle; pickle.load(f)'\"") == []


def test_the_one_pickle_written_is_pyserini_encoded_queries_on_request():
    """Pyserini reads encoded queries only as a pickled DataFrame: written by `topics --encoded-queries` alone,
    and the help says it is a pickle."""
    writers = [path for path, text in sources().items() if "to_pickle" in text]
    assert [p.name for p in writers] == ["encoded_queries.py"], writers
    import contextlib
    import io

    from xqg_bench.run import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main(["topics", "--help"])
    assert "pickle" in out.getvalue() and "--encoded-queries" in out.getvalue()


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
