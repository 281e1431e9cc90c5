"""Pins the measured quality gains (docs/quality.md) so that they cannot silently regress.

A fixed sample of XQuAD-vi (every fourth article: 12 articles, 60 paragraphs) and one of UIT-ViNewsQA
dev (every tenth article: 50 articles, 250 questions) are each indexed in a temporary store; thresholds
sit a little under the figures measured on them (on ViNewsQA, above what main measured before the
learned scorer); the samples mix tuning and reporting articles: they pin, they do not report. The seed
question set (eval/seeds.jsonl) must be answered from the right article, and abstained on when
unanswerable.
"""

import pytest

from rag.eval.metrics import score_one, summarise
from rag.eval.questions import read_jsonl, read_squad
from rag.pipeline import Pipeline
from rag.query.analyse import read_query
from rag.query.retrieve import PASSAGE_VECTOR_WEIGHTS, RetrievalSettings
from rag.store.builder import build_store
from rag.store.store import Store
from rag.text.normalise import fold, tokens

from .conftest import ROOT

XQUAD = ROOT.parent / "shared" / "data" / "xquad-vi" / "xquad.vi.json"
VINEWSQA = ROOT.parent / "shared" / "data" / "vinewsqa-dev" / "dev_ViNewsQA.json"


def sample(path, every, tmp_path_factory, embedder, seed_settings):
    if not path.is_file():
        pytest.skip(f"{path} is not here (it is read from ../shared, never copied into the project)")
    articles, items = read_squad(path)
    groups = sorted({it.group for it in items})[::every]
    keep = {a.id for a in articles if a.title in groups}
    articles = [a for a in articles if a.id in keep]
    items = [it for it in items if it.group in groups]
    store_dir = tmp_path_factory.mktemp(path.stem) / "store"
    build_store(articles, store_dir, embedder, seed_settings.chunking)
    pipeline = Pipeline(seed_settings.with_(store_dir=store_dir), Store.load(store_dir), embedder)
    return pipeline, items


@pytest.fixture(scope="module")
def xquad_sample(tmp_path_factory, embedder, seed_settings):
    return sample(XQUAD, 4, tmp_path_factory, embedder, seed_settings)


@pytest.fixture(scope="module")
def vinewsqa_sample(tmp_path_factory, embedder, seed_settings):
    return sample(VINEWSQA, 10, tmp_path_factory, embedder, seed_settings)


def run(pipeline, items, strip=False, key="id"):
    outcomes = []
    for it in items:
        asked = fold(it.question) if strip else it.question
        outcomes.append(score_one(it, asked, pipeline.ask(asked, top_k=10), key))
    return summarise(outcomes)


def test_xquad_sample_retrieval_and_answers(xquad_sample):
    pipeline, items = xquad_sample
    s = run(pipeline, items)
    assert s["questions"] == len(items) > 250
    # measured on this sample: R@1 97.2, R@5 100, answer hit 88.4, abstained 1.7 (before the scorer was
    # refitted for diacritics restored in context: 97.4, 100, 88.6, 2.0; before dense candidates
    # were scored by their closest sentence: 97.7, 100, 88.6, 1.7; before question words
    # were restored as questions use them: 97.7, 100, 89.2, 1.4; the VNNI fit: 97.4, 100, 88.9, 1.4;
    # pooled sentence vectors: 96.6, 100, 86.9, 3.1; main before the learned scorer: 96.9, 100, 88.4, 2.0)
    assert s["recall@1"] >= 95.5 and s["recall@5"] >= 99.0
    assert s["answer_hit"] >= 86.5
    assert s["abstention_rate"] <= 3.5


def test_xquad_sample_without_diacritics_holds_up(xquad_sample):
    pipeline, items = xquad_sample
    s = run(pipeline, items, strip=True)
    # measured: R@1 97.4, answer hit 87.8 (before diacritics restored in context: the same; before the
    # closest sentence: 96.9, 87.2; earlier: 96.0, 88.1; VNNI fit: 96.9, 87.5; pooled: 96.6, 86.4; main:
    # 96.0, 85.5)
    assert s["recall@1"] >= 94.5
    assert s["answer_hit"] >= 83.5


def test_vinewsqa_sample_questions_in_their_own_words(vinewsqa_sample):
    pipeline, items = vinewsqa_sample
    s = run(pipeline, items)
    assert s["questions"] == len(items) == 250
    # measured on this sample: R@1 94.0, answer hit 83.6, token recall 87.2, 205 characters, abstained 2.4
    # (before the closest sentence: 92.8, 82.8, 86.6, 200, 2.4; the VNNI fit: 93.6, 82.8, 86.4, 199, 2.4;
    # pooled sentence vectors: 93.6, 84.0, 87.2, 196, 3.2, on the full reporting part 2.4 under encoded; main
    # before the learned scorer: 92.0, 80.8, 84.5, 197, 3.2)
    assert s["recall@1"] >= 92.5
    assert s["answer_hit"] >= 82.5 and s["token_recall"] >= 85.5
    assert s["answer_chars"] <= 230  # the hits are not bought with longer answers
    assert s["abstention_rate"] <= 4.5
    plain = run(pipeline, items, strip=True)
    # measured 85.2 (before diacritics restored in context 84.0; before the closest sentence 84.4; VNNI
    # fit: 83.6; pooled: 82.8; main: 75.6)
    assert plain["answer_hit"] >= 81.5


def _restored_whole(restorer, items) -> int:
    return sum(tokens(restorer.restore(fold(it.question))) == tokens(it.question) for it in items)


def test_the_passage_folded_bm25_ranks_first_helps_restore_the_diacritics(xquad_sample, vinewsqa_sample):
    # questions restored whole, measured: XQuAD-vi 237 -> 247 of 352, ViNewsQA 169 -> 176 of 250
    for (pipeline, items), gain in ((xquad_sample, 7), (vinewsqa_sample, 4)):
        retriever = pipeline.current().retriever
        alone = _restored_whole(retriever.store.restorer, items)
        assert _restored_whole(retriever.restorer, items) >= alone + gain


def _article_rank(hits, article_id):
    order = list(dict.fromkeys(h.article.id for h in hits))
    return order.index(article_id) + 1 if article_id in order else None


def test_vinewsqa_sample_articles_past_the_tenth_passage_reach_the_first_five(vinewsqa_sample):
    """Two steps bring up an article that the passage vectors alone put past the tenth passage: the first
    stage scoring dense candidates by their closest sentence, and the scorer reranking 30 passages, not
    10 (docs/quality.md)."""
    pipeline, items = vinewsqa_sample
    store = pipeline.current().store
    shipped = pipeline.current().retriever
    assert pipeline.current().answerer.settings.rerank_depth == 30
    passage_only = Pipeline(
        pipeline.settings, store, pipeline.embedder, RetrievalSettings(weights=PASSAGE_VECTOR_WEIGHTS)
    )
    before = passage_only.current().retriever
    far, found, lifted = [], [], []
    for it in items:
        searched = before.search(read_query(it.question, before.restorer), 30)
        if it.source in [h.article.id for h in searched[:10]] or _article_rank(searched, it.source) is None:
            continue
        far.append(it.question)
        now = _article_rank(shipped.search(read_query(it.question, shipped.restorer), 30), it.source)
        if now is not None and now <= 5:
            found.append(it.question)
        rank = _article_rank(passage_only.ask(it.question, top_k=10).hits, it.source)
        if rank is not None and rank <= 5:
            lifted.append(it.question)
    # measured on this sample: 4 past the tenth passage; the closest-sentence first stage puts all 4 among
    # the first five articles ("Bệnh viện được đưa đến Bệnh viện trong tình trạng như thế nào?" from the
    # twelfth to the first); reranking 30 passages lifts 3 of them there from the passage vectors' order,
    # reranking only the first 10 none by construction
    assert len(far) >= 3
    assert len(found) >= 3, (far, found)
    assert len(lifted) >= 2, (far, lifted)


def test_xquad_questions_abstain_against_the_seeds(xquad_sample, pipeline):
    _, items = xquad_sample
    unanswerable = [type(it)(it.question, [], None, it.group) for it in items]
    s = run(pipeline, unanswerable, key="path")
    assert s["abstained_when_unanswerable"] >= 96.0  # measured 98.0 (VNNI fit 98.6; main: 97.7)


def test_seed_questions_are_all_answered_from_the_right_article(pipeline):
    items = read_jsonl(ROOT / "eval" / "seeds.jsonl")
    assert len(items) >= 40
    outcomes = [score_one(it, it.question, pipeline.ask(it.question), "path") for it in items]
    wrong = [
        o.question for o in outcomes if o.gold_source and not (o.answer_hit and o.gold_source in o.cited[:1])
    ]
    assert wrong == []
    s = summarise(outcomes)
    assert s["answered_when_answerable"] == 100.0
    assert s["abstained_when_unanswerable"] == 100.0  # 11 of 11, "Ai là Chủ tịch UBND tỉnh Hà Giang?" too
    # short answers: 61.7 % given, F1 74.8 (before the distance to an asked word written once: 38.3, 71.6)
    assert s["short_answers"] >= 55.0 and s["short_f1"] >= 70.0
    assert any(
        not it.answers and fold(it.question) == it.question for it in items
    )  # some typed without marks
    assert sum(1 for it in items if it.answers and fold(it.question) == it.question) >= 8
