"""Every Predictor adapter against the place it predicts: the warm local process, the real Gradio
worker on loopback, a Dask LocalCluster. Each gets a model it never saw, keeps it, and names bad rows."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import LocalCluster

from adapters.blobs import FilesystemBlobStore
from adapters.executors.dask import DaskExecutor
from adapters.executors.gradio_space import GradioSpaceExecutor
from adapters.prediction import WarmProcessPredictor
from adapters.prediction.dask import DaskPredictor
from adapters.prediction.gradio_space import GradioSpacePredictor
from automl_core.errors import InvalidInput
from automl_core.ports import BlobRef, Predictor
from tests.executors.contract import DATASET_ID, LOGISTIC, graph, request, table
from tests.spaces import running_space

ROWS = [{"x": 0.5, "z": -1.0, "colour": "red"}, {"x": None, "z": 2.0, "colour": "blue"}]


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A logistic regression the real engine trains on the contract's table."""
    from automl_worker.engine import run

    path = tmp_path_factory.mktemp("predict-data") / "contract.parquet"
    table().write_parquet(path)
    result = run(request("predict", graph(LOGISTIC)), {DATASET_ID: path}, lambda _: None)
    return result.branches[0].artifact


@pytest.fixture
async def stored(tmp_path: Path, artifact: bytes) -> tuple[FilesystemBlobStore, BlobRef]:
    blobs = FilesystemBlobStore(tmp_path / "blobs")
    source = tmp_path / "model.skops"
    source.write_bytes(artifact)
    return blobs, await blobs.put_file(source)


class PredictorContract:
    @pytest.fixture
    def predictor(self, stored: tuple[FilesystemBlobStore, BlobRef]) -> Predictor:
        raise NotImplementedError

    @pytest.mark.timeout(120)
    async def test_predicts_then_keeps_the_model_where_it_predicts(
        self, predictor: Predictor, stored: tuple[FilesystemBlobStore, BlobRef]
    ) -> None:
        blobs, ref = stored
        first = await predictor.predict(ref.key, ROWS)
        assert first.classes == ["no", "yes"]
        assert len(first.predictions) == 2 and set(first.predictions) <= {"no", "yes"}
        assert first.probabilities is not None and all(abs(sum(p) - 1) < 1e-5 for p in first.probabilities)
        await blobs.delete(ref.key)  # from now on only the worker's own copy can answer
        assert await predictor.predict(ref.key, ROWS) == first

    @pytest.mark.timeout(120)
    async def test_rows_that_do_not_fit_name_row_and_column(
        self, predictor: Predictor, stored: tuple[FilesystemBlobStore, BlobRef]
    ) -> None:
        with pytest.raises(InvalidInput) as raised:
            await predictor.predict(stored[1].key, [ROWS[0], {"x": "heavy", "z": 1.0, "colour": "red"}])
        [issue] = raised.value.issues
        assert (issue.row, issue.column) == (1, "x")


class TestWarmProcessPredictor(PredictorContract):
    @pytest.fixture
    async def predictor(self, stored: tuple[FilesystemBlobStore, BlobRef]) -> AsyncIterator[Predictor]:
        predictor = WarmProcessPredictor(stored[0], max_models=2, memory_limit_mb=1500)
        yield predictor
        await predictor.close()

    @pytest.mark.timeout(120)
    async def test_a_dead_process_is_replaced(self, stored: tuple[FilesystemBlobStore, BlobRef]) -> None:
        predictor = WarmProcessPredictor(stored[0])
        try:
            before = await predictor.predict(stored[1].key, ROWS)
            pool: Any = predictor._pool
            [pid] = list(pool._processes)
            assert pid != os.getpid()
            os.kill(pid, signal.SIGKILL)
            assert await predictor.predict(stored[1].key, ROWS) == before
        finally:
            await predictor.close()


@pytest.fixture(scope="module")
def space_url() -> Iterator[str]:
    with running_space() as url:
        yield url


class TestGradioSpacePredictor(PredictorContract):
    @pytest.fixture
    async def predictor(self, space_url: str, stored: tuple[FilesystemBlobStore, BlobRef]) -> AsyncIterator[Predictor]:
        from automl_worker import space

        space.MODELS._models.clear()  # a model an earlier test left on the Space must not answer for this one
        for kept in space.MODELS.store.glob("*.skops") if space.MODELS.store else ():
            kept.unlink()
        executor = GradioSpaceExecutor(space_url, wake_timeout_s=10, read_timeout_s=30)
        yield GradioSpacePredictor(executor, stored[0])
        await executor.close()


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        processes=True, n_workers=1, threads_per_worker=1, dashboard_address=None, memory_limit="1.5GiB"
    ) as started:
        yield started


class TestDaskPredictor(PredictorContract):
    @pytest.fixture
    async def predictor(
        self, cluster: LocalCluster, stored: tuple[FilesystemBlobStore, BlobRef]
    ) -> AsyncIterator[Predictor]:
        executor = DaskExecutor(cluster.scheduler_address)
        yield DaskPredictor(executor, stored[0])
        await executor.close()
