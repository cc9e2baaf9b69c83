"""Peak RSS of a streamed Flat index build and of a search when the doc ids dominate memory.

    python benchmarks/docid_memory.py [--ids 2000000] [--work DIR]

Writes an embedding cache of ``--ids`` 4-d random vectors (the index is then 16 bytes a row, so the
doc ids are most of the memory) and ``ids.txt`` (integer ids, as in the XOR-TyDi corpus), then, each
in a fresh process whose peak RSS is read with ``os.wait4``:

  build   ``index.write_index_streamed`` with the ids read from ``ids.txt`` as the code accepts them
          (``--ids-as list``: a Python list, what every caller passed before; ``file``: a ``LineFile``)
  search  50 questions, depth 100, through the harness's Pyserini searcher (``search.search``)

and checks that both builds wrote the same bytes.  To compare two commits, run it with
``PYTHONPATH`` at each (the ``file`` build needs ``textfile.LineFile``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

CHILD = r"""
import os, sys
import numpy as np
what, root, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
emb = os.path.join(root, "emb")
if what == "prep":
    from xqg_bench.core.atomic import atomic_write_json, save_npy_checked
    os.makedirs(emb)
    rng, step = np.random.default_rng(0), 500_000
    for i, s in enumerate(range(0, n, step)):
        part = rng.standard_normal((min(step, n - s), 4)).astype(np.float32)
        save_npy_checked(os.path.join(emb, f"shard-{i:05d}.npy"), part)
    atomic_write_json(os.path.join(emb, "meta.json"), {"signature": "x", "count": n, "dim": 4, "shards": -(-n // step)})
    with open(os.path.join(root, "ids.txt"), "w") as f:
        f.writelines(f"{i + 1}\n" for i in range(n))
elif what.startswith("build:"):
    from xqg_bench.retrieval.index import write_index_streamed
    if what == "build:list":
        with open(os.path.join(root, "ids.txt")) as f:
            ids = [line.rstrip("\n") for line in f]
    else:
        from xqg_bench.core.textfile import LineFile
        ids = LineFile(os.path.join(root, "ids.txt"))
    write_index_streamed(os.path.join(root, what[6:]), emb, ids, {"signature": "x"})
elif what == "search":
    from xqg_bench.encoders.base import Encoder
    from xqg_bench.retrieval.search import search
    class Fixed(Encoder):
        spec, dim = "fixed", 4
        def encode_queries(self, texts):
            return np.random.default_rng(1).standard_normal((len(texts), 4)).astype(np.float32)
        def encode_passages(self, docs):
            raise NotImplementedError
    qids = [f"q{i}" for i in range(50)]
    search(os.path.join(root, "file"), Fixed(), qids, qids, depth=100, progress=False)
"""


def run(what: str, root: str, n: int) -> float:
    """Peak RSS (MiB) of one step in a fresh process."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, what, root, str(n)])
    _pid, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{what} failed")
    return usage.ru_maxrss / 1024


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ids", type=int, default=2_000_000)
    p.add_argument("--work", default=None, help="working directory (default: a temporary one, removed)")
    args = p.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="xqg-docids-")
    try:
        run("prep", work, args.ids)
        for what in ("build:list", "build:file", "search"):
            print(f"{what:<12} peak RSS {run(what, work, args.ids):8,.0f} MiB ({args.ids:,} ids)", flush=True)
        for name in ("index", "docid", "meta.json"):
            with open(os.path.join(work, "list", name), "rb") as a, open(os.path.join(work, "file", name), "rb") as b:
                if a.read() != b.read():
                    raise SystemExit(f"the two builds differ in {name}")
        print("both builds wrote the same index, docid and meta.json")
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
