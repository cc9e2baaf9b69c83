"""Regression conditions in the style of Pyserini's two-click reproductions (2CR).

A YAML file names a command, where its score files land, the expected per-language scores of
each system, and two tolerances.  ``python -m xqg_bench.run regress FILE`` runs the command
(unless ``--skip-run``), reads the scores and grades every (system, measure, language):
OK (|diff| <= ok), OKish (<= okish) or FAIL; any FAIL exits non-zero.  ``--pin`` rewrites the
expected scores from the current outputs (for maintainers, after a deliberate change).
"""

from __future__ import annotations

import glob
import json
import os
import shlex
import subprocess
import sys
from typing import NamedTuple

from xqg_bench.atomic import atomic_write_text
from xqg_bench.textfile import read_utf8


class Grade(NamedTuple):
    system: str
    measure: str
    lang: str
    expected: float
    got: float | None
    grade: str  # OK | OKish | FAIL


def load(path: str) -> dict:
    import yaml

    try:
        spec = yaml.safe_load(read_utf8(path))
    except FileNotFoundError:
        raise ValueError(f"regression file {path} does not exist") from None
    except yaml.YAMLError as e:
        raise ValueError(f"{path}: not valid YAML ({e})") from None
    for key in ("command", "scores", "tolerance"):
        if key not in (spec or {}):
            raise ValueError(f"{path}: missing key {key!r} (see regressions/README or xqg_bench/regression.py)")
    return spec


def _scores(spec: dict, output_dir: str, path: str) -> dict[str, dict]:
    out = {}
    for system, pattern in spec["scores"].items():
        found = sorted(glob.glob(os.path.join(output_dir, pattern)))
        index = os.path.join(output_dir, "index.json")
        if len(found) > 1 and os.path.exists(index):  # several experiments: the one finished last
            with open(index, encoding="utf-8") as f:
                latest = json.load(f).get("latest", "")
            found = [p for p in found if latest and f"-{latest}." in os.path.basename(p)]
        if len(found) != 1:
            raise ValueError(
                f"{path}: scores pattern {pattern!r} of {system!r} matched {len(found)} files in {output_dir}"
            )
        with open(found[0], encoding="utf-8") as f:
            out[system] = json.load(f)["table"]
    return out


def run_command(spec: dict, output_dir: str) -> None:
    cmd = shlex.split(spec["command"].format(output_dir=output_dir))
    if cmd[:1] == ["python"]:
        cmd[0] = sys.executable
    subprocess.run(cmd, check=True)


def grade(spec: dict, output_dir: str, path: str) -> list[Grade]:
    tables = _scores(spec, output_dir, path)
    ok, okish = float(spec["tolerance"]["ok"]), float(spec["tolerance"]["okish"])
    grades = []
    for system, measures in (spec.get("expected") or {}).items():
        for measure, per_lang in measures.items():
            for lang, expected in per_lang.items():
                got = tables.get(system, {}).get(lang, {}).get(measure)
                if got is None:
                    g = "FAIL"
                else:
                    diff = abs(float(got) - float(expected))
                    g = "OK" if diff <= ok else "OKish" if diff <= okish else "FAIL"
                grades.append(Grade(system, measure, lang, float(expected), None if got is None else float(got), g))
    return grades


def pin(spec: dict, output_dir: str, path: str) -> None:
    import yaml

    tables = _scores(spec, output_dir, path)
    expected = {}
    for system, table in tables.items():
        measures = [m for m in next(iter(table.values())) if m != "n"]
        expected[system] = {m: {lang: round(float(row[m]), 4) for lang, row in table.items()} for m in measures}
    spec = dict(spec, expected=expected)
    atomic_write_text(path, yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=120))
