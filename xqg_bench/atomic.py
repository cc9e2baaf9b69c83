"""Atomic writes: write to a temporary file in the target directory, then rename.

Temporary names are ``.<final name>.<host>-<pid>.<random>.tmp``: a job killed mid-write leaves
only such a file (never a partial file under the final name), and ``sweep_stale_temps`` removes
those whose process on this host is gone (the next run of the job calls it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO


def _owner() -> str:
    host = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"
    return f"{host}-{os.getpid()}"


def _temp_prefix(path: str) -> str:
    return f".{os.path.basename(path)}.{_owner()}."


_TEMP = re.compile(r"^\..+\.(?P<host>[A-Za-z0-9_-]+)-(?P<pid>\d+)\.[^.]+\.tmp$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_temps(root: str) -> int:
    """Remove temporary files and directories under ``root`` left by killed jobs of this host (their pid
    is gone); return how many.  Temps of live jobs, of other hosts and any other file are kept."""
    if not os.path.isdir(root):
        return 0
    host = _owner().rsplit("-", 1)[0]
    removed = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*filenames, *dirnames]:
            m = _TEMP.match(name)
            if not m or m.group("host") != host or _alive(int(m.group("pid"))):
                continue
            path = os.path.join(dirpath, name)
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
                dirnames.remove(name)
            else:
                os.unlink(path)
            removed += 1
    return removed


@contextmanager
def atomic_open(path: str, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temp file beside ``path``; on success rename it over ``path``; on error remove it."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=_temp_prefix(path), suffix=".tmp")
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str, text: str) -> None:
    with atomic_open(path, "w") as f:
        f.write(text)


def atomic_write_json(path: str, obj: object) -> None:
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def atomic_save_npy(path: str, array) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    with atomic_open(path, "wb") as f:
        np.save(f, array, allow_pickle=False)


@contextmanager
def atomic_dir(path: str) -> Iterator[str]:
    """Build a directory under a temp name and rename it into place when complete."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=_temp_prefix(path), suffix=".tmp")
    try:
        yield tmp
        if os.path.exists(path):
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def output_path(out_dir: str, *names: str) -> str:
    """``out_dir/names...`` after checking that each name is a plain file name: outputs stay inside ``out_dir``."""
    for name in names:
        if not name or name in (".", "..") or os.sep in name or (os.altsep and os.altsep in name):
            raise ValueError(f"{name!r} is not a plain file name: outputs must stay inside {out_dir}")
    return os.path.join(out_dir, *names)


def ensure_output_dir(path: str, flag: str = "--output-dir") -> None:
    """Create ``path`` if needed and check that a file can be written in it (ValueError with the fix if
    not); then remove the temporary files killed jobs left in it."""
    try:
        os.makedirs(path, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=_temp_prefix("write-probe"), suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise ValueError(
            f"cannot write to the output directory {path} ({e.strerror or e}); choose a writable {flag}"
        ) from None
    sweep_stale_temps(path)


def job_dir(path: str) -> str:
    """Create a resumable job's shard directory, removing temporaries a killed run of it left."""
    os.makedirs(path, exist_ok=True)
    sweep_stale_temps(path)
    return path
