"""Record types shared by every XOR-style dataset of the harness.

A passage is ir_datasets' ``DprW100Doc`` (``doc_id, text, title``; ``default_text()`` is ``title + " " + text``,
the DPR/xQG convention): ir_datasets' record of DPR's 100-word Wikipedia passages, the form XOR-TyDi's English
corpus takes.  A question is ``XorQuery``: ir_datasets has no query record with a language and answers.
"""

from collections.abc import Iterable
from typing import NamedTuple, Tuple  # noqa: UP035 - ir_datasets' exporters recognise typing.Tuple[str, ...] only

YES_NO = ("yes", "no")


class XorQuery(NamedTuple):
    """A question of XOR-Retrieve: target-language text, its language and English answers."""

    query_id: str
    text: str
    lang: str
    answers: Tuple[str, ...]  # noqa: UP006
    qtype: str = ""

    def default_text(self) -> str:
        return self.text


def span_answers(answers: Iterable[str]) -> list[str]:
    """Answers the official script keeps (everything but exact ``yes``/``no``)."""
    return [a for a in answers if a not in YES_NO]
