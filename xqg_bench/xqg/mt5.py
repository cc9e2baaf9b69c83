"""The released xQG generator: mT5 docTquery fine-tuned on XOR-TyDi (Zhuang et al., SIGIR 2023).

Prompt ``Generate a {Language} question for this passage: {title} {passage}``, input truncated
to 256 tokens, random sampling with top-k 10 and max output length 32, n queries per language.
Each passage is sampled with its own seed (from seed, doc id, language), so the output does not
depend on batching, sharding or process.
"""

from __future__ import annotations

from collections.abc import Sequence

from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.core.spec import format_spec
from xqg_bench.encoders.hf import damaged_model
from xqg_bench.xqg import LANGUAGE_NAMES
from xqg_bench.xqg.base import DEFAULT_MT5, GENERATOR_PARAMS, GeneratedQueries, QueryGenerator, passage_seed

PROMPT = "Generate a {language} question for this passage: {title} {passage}"


class MT5Generator(QueryGenerator):
    def __init__(
        self,
        model: str = DEFAULT_MT5,
        top_k: int = GENERATOR_PARAMS["mt5"]["topk"].default,
        max_length: int = GENERATOR_PARAMS["mt5"]["maxlen"].default,
        input_length: int = GENERATOR_PARAMS["mt5"]["inlen"].default,
        batch_size: int = GENERATOR_PARAMS["mt5"]["batch"].default,
        device: str | None = None,
        trust_remote_code: bool = False,
    ) -> None:
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.float16 if self.device.startswith("cuda") else torch.float32
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model, trust_remote_code=trust_remote_code)
            loaded = AutoModelForSeq2SeqLM.from_pretrained(model, trust_remote_code=trust_remote_code, dtype=dtype)
        except (ValueError, OSError):
            raise
        except Exception as e:  # damaged weights: safetensors' SafetensorError, torch's errors
            raise damaged_model(model, e) from None
        self.model = loaded.to(self.device).eval()
        self.top_k, self.max_length, self.input_length = top_k, max_length, input_length
        self.batch_size = batch_size
        self.spec = format_spec(
            "mt5",
            {"model": model, "topk": top_k, "maxlen": max_length, "inlen": input_length},
            order=("model", "topk", "maxlen", "inlen"),
        )

    def prompt(self, doc: DprW100Doc, lang: str) -> str:
        return PROMPT.format(language=LANGUAGE_NAMES[lang], title=doc.title, passage=doc.text)

    def generate(self, docs: Sequence[DprW100Doc], langs: Sequence[str], n: int, seed: int) -> list[GeneratedQueries]:
        import torch

        for lang in langs:
            if lang not in LANGUAGE_NAMES:
                raise ValueError(f"the mT5 xQG prompt knows {sorted(LANGUAGE_NAMES)}, not {lang!r}")
        out: list[GeneratedQueries] = []
        with torch.inference_mode():
            for doc in docs:
                per_lang: GeneratedQueries = {}
                for lang in langs:
                    # one seed per (passage, language): sampling never depends on batching
                    torch.manual_seed(passage_seed(seed, doc.doc_id, self.spec, lang))
                    enc = self.tokenizer(
                        [self.prompt(doc, lang)], max_length=self.input_length, truncation=True, return_tensors="pt"
                    ).to(self.device)
                    seqs = self.model.generate(
                        **enc,
                        do_sample=True,
                        top_k=self.top_k,
                        max_length=self.max_length,
                        num_return_sequences=n,
                    )
                    per_lang[lang] = [t.strip() for t in self.tokenizer.batch_decode(seqs, skip_special_tokens=True)]
                out.append(per_lang)
        return out
