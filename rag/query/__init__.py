"""The query path: analyse the question, retrieve and fuse, rerank, extract the cited answer."""
