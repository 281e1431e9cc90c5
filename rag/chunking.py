"""Split articles into overlapping passages that remember where they stand in the article."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .schema import Article, Chunk

# Paragraph, line, sentence, clause, word, character: the splitter tries them in this order.
SEPARATORS = ["\n\n", "\n", r"(?<=[.!?…])\s+", r"(?<=[;:])\s+", r"(?<=,)\s+", r"\s+", ""]


@dataclass(frozen=True)
class ChunkSettings:
    """Recorded in the manifest: a store built with other settings is rebuilt, never mixed."""

    size: int = 900  # characters; ~250 XLM-R tokens of Vietnamese, well under e5's 512
    overlap: int = 150
    title_in_index: bool = True  # the title is indexed with every passage, never quoted

    def to_dict(self) -> dict:
        return asdict(self)


class Chunker:
    def __init__(self, settings: ChunkSettings | None = None):
        # Imported here: it costs ~0.5-1.4 s, and a process that only answers questions never splits.
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.settings = settings or ChunkSettings()
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=self.settings.size,
            chunk_overlap=self.settings.overlap,
            separators=SEPARATORS,
            is_separator_regex=True,
            keep_separator="end",
            strip_whitespace=True,
        )

    def split(self, article: Article) -> list[Chunk]:
        """Chunks with exact offsets: each one's text is a slice of the cleaned article."""
        text = article.text
        chunks: list[Chunk] = []
        for piece in self._splitter.split_text(text):
            # Each chunk starts after the previous one's start (the overlap lies before its end).
            start = text.find(piece, chunks[-1].start + 1 if chunks else 0)
            if start < 0:
                raise ValueError(f"chunk {len(chunks)} of {article.id} is not a slice of its text")
            chunks.append(Chunk(article.id, len(chunks), start, start + len(piece), piece))
        return chunks


def index_text(article: Article, chunk: Chunk, settings: ChunkSettings) -> str:
    """What the retrievers see for a chunk: the passage, headed by its article's title."""
    if settings.title_in_index and article.title:
        return f"{article.title}\n{chunk.text}"
    return chunk.text
