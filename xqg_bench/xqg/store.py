"""Generated queries on disk: sharded JSONL in the released layout plus a manifest.

``<root>/generated/<key>/shard-00000.jsonl`` holds records ``{"docid", "title", "text",
"generated_queries": {lang: [queries]}}`` for passages ``[i * shard_size, (i + 1) * shard_size)``;
``manifest.json`` records the generator signature, seed, n, languages, per-shard counts and
sha256, and the content hash of the whole set.  Shards are written atomically; a killed job
resumes from the shards on disk; because every passage's randomness depends only on (seed, doc
id, language), the result is byte-identical to an uninterrupted run, however the work is split
(``num_shards``/``shard_id``: shard i belongs to job ``i % num_shards``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence

from xqg_bench.atomic import atomic_open, atomic_write_json, job_dir
from xqg_bench.datasets.docs import docs_fingerprint
from xqg_bench.datasets.records import XorDoc
from xqg_bench.signature import cache_key, make_signature
from xqg_bench.xqg.generators import GeneratedQueries, QueryGenerator


def shard_name(i: int) -> str:
    return f"shard-{i:05d}.jsonl"


def n_shards(n_docs: int, shard_size: int) -> int:
    return (n_docs + shard_size - 1) // shard_size


def my_shards(total: int, num_shards: int = 1, shard_id: int = 0) -> list[int]:
    if num_shards < 1 or not 0 <= shard_id < num_shards:
        raise ValueError(f"--shard-id must be in [0, {num_shards}), got {shard_id}")
    return [i for i in range(total) if i % num_shards == shard_id]


def generation_signature(
    generator: QueryGenerator, docs: Sequence[XorDoc], langs: Sequence[str], n: int, seed: int, shard_size: int
) -> str:
    docs_fp = docs_fingerprint(docs)
    return make_signature(
        {
            "gen": generator.spec,
            "docs": docs_fp[:16],
            "ndocs": len(docs),
            "langs": ",".join(langs),
            "n": n,
            "seed": seed,
            "shard": shard_size,
        }
    )


def generated_dir(root: str, signature: str) -> str:
    return os.path.join(root, "generated", cache_key(signature))


def generate(
    generator: QueryGenerator,
    docs: Sequence[XorDoc],
    root: str,
    langs: Sequence[str],
    n: int,
    seed: int,
    shard_size: int = 256,
    num_shards: int = 1,
    shard_id: int = 0,
    progress: bool = True,
) -> str:
    """Generate this job's missing shards; write the manifest once every shard exists."""
    from tqdm.auto import tqdm

    if n < 1:
        raise ValueError(f"n (queries per language) must be >= 1, got {n}")
    sig = generation_signature(generator, docs, langs, n, seed, shard_size)
    out = generated_dir(root, sig)
    job_dir(out)
    total = n_shards(len(docs), shard_size)
    mine = my_shards(total, num_shards, shard_id)
    todo = [i for i in mine if not os.path.exists(os.path.join(out, shard_name(i)))]
    with tqdm(
        total=len(mine), initial=len(mine) - len(todo), desc="generate queries", unit="shard", disable=not progress
    ) as bar:
        for i in todo:
            chunk = docs[i * shard_size : (i + 1) * shard_size]
            generated = generator.generate(chunk, langs, n, seed)
            with atomic_open(os.path.join(out, shard_name(i)), "w") as f:
                for doc, gq in zip(chunk, generated, strict=True):
                    rec = {"docid": doc.doc_id, "title": doc.title, "text": doc.text, "generated_queries": gq}
                    f.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
            bar.update(1)
    write_manifest(out, sig, generator.spec, langs, n, seed, total)
    return out


def write_manifest(out: str, sig: str, gen_spec: str, langs: Sequence[str], n: int, seed: int, total: int) -> bool:
    """Write ``manifest.json`` if all shards exist (merge step); return whether it is complete."""
    if not all(os.path.exists(os.path.join(out, shard_name(i))) for i in range(total)):
        return False
    shards, whole = [], hashlib.sha256()
    docs = queries = 0
    for i in range(total):
        with open(os.path.join(out, shard_name(i)), "rb") as f:
            data = f.read()
        whole.update(data)
        recs = [json.loads(line) for line in data.decode("utf-8").splitlines() if line]
        nq = sum(len(v) for r in recs for v in r["generated_queries"].values())
        shards.append(
            {"file": shard_name(i), "docs": len(recs), "queries": nq, "sha256": hashlib.sha256(data).hexdigest()}
        )
        docs += len(recs)
        queries += nq
    manifest = {
        "signature": sig,
        "generator": gen_spec,
        "seed": seed,
        "n": n,
        "langs": list(langs),
        "docs": docs,
        "queries": queries,
        "shards": shards,
        "content_sha256": whole.hexdigest(),
    }
    atomic_write_json(os.path.join(out, "manifest.json"), manifest)
    return True


def read_manifest(out: str) -> dict:
    path = os.path.join(out, "manifest.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} missing: generation is incomplete (run the remaining shards, then merge)")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_shard(out: str, i: int) -> list[tuple[str, GeneratedQueries]]:
    with open(os.path.join(out, shard_name(i)), encoding="utf-8") as f:
        return [(r["docid"], r["generated_queries"]) for r in map(json.loads, f) if r]
