"""DPR-style Hugging Face bi-encoders (mBERT, XLM-R, ...) by hub name or local path.

As in the xQG release (Tevatron): one shared encoder by default, [CLS] pooling, no
normalisation, inner product, query max length 32, passage max length 128, passage text
``title + " " + text``.  Mean pooling, separate query/passage models and L2 normalisation are
options.  Batches are length-sorted; fp16 on CUDA when available; ``trust_remote_code`` is off.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

import numpy as np
from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.core.spec import format_spec
from xqg_bench.encoders.base import ENCODER_PARAMS, Encoder, as_float32


def damaged_model(name: str, e: Exception) -> ValueError:
    first = (str(e).strip().splitlines() or [""])[0][:200]
    return ValueError(
        f"cannot load the model files of {name} ({type(e).__name__}: {first}); they are damaged or incomplete: "
        "download them again"
    )


class HFBiEncoder(Encoder):
    def __init__(
        self,
        model: str,
        passage_model: str | None = None,
        pooling: str = "cls",
        query_max_length: int = 32,
        passage_max_length: int = 128,
        normalize: bool = False,
        batch_size: int = 64,
        device: str | None = None,
        trust_remote_code: bool = False,
    ) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        ENCODER_PARAMS["hf"]["pooling"].parse(pooling, "hf", "pooling", "encoder")  # the declaration's check
        self.pooling = pooling
        self.query_max_length = query_max_length
        self.passage_max_length = passage_max_length
        self.normalize = normalize
        self.batch_size = batch_size
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self._dtype = torch.float16 if self.device.startswith("cuda") else torch.float32

        def load(name: str):  # type: ignore[no-untyped-def]
            try:
                tok = AutoTokenizer.from_pretrained(name, trust_remote_code=trust_remote_code)
                mod = AutoModel.from_pretrained(name, trust_remote_code=trust_remote_code, dtype=self._dtype)
            except (ValueError, OSError):
                raise
            except Exception as e:  # damaged weights: safetensors' SafetensorError, torch's errors
                raise damaged_model(name, e) from None
            return tok, mod.to(self.device).eval()

        self.query_name = model
        self.passage_name = passage_model or model
        self._q_tok, self._q_model = load(model)
        if passage_model and passage_model != model:
            self._p_tok, self._p_model = load(passage_model)
        else:
            self._p_tok, self._p_model = self._q_tok, self._q_model
        params: dict[str, object] = {"model": model}
        if passage_model and passage_model != model:
            params["passage"] = passage_model
        params.update(pooling=pooling, qlen=query_max_length, plen=passage_max_length)
        if normalize:
            params["norm"] = "l2"
        self.spec = format_spec("hf", params, order=("model", "passage", "pooling", "qlen", "plen", "norm"))

    @property
    def dim(self) -> int:
        return int(self._q_model.config.hidden_size)

    def fingerprint(self) -> str:
        """For local directories: sha256 of the weight and config files; for hub names: the spec."""
        h = hashlib.sha256(self.spec.encode())
        for name in dict.fromkeys([self.query_name, self.passage_name]):
            if os.path.isdir(name):
                for fn in sorted(os.listdir(name)):
                    path = os.path.join(name, fn)
                    if os.path.isfile(path):
                        h.update(fn.encode())
                        with open(path, "rb") as f:
                            for block in iter(lambda: f.read(1 << 20), b""):
                                h.update(block)
        return h.hexdigest()

    def _encode(self, texts: Sequence[str], tok, model, max_length: int) -> np.ndarray:  # type: ignore[no-untyped-def]
        import torch

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        lengths = [len(t) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: (-lengths[i], i))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = tok(
                    [texts[i] for i in idx],
                    max_length=max_length,
                    truncation=True,
                    padding=True,
                    return_tensors="pt",
                ).to(self.device)
                hidden = model(**batch).last_hidden_state
                if self.pooling == "cls":
                    vec = hidden[:, 0]
                else:
                    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                    vec = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
                vec = vec.float()
                if self.normalize:
                    vec = torch.nn.functional.normalize(vec, dim=-1)
                out[idx] = vec.cpu().numpy()
        return as_float32(out, len(texts), self.dim, f"encoder {self.spec}")

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts), self._q_tok, self._q_model, self.query_max_length)

    def encode_passages(self, docs: Sequence[DprW100Doc]) -> np.ndarray:
        texts = [d.default_text() for d in docs]
        return self._encode(texts, self._p_tok, self._p_model, self.passage_max_length)
