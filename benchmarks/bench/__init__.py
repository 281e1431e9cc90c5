"""`rag bench`: how build and question costs grow with the corpus, beside a plain LangChain script."""
