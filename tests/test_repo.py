"""Repository contract: CI runs the README's test command."""

import os
import re

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
