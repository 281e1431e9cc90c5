"""The one definition of each figure the evaluation, the benchmarks and the tests report."""

import numpy as np

from rag.eval.metrics import percentile, recall_at_k, squad_em, squad_f1, token_recall


def test_recall_at_k_is_the_share_of_the_true_neighbours_found():
    truth = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    found = np.array([[4, 3, 9, 9], [5, 6, 7, 8]])  # half of the first query's, all of the second's
    assert recall_at_k(found, truth) == 0.75


def test_p95_is_interpolated_between_the_nearest_observations():
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 95) == 4.8  # between the two largest
    assert percentile([7.0], 95) == 7.0
    assert np.isnan(percentile([], 95))


def test_token_recall_counts_the_gold_syllables_the_answer_holds():
    answer = "Trong 10 năm, thị xã đã tiếp nhận 2.054 đơn khiếu nại. [1]"
    assert token_recall(answer, ["2.054 đơn"]) == 1.0
    assert token_recall(answer, ["2.054 lá đơn"]) == 2 / 3  # a near miss is not a wrong answer
    assert token_recall(answer, ["Hà Giang", "10 tháng"]) == 0.5  # the best gold answer counts
    assert token_recall(answer, [""]) == 0.0


def test_short_answers_are_scored_as_squad_does_over_syllables():
    assert squad_em("2.054 đơn", "2.054 Đơn.") == 1.0  # case and punctuation aside
    assert squad_em("2.054 đơn", "2.054") == 0.0
    assert squad_f1("2.054 đơn", "2.054") == 2 * (0.5 * 1.0) / 1.5  # precision 1/2, recall 1
    assert squad_f1("Hà Giang", "Bắc Giang") == 0.5 and squad_f1("Hà Nội", "Huế") == 0.0
