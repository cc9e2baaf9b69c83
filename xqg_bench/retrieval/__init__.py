"""Index and search: FAISS/Pyserini index build, ingest of supplied embeddings, sharded indexes, search."""
