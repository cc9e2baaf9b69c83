"""Regression conditions in the style of Pyserini's two-click reproductions (2CR).

A YAML file names a command, where its score files land, the expected per-language scores of
each system, and two tolerances; optionally ``requires``: environment variables the command
needs, each with what to put in it (``{NAME}`` in the command is replaced by its value, e.g. the
directory of downloaded files on a GPU node).  ``python -m xqg_bench.run regress FILE`` runs the command
(unless ``--skip-run``), reads the scores and grades every (system, measure, language):
OK (|diff| <= ok), OKish (<= okish) or FAIL; any FAIL exits non-zero.  ``--pin`` rewrites the
expected scores from the current outputs (for maintainers, after a deliberate change).
:func:`regress` does all of it for several files (the ``regress`` command), :func:`check_files` the
dry run.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from xqg_bench.core.atomic import atomic_write_text
from xqg_bench.core.textfile import read_utf8


class Grade(NamedTuple):
    system: str
    measure: str
    lang: str
    expected: float
    got: float | None
    grade: str  # OK | OKish | FAIL


class Outcome(NamedTuple):
    """One regression file done: its grades, or None when its expected scores were pinned instead."""

    path: str
    output_dir: str
    grades: list[Grade] | None

    @property
    def failed(self) -> bool:
        """Any FAIL, or nothing graded at all."""
        return self.grades is not None and (not self.grades or any(g.grade == "FAIL" for g in self.grades))

    def lines(self) -> list[str]:
        """One line per grade and a count line (or the pinning line)."""
        if self.grades is None:
            return [f"{self.path}: expected scores pinned from {self.output_dir}"]
        lines = []
        for g in self.grades:
            got = "missing" if g.got is None else f"{g.got:.4f}"
            lines.append(
                f"{g.grade:5s} {self.path} {g.system} {g.measure} {g.lang}: expected {g.expected:.4f}, got {got}"
            )
        counts = {k: sum(g.grade == k for g in self.grades) for k in ("OK", "OKish", "FAIL")}
        lines.append(f"{self.path}: {counts['OK']} OK, {counts['OKish']} OKish, {counts['FAIL']} FAIL")
        return lines


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
            raise ValueError(
                f"{path}: missing key {key!r} (see regressions/README or xqg_bench/experiment/regression.py)"
            )
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


def command_argv(spec: dict, output_dir: str, env: dict[str, str] | None = None) -> list[str]:
    """The command as argv, ``{output_dir}`` and the ``requires`` variables (from ``env``, default the
    environment) filled in; ValueError naming each required variable that is not set and what it holds."""
    env = dict(os.environ if env is None else env)
    required = spec.get("requires") or {}
    missing = [f"{name} ({what})" for name, what in required.items() if not env.get(name)]
    if missing:
        raise ValueError(f"{spec.get('name', 'regression')}: set {'; '.join(missing)}")
    try:
        text = spec["command"].format(output_dir=output_dir, **{name: env[name] for name in required})
    except (KeyError, IndexError) as e:
        raise ValueError(f"command names {{{e.args[0]}}}, which is neither output_dir nor in 'requires'") from None
    cmd = shlex.split(text)
    if cmd[:1] == ["python"]:
        cmd[0] = sys.executable
    return cmd


def run_command(spec: dict, output_dir: str) -> None:
    subprocess.run(command_argv(spec, output_dir), check=True)


def check_command(spec: dict, path: str, parser: argparse.ArgumentParser) -> list[str]:
    """A dry run: the command is the harness's main command, every option parses as ``parser`` parses it
    (a fresh ``run.main_parser()``, passed in by the CLI; its ``error`` is replaced), and the dataset ID,
    encoder, generator and variant specs are well-formed; nothing is loaded, fetched or run.  Returns the
    argv checked (required variables filled with placeholders)."""
    from xqg_bench.encoders import check_encoder_spec
    from xqg_bench.experiment.pipeline import load_generator_spec_check

    env = {name: f"<{name}>" for name in spec.get("requires") or {}}
    argv = command_argv(spec, "<output_dir>", env)
    if argv[1:3] != ["-m", "xqg_bench.run"] or (len(argv) > 3 and not argv[3].startswith("-")):
        raise ValueError(f"{path}: the command must be the main command `python -m xqg_bench.run --option ...`")

    def refuse(message: str) -> None:
        raise ValueError(f"{path}: {message}")

    parser.error = refuse  # type: ignore[method-assign, assignment]
    args = parser.parse_args(argv[3:])
    if args.output_dir != "<output_dir>":
        raise ValueError(f"{path}: the command must write into --output-dir {{output_dir}}")
    try:
        check_encoder_spec(args.encoder)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    if not args.no_xqg:
        load_generator_spec_check(args.generator)
    from xqg_bench.datasets import register_datasets
    from xqg_bench.perturb.families import parse_variant

    for v in args.variant or []:
        parse_variant(v)
    register_datasets()
    from xqg_bench.datasets import resolves, unknown_id_message

    if not resolves(args.dataset):  # registered or built by a pattern (sub-corpus, variants); nothing is fetched
        raise ValueError(f"{path}: dataset {args.dataset!r} is not registered: {unknown_id_message(args.dataset)}")
    return argv


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


def regress(
    paths: Sequence[str], output_dir: str | None = None, skip_run: bool = False, pin_expected: bool = False
) -> Iterator[Outcome]:
    """Each regression file in turn: run its command (unless ``skip_run``) into ``output_dir`` (default: a
    temporary directory per file, removed afterwards), then grade its scores, or with ``pin_expected``
    rewrite its expected scores from them.  Outcomes come as each file is done."""
    if skip_run and not output_dir:
        raise ValueError("--skip-run needs --output-dir (the outputs to grade)")
    with tempfile.TemporaryDirectory(prefix="xqg-regress-") as tmp:
        for path in paths:
            spec = load(path)
            out = output_dir or os.path.join(tmp, os.path.splitext(os.path.basename(path))[0])
            if not skip_run:
                run_command(spec, out)
            if pin_expected:
                pin(spec, out, path)
                yield Outcome(path, out, None)
            else:
                yield Outcome(path, out, grade(spec, out, path))


def check_files(paths: Sequence[str], parser: Callable[[], argparse.ArgumentParser]) -> Iterator[str]:
    """The dry run of each file (:func:`check_command` with a fresh ``parser()``), a line each as it passes:
    ``FILE: valid: python -m xqg_bench.run ...``."""
    for path in paths:
        argv = check_command(load(path), path, parser())
        yield f"{path}: valid: {shlex.join(['python', *argv[1:]])}"
