"""Cross-lingual query generation (xQG) and passage-embedding augmentation.

Flow: passages -> generator (passage -> {lang: [queries]}) -> sharded JSONL with a manifest ->
query embeddings (sharded ``.npy``) -> ``e_aug = (1 - alpha) * e_p + alpha * SUM e_q`` -> a
Pyserini-layout index like the baseline's.
"""

XQG_LANGS: tuple[str, ...] = ("ar", "bn", "fi", "ja", "ko", "ru", "te")
XQG_N = 5  # queries generated per language and passage (the paper's 5)
LANGUAGE_NAMES: dict[str, str] = {
    "ar": "Arabic",
    "bn": "Bengali",
    "fi": "Finnish",
    "ja": "Japanese",
    "ko": "Korean",
    "ru": "Russian",
    "te": "Telugu",
}
