"""Every artifact is checked when it arrives, whichever executor sent it: a hostile one fails the run."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import msgspec
import pytest

from adapters.artifact_check import WorkerProcessVerifier
from adapters.clock import SystemClock
from adapters.executors.gradio_space import GradioSpaceExecutor
from adapters.memory import MemoryExecutor
from adapters.memory.executor import fabricated_result
from automl_core.execution import ExecutionRequest, ExecutionResult
from automl_core.runs import RunStatus
from automl_core.services.supervisor import RunSupervisor
from tests.executors import fake_space
from tests.executors.test_supervisor import ALICE, FAST, World
from tests.worker.conftest import chain, dataset, read_csv, request
from tests.worker.hostile_artifacts import HOSTILE

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from automl_worker.engine import run

    path = tmp_path_factory.mktemp("mpg") / "mpg.parquet"
    read_csv("mpg").write_parquet(path)
    graph = chain(dataset("mpg", features=["weight", "origin"]), ("model", "model.linear_regression"))
    return run(request(graph), {"ds": path}).branches[0].artifact


@pytest.fixture(scope="module")
def verifier() -> Iterator[WorkerProcessVerifier]:
    checker = WorkerProcessVerifier()
    yield checker
    asyncio.run(checker.close())


@pytest.fixture
async def world() -> World:
    world = World()
    await world.add_dataset(ALICE)
    return world


def sending(artifact: bytes) -> MemoryExecutor:
    """An executor whose engine answers every job with this file as the model's artifact."""

    def engine(req: ExecutionRequest, _datasets: Mapping[str, Path], *_signals: object) -> ExecutionResult:
        result = fabricated_result(req)
        branches = [msgspec.structs.replace(b, artifact=artifact) for b in result.branches]
        return msgspec.structs.replace(result, branches=branches)

    return MemoryExecutor(engine=engine)  # type: ignore[arg-type]


async def outcome(world: World, executor: object, verifier: WorkerProcessVerifier) -> tuple[RunStatus, object]:
    run = await world.queue(ALICE)
    await RunSupervisor(world.uow, world.blobs, executor, SystemClock(), verifier=verifier, **FAST).drain()  # type: ignore[arg-type]
    done = await world.runs.get(ALICE, run.id)
    async with world.uow() as uow:
        models = (await uow.models.list(ALICE, 10, 0)).items
    return done.status, (done.error, models)


@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_a_hostile_artifact_fails_its_run_naming_the_node(
    case: str, world: World, verifier: WorkerProcessVerifier, real: bytes, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    status, (error, models) = await outcome(world, sending(HOSTILE[case](marker, real)), verifier)
    assert status is RunStatus.FAILED
    assert error.node_id == "model" and "node `model`" in error.message and "refused" in error.message
    assert models == []  # nothing stored to predict with later
    assert not marker.exists()


async def test_a_genuine_artifact_is_stored(world: World, verifier: WorkerProcessVerifier, real: bytes) -> None:
    status, (error, models) = await outcome(world, sending(real), verifier)
    assert status is RunStatus.SUCCEEDED, error
    assert len(models) == 1


async def test_a_fake_space_cannot_slip_a_model_file_past_the_check(
    world: World, verifier: WorkerProcessVerifier, real: bytes, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    attack = HOSTILE["partial_of_an_sklearn_helper"](marker, real)
    with fake_space.serve(fake_space.Behaviour(artifact=attack)) as (url, _record):
        executor = GradioSpaceExecutor(url, read_timeout_s=30)
        try:
            status, (error, models) = await outcome(world, executor, verifier)
        finally:
            await executor.close()
    assert status is RunStatus.FAILED and error.node_id == "model", error
    assert "assert_run_python_script_without_output" in error.message
    assert models == [] and not marker.exists()


WITHOUT_MODEL_LIBRARIES = """
import sys
sys.modules.update({name: None for name in ("skops", "sklearn", "numpy", "scipy", "pandas")})
from adapters.artifact_check import _refusal
print(repr(_refusal(sys.stdin.buffer.read())))
"""


@pytest.mark.parametrize("case", ["partial_of_an_sklearn_helper", "zip_with_extra_members", "genuine"])
def test_an_api_without_the_model_libraries_still_reads_files_with_the_allowlist(case: str, real: bytes) -> None:
    data = real if case == "genuine" else HOSTILE[case](Path("/nonexistent"), real)
    answer = subprocess.run(
        [sys.executable, "-c", WITHOUT_MODEL_LIBRARIES], input=data, capture_output=True, check=True
    ).stdout.decode()
    assert (answer.strip() == "None") is (case == "genuine"), answer
