"""xqg-bench: does cross-lingual query generation make multilingual dense retrievers robust?

Importing the package registers its datasets in ir_datasets (``xqg-bench:mini`` and its
splits) and the pattern of the perturbed variants ``<query set>/<variant>`` (with their explanation of
an ID that names no variant); nothing is built until a dataset is used.
"""

__version__ = "0.1.0"

import ir_datasets as _ir_datasets

from xqg_bench.datasets import add_id_hint as _add_id_hint
from xqg_bench.datasets import register_datasets as _register_datasets
from xqg_bench.perturb import registry as _variants

_register_datasets()
_variants.register(_ir_datasets.registry)
_add_id_hint(_variants.unknown_variant)
