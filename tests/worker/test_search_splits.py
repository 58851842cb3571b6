"""Small tables are searched on repeated folds: every row validated twice, reported once."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from automl_worker.automl import REPEATED_BELOW, REPEATS, search_splits
from automl_worker.evaluate import Outcome, first_of_each_row


@settings(max_examples=25, deadline=None)
@given(n=st.integers(20, REPEATED_BELOW - 1), classes=st.integers(2, 4), seed=st.integers(0, 2**16))
def test_every_row_of_a_small_table_is_validated_once_per_repeat(n: int, classes: int, seed: int) -> None:
    y = np.arange(n) % classes
    splits = search_splits(y, "multiclass" if classes > 2 else "binary", seed)
    seen = np.concatenate([valid for _, valid in splits])
    assert np.array_equal(np.bincount(seen, minlength=n), np.full(n, REPEATS))
    for train, valid in splits:
        assert not set(train) & set(valid)


def test_medium_tables_keep_three_folds() -> None:
    y = np.arange(REPEATED_BELOW + 100) % 2
    assert len(search_splits(y, "binary", 0)) == 3


def test_out_of_fold_predictions_report_each_row_once() -> None:
    rows = np.array([3, 1, 2, 1, 3, 2])
    out = Outcome(rows, rows * 10, rows + 100, proba=np.stack([rows, -rows], axis=1).astype(float))
    once = first_of_each_row(out)
    assert once.rows.tolist() == [3, 1, 2]
    assert once.pred.tolist() == [103, 101, 102]
    assert once.proba is not None and once.proba[:, 0].tolist() == [3.0, 1.0, 2.0]
