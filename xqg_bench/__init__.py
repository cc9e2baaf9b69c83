"""xqg-bench: does cross-lingual query generation make multilingual dense retrievers robust?

Importing the package registers its datasets in ir_datasets (``xqg-bench:mini`` and its
splits); nothing is built until a dataset is used.
"""

__version__ = "0.1.0"

from xqg_bench.datasets import register_datasets as _register_datasets

_register_datasets()
