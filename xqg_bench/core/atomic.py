"""Atomic writes: write to a temporary file in the target directory, then rename.

Temporary names are ``.<final name>.<host>-<pid>.<random>.tmp``: a job killed mid-write leaves
only such a file (never a partial file under the final name), and ``sweep_stale_temps`` removes
those whose process on this host is gone (the next run of the job calls it).  Files and directories
are created with the modes the umask gives (as ``open`` would), not the 0600/0700 of ``tempfile``.

Cached artefacts are written with ``write_checked``/``save_npy_checked``: a ``<file>.sha256`` beside
the file (``sha256sum -c`` format), written after the file is complete, is checked by
``read_checked``/``load_npy_checked`` whenever the file is reused; a file that does not match is
named on stderr, removed and rebuilt.  Files that form a set (a leaderboard in five formats) are
published together by ``publish_set``: written into a temporary directory that replaces the
previous set in one rename.

Test hook: ``XQG_BENCH_TEST_KILL=PATTERN@N`` makes the process SIGKILL itself right after the N-th
file whose absolute path matches the ``fnmatch`` PATTERN is in place (used by the fault suite to
kill every stage at a chosen point on any machine; it changes nothing else).
"""

from __future__ import annotations

import ctypes
import errno
import fnmatch
import hashlib
import io
import json
import os
import re
import shutil
import signal
import socket
import stat
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO

CHECKSUM_SUFFIX = ".sha256"


def _owner() -> str:
    host = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"
    return f"{host}-{os.getpid()}"


def _temp_prefix(path: str) -> str:
    return f".{os.path.basename(path)}.{_owner()}."


_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<host>[A-Za-z0-9_-]+)-(?P<pid>\d+)\.(?P<rand>[^.]+)\.tmp$")
_OLD = "prev"  # random part of a previous set moved aside by publish_set (restored if the swap was cut)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode(directory: bool = False) -> int:
    return (0o777 if directory else 0o666) & ~_umask()


_kill_count = 0


def _written(path: str) -> None:
    """Test hook (see the module docstring): count files put in place; SIGKILL at the N-th match."""
    global _kill_count
    hook = os.environ.get("XQG_BENCH_TEST_KILL")
    if not hook:
        return
    pattern, _, n = hook.rpartition("@")
    if fnmatch.fnmatchcase(os.path.abspath(path), pattern):
        _kill_count += 1
        if _kill_count >= int(n):
            os.kill(os.getpid(), signal.SIGKILL)


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
    is gone); return how many.  Temps of live jobs, of other hosts, symbolic links and any other file
    are kept; nothing is followed through a symbolic link.  A previous file set that a killed
    ``publish_set`` had moved aside is put back when no set took its place."""
    if not os.path.isdir(root) or os.path.islink(root):
        return 0
    host = _owner().rsplit("-", 1)[0]
    removed = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*filenames, *dirnames]:
            m = _TEMP.match(name)
            if not m or m.group("host") != host or _alive(int(m.group("pid"))):
                continue
            path = os.path.join(dirpath, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISDIR(mode):
                final = os.path.join(dirpath, m.group("name"))
                if m.group("rand").startswith(_OLD) and not os.path.lexists(final):
                    os.replace(path, final)  # the swap was cut between its two renames: the previous set stays
                else:
                    shutil.rmtree(path, ignore_errors=True)
                dirnames.remove(name)
            elif stat.S_ISREG(mode):
                os.unlink(path)
            else:
                continue
            removed += 1
    return removed


@contextmanager
def atomic_open(path: str, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temp file beside ``path``; on success rename it over ``path``; on error remove it."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o777, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=_temp_prefix(path), suffix=".tmp")
    try:
        os.fchmod(fd, _mode())
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.filename is None and e.errno:  # e.g. [Errno 28] from write: name the file
            raise OSError(e.errno, e.strerror or str(e), path) from None
        raise
    _written(path)


def atomic_write_text(path: str, text: str) -> None:
    with atomic_open(path, "w") as f:
        f.write(text)


def atomic_write_json(path: str, obj: object) -> None:
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def atomic_save_npy(path: str, array) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    with atomic_open(path, "wb") as f:
        np.save(f, array, allow_pickle=False)


# -- checked cache files -------------------------------------------------------------------------


def write_checked(path: str, data: bytes) -> str:
    """Write ``data`` atomically, then its ``.sha256`` (the file counts as complete once both exist);
    return the sha256."""
    digest = hashlib.sha256(data).hexdigest()
    with atomic_open(path, "wb") as f:
        f.write(data)
    atomic_write_text(path + CHECKSUM_SUFFIX, f"{digest}  {os.path.basename(path)}\n")
    return digest


def npy_bytes(array) -> bytes:  # type: ignore[no-untyped-def]
    import numpy as np

    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def save_npy_checked(path: str, array) -> str:  # type: ignore[no-untyped-def]
    return write_checked(path, npy_bytes(array))


def recorded_checksum(path: str) -> str | None:
    """The sha256 recorded for ``path`` when it was completed, or None if there is none (or it is damaged)."""
    try:
        with open(path + CHECKSUM_SUFFIX, encoding="ascii") as f:
            digest = f.read(64)
    except (OSError, UnicodeDecodeError):
        return None
    return digest if re.fullmatch(r"[0-9a-f]{64}", digest) else None


def discard(path: str, why: str) -> None:
    """Name a damaged cache file on stderr and remove it and its checksum (it will be rebuilt)."""
    print(f"warning: {path}: {why}; removing the damaged cache file, it is rebuilt", file=sys.stderr)
    for p in (path, path + CHECKSUM_SUFFIX):
        if os.path.lexists(p):
            os.unlink(p)


def read_checked(path: str) -> bytes | None:
    """The bytes of a cache file written by ``write_checked`` if they match their recorded sha256; None if
    the file is absent or incomplete; a damaged file is named on stderr, removed and None returned."""
    refuse_symlink(path)
    if not os.path.exists(path):
        return None
    digest = recorded_checksum(path)
    if digest is None:
        return None  # written but its checksum not yet (a killed job): rebuilt
    with open(path, "rb") as f:
        data = f.read()
    if hashlib.sha256(data).hexdigest() != digest:
        discard(path, f"content does not match its checksum {digest[:12]}… ({os.path.basename(path)}{CHECKSUM_SUFFIX})")
        return None
    return data


def is_complete(path: str) -> bool:
    """Whether a checked cache file is present and intact (a damaged one is removed: rebuild it)."""
    return read_checked(path) is not None


def load_npy(data: bytes | str, name: str):  # type: ignore[no-untyped-def]
    """``np.load`` without pickle of a file (path) or its bytes; a damaged file gives a ValueError naming it."""
    import numpy as np

    try:
        return np.load(io.BytesIO(data) if isinstance(data, bytes) else data, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(
            f"{name}: not a readable .npy array file ({type(e).__name__}); the file is damaged: delete it and rerun"
        ) from None


def load_npy_checked(path: str):  # type: ignore[no-untyped-def]
    """A checked ``.npy`` (see ``read_checked``), or None when it must be rebuilt."""
    data = read_checked(path)
    if data is None:
        return None
    try:
        return load_npy(data, path)
    except ValueError as e:
        discard(path, str(e).split(": ", 1)[-1])
        return None


def read_json(path: str, what: str = "cache metadata"):  # type: ignore[no-untyped-def]
    """A JSON file whose damage (truncation, bad UTF-8, not JSON) is a ValueError naming it."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ValueError(f"{path}: {what} is not valid JSON ({type(e).__name__}); the file is damaged") from None


def file_sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


# -- directories, sets -----------------------------------------------------------------------------


def _exchange(a: str, b: str) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), b)


@contextmanager
def atomic_dir(path: str) -> Iterator[str]:
    """Build a directory under a temp name and put it in place when complete, replacing a previous one in
    one step (a reader sees the previous directory or the new one, never a mix)."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, mode=0o777, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=_temp_prefix(path), suffix=".tmp")
    try:
        os.chmod(tmp, _mode(directory=True))
        yield tmp
        if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
            raise ValueError(f"{path} exists and is not a directory (or is a symbolic link): remove it and rerun")
        if not os.path.exists(path):
            os.replace(tmp, path)
        elif _exchange(tmp, path):
            shutil.rmtree(tmp)  # now the previous directory
        else:  # two renames; a kill between them is undone by sweep_stale_temps
            aside = tempfile.mktemp(dir=parent, prefix=_temp_prefix(path) + _OLD, suffix=".tmp")
            os.replace(path, aside)
            os.replace(tmp, path)
            shutil.rmtree(aside)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError) and e.filename is None and e.errno:
            raise OSError(e.errno, e.strerror or str(e), path) from None
        raise
    _written(path)


def publish_set(path: str, files: Mapping[str, str | bytes]) -> dict[str, str]:
    """Write ``files`` (name -> text or bytes) as the directory ``path``, all together: a reader (or a
    kill or full disk meanwhile) sees the previous complete set or the new one, never a mix.  Return
    name -> path."""
    with atomic_dir(path) as tmp:
        for name, data in files.items():
            target = output_path(tmp, name)
            with open(target, "wb") as f:
                f.write(data.encode("utf-8") if isinstance(data, str) else data)
                f.flush()
                os.fsync(f.fileno())
            _written(target)
    return {name: os.path.join(path, name) for name in files}


# -- names and places --------------------------------------------------------------------------------

MAX_STEM_BYTES = 200  # + the longest suffix we add stays under the 255-byte file-name limit


def slug(text: str) -> str:
    """A file-name part from a spec, dataset ID or name: ``[A-Za-z0-9._+-]`` only."""
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-")


def output_path(out_dir: str, *names: str) -> str:
    """``out_dir/names...`` after checking that each name is a plain file name: outputs stay inside ``out_dir``."""
    for name in names:
        if not name or name in (".", "..") or os.sep in name or (os.altsep and os.altsep in name):
            raise ValueError(f"{name!r} is not a plain file name: outputs must stay inside {out_dir}")
    return os.path.join(out_dir, *names)


def check_stem(stem: str, flag: str = "--stem") -> str:
    """A file-name stem checked before any work: not empty, no leading '.', no NUL, no path separator,
    no control character, at most 200 bytes (so every ``<stem>.<suffix>`` fits a file name)."""
    problem = None
    if not stem.strip():
        problem = "is empty"
    elif os.sep in stem or (os.altsep and os.altsep in stem):
        problem = "contains a path separator"
    elif stem.startswith("."):
        problem = "starts with '.' (hidden files)"
    elif "\x00" in stem or any(ord(c) < 32 for c in stem):
        problem = "contains a NUL or control character"
    elif len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        problem = f"is {len(stem.encode('utf-8'))} bytes long (at most {MAX_STEM_BYTES})"
    if problem:
        raise ValueError(f"{flag} {stem[:60]!r} {problem}: use a short plain file name such as 'leaderboard'")
    return stem


def refuse_symlink(path: str) -> None:
    if os.path.islink(path):
        raise ValueError(
            f"{path} is a symbolic link: cache files must be real files inside the output directory; remove it "
            "and rerun"
        )


def check_no_symlinks(root: str) -> None:
    """ValueError naming the first symbolic link at or below ``root`` (nothing is followed)."""
    refuse_symlink(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            refuse_symlink(os.path.join(dirpath, name))


def same_file(a: str, b: str) -> bool:
    """Whether two paths name the same file (or would: same real path)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_not_input(output: str, inputs: Sequence[str], flag: str = "--output") -> None:
    """Refuse an output that is one of the inputs (it would be destroyed), before any work."""
    for path in inputs:
        if os.path.exists(path) and same_file(output, path):
            raise ValueError(f"{flag} {output} is the input {path}: it would be overwritten; write to another file")


def ensure_output_dir(path: str, flag: str = "--output-dir") -> None:
    """Create ``path`` if needed and check that a file can be written in it (ValueError with the fix if
    not); then remove the temporary files killed jobs left in it."""
    try:
        os.makedirs(path, mode=0o777, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=_temp_prefix("write-probe"), suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise ValueError(
            f"cannot write to the output directory {path} ({e.strerror or e}); choose a writable {flag}"
        ) from None
    cache = os.path.join(path, "cache")
    if os.path.lexists(cache):
        check_no_symlinks(cache)
    sweep_stale_temps(path)


def job_dir(path: str) -> str:
    """Create a resumable job's shard directory, removing temporaries a killed run of it left."""
    refuse_symlink(path)
    os.makedirs(path, mode=0o777, exist_ok=True)
    sweep_stale_temps(path)
    return path


def settle_meta(path: str, meta: dict, complete: bool) -> None:
    """Once every shard of a cache directory is complete, its ``meta.json`` is ``meta``: a file that
    describes something else (or cannot be read) is named and replaced, never rewritten silently."""
    if not complete:
        return
    if os.path.exists(path):
        try:
            if read_json(path) != meta:
                raise ValueError("it does not describe these shards")
        except ValueError as e:
            discard(path, str(e).split(": ", 1)[-1])
    if not os.path.exists(path):
        atomic_write_json(path, meta)
