"""The step-preview contract: what every `StepPreviewer` adapter must do, as a reusable pytest suite.

Subclass `PreviewerContract` with a `previewer` fixture yielding an adapter that runs the real
previewer (`automl_worker.preview`); the suite uses the executor contract's synthetic 200-row table.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from automl_core.ports import StepPreviewer
from automl_core.previews import PreviewRequest, StepPreviewFailed
from tests.executors.contract import DATASET_ID, LOGISTIC, TARGET, graph, table


def preview_request(node_id: str, target: str = TARGET, limit: int = 5) -> PreviewRequest:
    return PreviewRequest(
        workflow=graph(LOGISTIC, target=target), node_id=node_id, dataset_hashes={DATASET_ID: "h"}, limit=limit
    )


class PreviewerContract:
    @pytest.fixture
    def preview_datasets(self, tmp_path: Path) -> Mapping[str, Path]:
        path = tmp_path / "preview.parquet"
        table().write_parquet(path)
        return {DATASET_ID: path}

    @pytest.mark.timeout(120)
    async def test_a_split_shows_its_training_rows_and_sizes(
        self, previewer: StepPreviewer, preview_datasets: Mapping[str, Path]
    ) -> None:
        result = await previewer.preview(preview_request("split"), preview_datasets)
        assert (result.node_id, result.kind, result.cached) == ("split", "rows", False)
        assert result.split is not None and (result.split.train, result.split.test) == (150, 50)
        assert result.total_rows == 150 and len(result.rows) == 5
        assert [(c.name, c.dtype) for c in result.columns] == [
            ("x", "float"),
            ("z", "float"),
            ("colour", "string"),
            (TARGET, "string"),
        ]

    @pytest.mark.timeout(120)
    async def test_a_model_shows_test_predictions_beside_the_truth(
        self, previewer: StepPreviewer, preview_datasets: Mapping[str, Path]
    ) -> None:
        result = await previewer.preview(preview_request("logreg", limit=50), preview_datasets)
        assert result.kind == "predictions" and result.total_rows == 50
        assert [c.name for c in result.columns] == ["row", TARGET, "prediction", "probability"]
        assert {row[2] for row in result.rows} <= {"yes", "no"}
        assert sum(row[1] == row[2] for row in result.rows) >= 35

    @pytest.mark.timeout(120)
    async def test_failure_names_the_node(self, previewer: StepPreviewer, preview_datasets: Mapping[str, Path]) -> None:
        with pytest.raises(StepPreviewFailed) as failed:
            await previewer.preview(preview_request("split", target="no_such_column"), preview_datasets)
        assert failed.value.node_id == "data" and "no_such_column" in failed.value.message
