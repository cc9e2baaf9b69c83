"""The tokenizer of R@kt, ``nltk.word_tokenize`` offline: defined in ``xqg_bench.core.tokenizer`` (below the
datasets, which tokenize passages when they are built, and the measures); its names are kept here."""

from xqg_bench.core.tokenizer import (
    TOKENIZER_SIGNATURE,
    cached_tokens,
    joined_tokens,
    sent_tokenize,
    word_tokenize,
)

__all__ = ["TOKENIZER_SIGNATURE", "cached_tokens", "joined_tokens", "sent_tokenize", "word_tokenize"]
