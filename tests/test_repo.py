"""Repository contract: CI runs the README's test command; the import structure holds."""

import os
import re
import subprocess
import sys
import tomllib

import grimp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_ci_runs_the_readme_test_command():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    block = re.search(r"```bash\n(.*?)```", readme, flags=re.S).group(1)
    commands = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2 and "xqg_bench.run" in commands[0] and "pytest" in commands[1]
    ci = open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8").read()
    assert commands[1] in ci.splitlines()


def test_top_level_layout():
    for name in ("xqg_bench", "runs", "qrels", "tests", "setup.cfg", "pyproject.toml", "README.md"):
        assert os.path.exists(os.path.join(ROOT, name)), name


def test_import_contracts_hold():
    """``lint-imports`` (the contracts in pyproject.toml: layers in flow order, no cycles) passes on this tree."""
    lint = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([lint, "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout and "KEPT" in out.stdout


def _imports_on_cycles(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    """Every direct import ``a -> b`` such that ``b`` leads back to ``a``."""
    return [
        (a, b)
        for a in sorted(graph.modules)
        for b in sorted(graph.find_modules_directly_imported_by(a))
        if graph.chain_exists(importer=b, imported=a)
    ]


def test_no_import_cycle_between_any_two_modules():
    """Function-level imports count: grimp records every import statement.  Also covers a package and its own
    children (``acyclic_siblings`` compares siblings only).  The exceptions are the ones the layers contract
    lists (``ignore_imports``)."""
    graph = grimp.build_graph("xqg_bench", cache_dir=None)
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        contracts = tomllib.load(f)["tool"]["importlinter"]["contracts"]
    for expression in next(c for c in contracts if c["id"] == "layers").get("ignore_imports", []):
        importer, imported = (m.strip() for m in expression.split("->"))
        graph.remove_import(importer=importer, imported=imported)  # the exceptions the contracts list
    assert _imports_on_cycles(graph) == []
    graph.add_import(importer="xqg_bench.core.spec", imported="xqg_bench.encoders.base")  # the check can fail
    assert ("xqg_bench.core.spec", "xqg_bench.encoders.base") in _imports_on_cycles(graph)
