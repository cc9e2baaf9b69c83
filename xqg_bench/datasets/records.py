"""Record types shared by every XOR-style dataset of the harness."""

from collections.abc import Iterable
from typing import NamedTuple, Tuple  # noqa: UP035 - ir_datasets' exporters recognise typing.Tuple[str, ...] only

YES_NO = ("yes", "no")


class XorDoc(NamedTuple):
    """A passage, in the column order of XOR-TyDi's corpus TSV (id, text, title)."""

    doc_id: str
    text: str
    title: str

    def default_text(self) -> str:
        """Text that encoders see: ``title + " " + text`` (the DPR/xQG convention)."""
        return f"{self.title} {self.text}"


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
