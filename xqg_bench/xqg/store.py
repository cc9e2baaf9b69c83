"""Generated queries on disk: sharded JSONL in the released layout plus a manifest.

``<root>/generated/<key>/shard-00000.jsonl`` holds records ``{"docid", "title", "text",
"generated_queries": {lang: [queries]}}`` for passages ``[i * shard_size, (i + 1) * shard_size)``;
``manifest.json`` records the generator signature, seed, n, languages, per-shard counts and
sha256, and the content hash of the whole set.  Each shard has a ``.sha256`` written when it is
complete; on reuse a shard is checked against it and its records against the passage ids of its
slice of the corpus, and a damaged shard is named and regenerated.  Shards are written atomically; a killed job
resumes from the shards on disk; because every passage's randomness depends only on (seed, doc
id, language), the result is byte-identical to an uninterrupted run, however the work is split
(``num_shards``/``shard_id``: shard i belongs to job ``i % num_shards``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence

from ir_datasets.datasets.dpr_w100 import DprW100Doc

from xqg_bench.core.atomic import atomic_write_json, discard, job_dir, read_checked, read_json, write_checked
from xqg_bench.core.signature import cache_key, make_signature
from xqg_bench.core.spec import DEFAULT_SHARD_SIZE
from xqg_bench.datasets.docs import docs_fingerprint
from xqg_bench.xqg.base import GeneratedQueries, QueryGenerator


def shard_name(i: int) -> str:
    return f"shard-{i:05d}.jsonl"


def n_shards(n_docs: int, shard_size: int) -> int:
    return (n_docs + shard_size - 1) // shard_size


def my_shards(total: int, num_shards: int = 1, shard_id: int = 0) -> list[int]:
    if num_shards < 1 or not 0 <= shard_id < num_shards:
        raise ValueError(f"--shard-id must be in [0, {num_shards}), got {shard_id}")
    return [i for i in range(total) if i % num_shards == shard_id]


def generation_signature(
    generator: QueryGenerator, docs: Sequence[DprW100Doc], langs: Sequence[str], n: int, seed: int, shard_size: int
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
    docs: Sequence[DprW100Doc],
    root: str,
    langs: Sequence[str],
    n: int,
    seed: int,
    shard_size: int = DEFAULT_SHARD_SIZE,
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
    # reused shards are checked against their checksums and, unless the corpus is only streamed (XOR-TyDi's
    # 18M passages would be read again), against the passage ids of their slice
    streamed = bool(getattr(docs, "streams", False))
    todo = [i for i in mine if not _intact(out, i, None if streamed else docs[i * shard_size : (i + 1) * shard_size])]
    with tqdm(
        total=len(mine), initial=len(mine) - len(todo), desc="generate queries", unit="shard", disable=not progress
    ) as bar:
        for i in todo:
            chunk = docs[i * shard_size : (i + 1) * shard_size]
            generated = generator.generate(chunk, langs, n, seed)
            lines = []
            for doc, gq in zip(chunk, generated, strict=True):
                rec = {"docid": doc.doc_id, "title": doc.title, "text": doc.text, "generated_queries": gq}
                lines.append(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
            write_checked(os.path.join(out, shard_name(i)), "".join(lines).encode("utf-8"))
            bar.update(1)
    write_manifest(out, sig, generator.spec, langs, n, seed, total)
    return out


def _records(data: bytes, path: str) -> list[dict]:
    try:
        return [json.loads(line) for line in data.decode("utf-8").splitlines() if line]
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ValueError(f"{path}: not JSONL ({type(e).__name__})") from None


def _intact(out: str, i: int, chunk: Sequence[DprW100Doc] | None) -> bool:
    """Whether shard ``i`` is complete, matches its checksum and holds one record per passage of ``chunk``,
    in order (``chunk`` None: the checksum only); a damaged shard is named on stderr and removed."""
    path = os.path.join(out, shard_name(i))
    data = read_checked(path)
    if data is None:
        return False
    if chunk is None:
        return True
    try:
        ids = [str(r.get("docid")) if isinstance(r, dict) else None for r in _records(data, path)]
    except ValueError as e:
        discard(path, str(e).split(": ", 1)[-1])
        return False
    want = [d.doc_id for d in chunk]
    if ids != want:
        k = next((k for k, (a, b) in enumerate(zip(ids, want, strict=False)) if a != b), min(len(ids), len(want)))
        got = ids[k] if k < len(ids) else "nothing"
        exp = want[k] if k < len(want) else "nothing"
        discard(path, f"record {k + 1} is for docid {got!r}, its passage is {exp!r}")
        return False
    return True


def write_manifest(out: str, sig: str, gen_spec: str, langs: Sequence[str], n: int, seed: int, total: int) -> bool:
    """Write ``manifest.json`` once every shard is complete (merge step); return whether it is complete.

    The manifest is made from the shards as checked against the checksums recorded when each was
    written (never from unchecked bytes on disk); an existing manifest that disagrees is named and
    replaced."""
    datas = []
    for i in range(total):
        data = read_checked(os.path.join(out, shard_name(i)))
        if data is None:
            return False
        datas.append(data)
    shards, whole = [], hashlib.sha256()
    docs = queries = 0
    per_lang: dict[str, dict] = {}  # used counts: queries per language, min and max per passage
    for i, data in enumerate(datas):
        whole.update(data)
        recs = _records(data, os.path.join(out, shard_name(i)))
        nq = sum(len(v) for r in recs for v in r["generated_queries"].values())
        for lang in langs:
            counts = [len(r["generated_queries"].get(lang, [])) for r in recs]
            pl = per_lang.setdefault(lang, {"queries": 0, "min": min(counts, default=0), "max": 0})
            pl["queries"] += sum(counts)
            pl["min"] = min([pl["min"], *counts])
            pl["max"] = max([pl["max"], *counts])
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
        "per_lang": per_lang,
        "shards": shards,
        "content_sha256": whole.hexdigest(),
    }
    path = os.path.join(out, "manifest.json")
    if os.path.exists(path):
        try:
            if read_json(path, "generation manifest") == manifest:
                return True
            raise ValueError("it does not match the checked shards")
        except ValueError as e:
            discard(path, str(e).split(": ", 1)[-1])
    atomic_write_json(path, manifest)
    return True


def read_manifest(out: str) -> dict:
    path = os.path.join(out, "manifest.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} missing: generation is incomplete (run the remaining shards, then merge)")
    return read_json(path, "generation manifest")


def read_shard(out: str, i: int) -> list[tuple[str, GeneratedQueries]]:
    """Shard ``i``'s (docid, generated queries), checked against its recorded checksum."""
    path = os.path.join(out, shard_name(i))
    data = read_checked(path)
    if data is None:
        raise ValueError(f"{path} is missing or damaged; rerun the command: the shard is generated again")
    return [(r["docid"], r["generated_queries"]) for r in _records(data, path)]
