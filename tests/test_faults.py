"""Kill -9 at chosen points of every stage of the command: nothing partial, byte-identical resume.

One uninterrupted run (the reference) and one run that is SIGKILLed again and again: once in each
stage (passage encoding, indexing, query generation, query encoding, search, reporting), each
time right after the n-th new file of the stage is in place (n seeded random, below the stage's
file count), then resumed.  The process kills itself through the writers' test hook
(``XQG_BENCH_TEST_KILL``, see ``xqg_bench.core.atomic``), so every kill lands inside its stage whatever the
machine's speed.  After every kill each file under a final name is byte-identical to the
reference's; after the last resume the whole output tree (caches included) is byte-identical and
no temporary file is left.  The two runs use different PYTHONHASHSEED and thread counts.
``XQG_FAULT_SEED`` picks other kill points (default 2026).
"""

import glob
import os
import random
import subprocess
import sys

import pytest
from conftest import file_tree

SEED = int(os.environ.get("XQG_FAULT_SEED", "2026"))

# stage: the files (below the output directory; fnmatch, '*' spans directories) whose n-th new one
# ends the process, n's range, and the files (and how many) that exist once the stage is over
STAGES = {
    "passage encoding": ("cache/embeddings/*/shard-*.npy", (1, 25), "cache/embeddings/*/meta.json", 1),
    "indexing": ("cache/indexes/.*.tmp/meta.json", (1, 1), "cache/indexes/*/meta.json", 1),
    "query generation": ("cache/generated/*/shard-*.jsonl", (1, 25), "cache/generated/*/manifest.json", 1),
    "query encoding": ("cache/qembeddings/*/qemb-*.npy", (1, 25), "cache/qembeddings/*/meta.json", 1),
    "search": ("*.trec", (1, 5), "variants/*/*.scores.json", 4),
    "reporting": (".*.leaderboard.*.tmp/*", (1, 4), "*.severity.png", 1),
}


def command(out: str, model: str) -> list[str]:
    return [
        sys.executable, "-m", "xqg_bench.run", "--dataset", "xqg-bench:mini/dev/ja", "--encoder", f"hf(model={model})",
        "--xqg-n", "2", "--xqg-langs", "ja,ko", "--variant", "typo(kind=keyboard,n=1,seed=13)",
        "--variant", "typo(kind=keyboard,n=2,seed=13)", "--samples", "200", "--shard-size", "32", "--no-progress",
        "--output-dir", out,
    ]  # fmt: skip


def env(hash_seed: str, threads: str) -> dict[str, str]:
    return dict(os.environ, PYTHONHASHSEED=hash_seed, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)


def kill_at(cmd: list[str], out: str, pattern: str, count: int, environ: dict) -> bool:
    """Run ``cmd`` until it SIGKILLs itself right after the ``count``-th new file matching ``pattern``
    (below ``out``); True if it was killed so (and did not finish first)."""
    hook = dict(environ, XQG_BENCH_TEST_KILL=f"{os.path.abspath(out)}/{pattern}@{count}")
    proc = subprocess.run(cmd, env=hook, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)
    return proc.returncode == -9


@pytest.fixture(scope="module")
def reference(tmp_path_factory, tiny_models):
    out = str(tmp_path_factory.mktemp("reference") / "out")
    subprocess.run(command(out, tiny_models["bert"]), env=env("1", "1"), check=True, capture_output=True)
    return out, file_tree(out)


def test_killed_at_random_points_of_every_stage_then_resumed_is_byte_identical(reference, tiny_models, tmp_path):
    ref_dir, ref = reference
    assert os.listdir(os.path.dirname(ref_dir)) == ["out"]  # nothing written outside the output directory
    assert any(k.endswith(".severity.png") for k in ref) and any(k.endswith(".leaderboard.html") for k in ref)
    out = str(tmp_path / "out")
    cmd = command(out, tiny_models["bert"])
    rng = random.Random(SEED)
    landed = []  # stages killed before they were over
    for stage, (pattern, (lo, hi), done, n_done) in STAGES.items():
        count = rng.randint(lo, hi)
        killed = kill_at(cmd, out, pattern, count, env(str(rng.randrange(10**6)), "2"))
        if killed and len(glob.glob(os.path.join(out, done))) < n_done:
            landed.append(stage)
        now = file_tree(out)
        for name, data in now.items():
            if any(part.startswith(".") and part.endswith(".tmp") for part in name.split("/")):
                continue  # a temporary file (or directory) of the killed write: never under a final name
            assert name in ref, f"killed in {stage}: {name} should not exist"
            assert data == ref[name], f"killed in {stage}: {name} is partial or different"
    assert landed == list(STAGES), f"only {landed} were killed before they were over"
    # the resume finishes the work and matches the uninterrupted run, byte for byte, with no temporaries left
    subprocess.run(cmd, env=env("777", "2"), check=True, capture_output=True)
    final = file_tree(out)
    assert sorted(final) == sorted(ref)
    assert [k for k in final if final[k] != ref[k]] == []


def test_stale_temporaries_of_dead_processes_are_swept_and_live_ones_kept(tmp_path):
    from xqg_bench.core.atomic import _owner, ensure_output_dir

    host = _owner().rsplit("-", 1)[0]
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    (tmp_path / "sub").mkdir()
    stale = tmp_path / "sub" / f".shard-00001.npy.{host}-{dead_pid}.abc123.tmp"
    stale.write_bytes(b"partial")
    stale_dir = tmp_path / f".index.{host}-{dead_pid}.x_y.tmp"
    stale_dir.mkdir()
    (stale_dir / "index").write_bytes(b"partial")
    live = tmp_path / f".run.trec.{host}-{os.getpid()}.q.tmp"
    live.write_bytes(b"being written")
    other_host = tmp_path / f".run.trec.{host}x-{dead_pid}.q.tmp"
    other_host.write_bytes(b"another node's job")
    kept = tmp_path / "notes.tmp"
    kept.write_bytes(b"not ours")
    ensure_output_dir(str(tmp_path))
    assert not stale.exists() and not stale_dir.exists()
    assert live.exists() and other_host.exists() and kept.exists()
