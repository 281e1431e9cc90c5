"""`rag eval`: question sets, metrics, and the runner that asks them through the Pipeline."""
