"""How `symptomcheck crossvalidate` deals patients into folds."""

from __future__ import annotations

import numpy as np
import pytest

from symptomcheck.evaluation.crossval import fold_numbers


@pytest.mark.parametrize(("count", "folds"), [(10, 2), (11, 5), (598, 5), (7, 7)])
def test_every_patient_is_in_exactly_one_fold_and_fold_sizes_differ_by_at_most_one(count: int, folds: int) -> None:
    numbers = fold_numbers(count, folds)
    assert numbers.shape == (count,)
    sizes = np.bincount(numbers, minlength=folds)
    assert len(sizes) == folds
    assert sizes.sum() == count
    assert sizes.max() - sizes.min() <= 1


def test_the_same_seed_deals_the_same_folds_and_another_seed_others() -> None:
    assert np.array_equal(fold_numbers(100, 5, seed=3), fold_numbers(100, 5, seed=3))
    assert not np.array_equal(fold_numbers(100, 5, seed=3), fold_numbers(100, 5, seed=4))


def test_folds_are_shuffled_not_cut_from_the_file_order() -> None:
    numbers = fold_numbers(100, 2)
    assert 0 < numbers[:50].sum() < 50  # the first half of the file is not one fold


@pytest.mark.parametrize(("count", "folds"), [(5, 1), (3, 4), (0, 2)])
def test_impossible_fold_counts_are_refused(count: int, folds: int) -> None:
    with pytest.raises(ValueError, match="folds"):
        fold_numbers(count, folds)
