"""Writers: file sets published as one, checked cache files, confinement, file modes."""

import errno
import os
import subprocess
import sys

import pytest

from xqg_bench.core import atomic
from xqg_bench.core.atomic import publish_set, read_checked, sweep_stale_temps, write_checked

OLD = {"board.md": "old md\n", "board.csv": "old,csv\n", "board.json": '{"old": 1}\n'}
NEW = {"board.md": "new md\n", "board.csv": "new,csv\n", "board.json": '{"new": 1}\n'}


def _set(path) -> dict[str, str]:
    return {f: open(os.path.join(path, f), encoding="utf-8").read() for f in sorted(os.listdir(path))}


def test_a_full_disk_while_a_set_is_written_leaves_the_previous_complete_set(tmp_path, monkeypatch):
    target = str(tmp_path / "board")
    publish_set(target, OLD)
    calls = []

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError, match="No space left") as e:
        publish_set(target, NEW)
    assert e.value.filename == target  # the error names what could not be written
    assert _set(target) == OLD
    assert os.listdir(tmp_path) == ["board"]  # no temporary directory left


@pytest.mark.parametrize("nth", [1, 2, 3])
def test_a_kill_while_a_set_is_written_leaves_the_previous_or_the_new_complete_set(tmp_path, nth):
    target = str(tmp_path / "board")
    publish_set(target, OLD)
    code = f"from xqg_bench.core.atomic import publish_set; publish_set({target!r}, {NEW!r})"
    env = dict(os.environ, XQG_BENCH_TEST_KILL=f"{tmp_path}/.board.*.tmp/*@{nth}")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True)
    assert proc.returncode == -9  # killed after the nth file of the new set
    assert _set(target) == OLD
    assert sweep_stale_temps(str(tmp_path)) == 1 and os.listdir(tmp_path) == ["board"]
    env["XQG_BENCH_TEST_KILL"] = f"{target}@1"  # killed right after the set is in place
    assert subprocess.run([sys.executable, "-c", code], env=env).returncode == -9
    assert _set(target) == NEW


def test_a_swap_cut_between_its_two_renames_is_undone_by_the_sweep(tmp_path):
    """Where the kernel cannot exchange two directories, the previous set is moved aside first; a kill
    before the new set takes its place leaves it aside, and the next run's sweep puts it back."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = atomic._owner().rsplit("-", 1)[0]
    aside = tmp_path / f".board.{host}-{int(dead.stdout)}.{atomic._OLD}x1.tmp"
    publish_set(str(aside), OLD)
    new = tmp_path / f".board.{host}-{int(dead.stdout)}.y2.tmp"
    publish_set(str(new), NEW)
    assert sweep_stale_temps(str(tmp_path)) == 2
    assert os.listdir(tmp_path) == ["board"] and _set(tmp_path / "board") == OLD


def test_the_fallback_swap_without_renameat2_gives_the_new_set(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    target = str(tmp_path / "board")
    publish_set(target, OLD)
    publish_set(target, NEW)
    assert _set(target) == NEW and os.listdir(tmp_path) == ["board"]


def test_checked_files_detect_any_change(tmp_path, capsys):
    path = str(tmp_path / "shard.npy")
    write_checked(path, b"0123456789")
    assert read_checked(path) == b"0123456789"
    with open(path, "r+b") as f:
        f.write(b"X")
    assert read_checked(path) is None
    assert f"warning: {path}: content does not match its checksum" in capsys.readouterr().err
    assert not os.path.exists(path) and not os.path.exists(path + ".sha256")  # removed: rebuilt by the caller
    with open(path, "wb") as f:
        f.write(b"written, checksum not yet")  # a job killed between the two writes
    assert read_checked(path) is None


def test_the_sweep_never_follows_or_deletes_through_a_symlink(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = atomic._owner().rsplit("-", 1)[0]
    outside = tmp_path / "outside"
    outside.mkdir()
    precious = outside / f".notes.{host}-{int(dead.stdout)}.abc.tmp"
    precious.write_text("keep me")
    out = tmp_path / "out"
    (out / "cache").mkdir(parents=True)
    (out / "cache" / "link").symlink_to(outside, target_is_directory=True)
    (out / f".x.{host}-{int(dead.stdout)}.abc.tmp").symlink_to(precious)  # a link named like our temps
    assert sweep_stale_temps(str(out)) == 0
    assert precious.read_text() == "keep me" and os.path.islink(out / f".x.{host}-{int(dead.stdout)}.abc.tmp")
    with pytest.raises(ValueError, match=f"{out}/cache/link is a symbolic link"):
        atomic.ensure_output_dir(str(out))


def test_file_modes_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic.atomic_write_text(str(tmp_path / "a.txt"), "x")
        publish_set(str(tmp_path / "set"), {"f.md": "x"})
        os.umask(0o077)
        atomic.atomic_write_text(str(tmp_path / "b.txt"), "x")
    finally:
        os.umask(old)
    assert oct(os.stat(tmp_path / "a.txt").st_mode & 0o777) == "0o644"
    assert oct(os.stat(tmp_path / "set").st_mode & 0o777) == "0o755"
    assert oct(os.stat(tmp_path / "set" / "f.md").st_mode & 0o777) == "0o644"
    assert oct(os.stat(tmp_path / "b.txt").st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    "stem, needle",
    [
        ("", "is empty"),
        (".hidden", "starts with '.'"),
        ("a\x00b", "NUL"),
        ("a/b", "path separator"),
        ("x" * 228, "228 bytes long"),
    ],
)
def test_bad_stems_are_refused(stem, needle):
    with pytest.raises(ValueError, match=needle):
        atomic.check_stem(stem)


def test_check_not_input_refuses_an_output_that_is_an_input(tmp_path):
    from xqg_bench.core.atomic import check_not_input

    run = tmp_path / "a.trec"
    run.write_text("x\n")
    link = tmp_path / "link.trec"
    link.symlink_to(run)
    check_not_input(str(tmp_path / "b.trec"), [str(run), str(tmp_path / "missing.trec")])
    for out in (run, link):
        with pytest.raises(ValueError, match=f"--out {out} is the input {run}: it would be overwritten"):
            check_not_input(str(out), [str(run)], "--out")
