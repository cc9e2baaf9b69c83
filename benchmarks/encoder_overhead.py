"""Hugging Face encoder: our HFBiEncoder vs the bare model forward on the same batches, and the
gain from length-sorted batching.

    python benchmarks/encoder_overhead.py [--passages 512] [--batch 64]

The model is a BERT-base-shaped encoder randomly initialised from its config with a tokenizer
trained in-process (offline; the cost of a forward pass does not depend on the weights); passages
are the embedded benchmark's.  Prints timings and ratios measured in this one run.
"""

from __future__ import annotations

import argparse
import tempfile
import time


def main() -> None:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    from xqg_bench.datasets.mini_build import build_mini
    from xqg_bench.encoders.hf import HFBiEncoder

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--passages", type=int, default=512)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    docs = list(build_mini().docs[: args.passages])
    texts = [d.default_text() for d in docs]
    with tempfile.TemporaryDirectory() as tmp:
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=8000, special_tokens=specials))
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]",
            special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
        )
        fast = PreTrainedTokenizerFast(
            tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]"
        )
        torch.manual_seed(0)
        BertModel(BertConfig(vocab_size=len(fast))).eval().save_pretrained(tmp)
        fast.save_pretrained(tmp)
        enc = HFBiEncoder(tmp, batch_size=args.batch)
        model, tokenizer = enc._p_model, enc._p_tok

        def bare(order: list[int]) -> None:
            with torch.inference_mode():
                for s in range(0, len(order), args.batch):
                    batch = tokenizer(
                        [texts[i] for i in order[s : s + args.batch]],
                        max_length=128, truncation=True, padding=True, return_tensors="pt",
                    )  # fmt: skip
                    model(**batch).last_hidden_state[:, 0]

        sorted_order = sorted(range(len(texts)), key=lambda i: (-len(texts[i]), i))
        enc.encode_passages(docs[: args.batch])  # warm-up
        t = time.perf_counter()
        bare(sorted_order)
        t_bare = time.perf_counter() - t
        t = time.perf_counter()
        enc.encode_passages(docs)
        t_ours = time.perf_counter() - t
        t = time.perf_counter()
        bare(list(range(len(texts))))
        t_unsorted = time.perf_counter() - t
    print(
        f"{len(docs)} passages, batch {args.batch}: bare forward (same sorted batches) {t_bare:.2f} s, "
        f"HFBiEncoder {t_ours:.2f} s, overhead {100 * (t_ours / t_bare - 1):.1f}%; "
        f"unsorted batches {t_unsorted:.2f} s, length sorting saves {100 * (1 - t_bare / t_unsorted):.1f}%"
    )


if __name__ == "__main__":
    main()
