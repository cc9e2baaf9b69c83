"""Measured per-passage costs of the two heavy xQG jobs, and what they imply for XOR-TyDi's corpus.

    python benchmarks/per_passage_cost.py [--device cuda] [--passages 64] [--gen-passages 2]

Times, on this machine's device, (a) passage encoding with a BERT-base-shaped encoder (mBERT:
110M parameters + 119,547-token vocabulary; 128 tokens per passage, batch 64, fp16 on CUDA) and
(b) xQG generation with an mT5-base-shaped model (580M parameters; 256 input tokens; 7 languages x
5 samples x 32 tokens per passage).  The models are randomly initialised from the released
architectures' configs (the cost of a forward pass does not depend on the weights), so it runs
offline.  It then extrapolates to the 18.2M passages of enwiki_20190201_w100 and prints disk sizes.
Run it on a GPU node to get that node's figures.
"""

from __future__ import annotations

import argparse
import json
import time

CORPUS = 18_200_000
LANGS, N_PER_LANG, DIM = 7, 5, 768


def encode_cost(device: str, passages: int) -> float:
    import torch
    from transformers import BertConfig, BertModel

    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    model = BertModel(BertConfig(vocab_size=119_547)).to(device, dtype).eval()
    ids = torch.randint(1000, 100_000, (64, 128), device=device)
    with torch.inference_mode():
        model(input_ids=ids[:8])  # warm-up
        t = time.perf_counter()
        done = 0
        while done < passages:
            model(input_ids=ids)
            done += ids.shape[0]
        if device.startswith("cuda"):
            torch.cuda.synchronize()
    return (time.perf_counter() - t) / done


def generate_cost(device: str, passages: int) -> float:
    import torch
    from transformers import MT5Config, MT5ForConditionalGeneration

    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    cfg = MT5Config(
        vocab_size=250_112,
        d_model=768,
        d_kv=64,
        d_ff=2048,
        num_layers=12,
        num_heads=12,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
    )
    model = MT5ForConditionalGeneration(cfg).to(device, dtype).eval()
    ids = torch.randint(1000, 200_000, (LANGS, 256), device=device)  # one passage, 7 language prompts
    with torch.inference_mode():
        t = time.perf_counter()
        for _ in range(passages):
            torch.manual_seed(0)
            model.generate(
                input_ids=ids, do_sample=True, top_k=10, max_length=32, min_length=32, num_return_sequences=N_PER_LANG
            )
        if device.startswith("cuda"):
            torch.cuda.synchronize()
    return (time.perf_counter() - t) / passages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--passages", type=int, default=128)
    ap.add_argument("--gen-passages", type=int, default=2)
    args = ap.parse_args()
    enc = encode_cost(args.device, args.passages)
    gen = generate_cost(args.device, args.gen_passages)
    queries = CORPUS * LANGS * N_PER_LANG
    q_enc = enc * 32 / 128  # a 32-token query costs about a quarter of a 128-token passage (same model)
    report = {
        "device": args.device,
        "encode_s_per_passage": enc,
        "generate_s_per_passage": gen,
        "corpus_passages": CORPUS,
        "device_hours": {
            "encode_passages": CORPUS * enc / 3600,
            "generate_queries": CORPUS * gen / 3600,
            "encode_queries": queries * q_enc / 3600,
        },
        "disk_GB": {
            "passage_embeddings_fp32": CORPUS * DIM * 4 / 1e9,
            "query_embeddings_fp32": queries * DIM * 4 / 1e9,
            "flat_index_fp32": CORPUS * DIM * 4 / 1e9,
            "generated_queries_jsonl_approx": queries * 60 / 1e9,
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
