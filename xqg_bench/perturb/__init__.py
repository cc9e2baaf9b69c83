"""Perturbed query variants: families (typos, script noise, romanisation, words, code-mixing)
registered as ir_datasets entries ``<query-set ID>/<variant string>``."""

from xqg_bench.perturb.families import FAMILIES, Perturbation, parse_variant

__all__ = ["FAMILIES", "Perturbation", "parse_variant"]
