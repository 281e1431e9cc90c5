"""The one definition of each figure the evaluation, the benchmarks and the tests report."""

import numpy as np

from rag.eval.metrics import percentile, recall_at_k


def test_recall_at_k_is_the_share_of_the_true_neighbours_found():
    truth = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    found = np.array([[4, 3, 9, 9], [5, 6, 7, 8]])  # half of the first query's, all of the second's
    assert recall_at_k(found, truth) == 0.75


def test_p95_is_interpolated_between_the_nearest_observations():
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 95) == 4.8  # between the two largest
    assert percentile([7.0], 95) == 7.0
    assert np.isnan(percentile([], 95))
