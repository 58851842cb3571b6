"""The Gradio executor against a hostile fake Space: every misbehaviour ends as a FailedEvent with a
message, quickly, never as a hang or an exception."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from adapters.executors.gradio_space import GradioSpaceExecutor
from automl_core.execution import CompletedEvent, FailedEvent, ProgressEvent
from tests.executors.contract import collect, graph
from tests.executors.contract import request as make_request
from tests.executors.fake_space import Behaviour, reserve_port, serve, url_of

pytestmark = pytest.mark.timeout(30)

TOKEN = "hf_secret"
MODEL = ("model", "model.logistic_regression", {})


@pytest.fixture
def datasets(tmp_path: Path) -> dict[str, Path]:
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1 not really")
    return {"contract-ds": path}


def executor(url: str, **options: float) -> GradioSpaceExecutor:
    settings = {"wake_timeout_s": 2.0, "read_timeout_s": 2.0, "backoff_s": 0.05, **options}
    return GradioSpaceExecutor(url, token=TOKEN, **settings)


async def outcome(behaviour: Behaviour, datasets: dict[str, Path], **options: float) -> list:
    with serve(behaviour) as (url, record):
        space = executor(url, **options)
        try:
            handle = await space.submit(make_request("r1", graph(MODEL)), datasets)
            events = await collect(space, handle, timeout=15)
        finally:
            await space.close()
    return [events, record]


async def failure(behaviour: Behaviour, datasets: dict[str, Path], **options: float) -> str:
    events, _ = await outcome(behaviour, datasets, **options)
    final = events[-1]
    assert isinstance(final, FailedEvent), f"expected a failure, got {final!r}"
    assert final.message
    return final.message


async def test_a_well_behaved_space_runs_the_job_with_the_token_on_every_request(datasets) -> None:
    events, record = await outcome(Behaviour(authorised_token=TOKEN), datasets)
    assert [e.message for e in events if isinstance(e, ProgressEvent)] == [
        "sending the data to the Space",
        "queued on the Space",
        "fitting",
    ]
    final = events[-1]
    assert isinstance(final, CompletedEvent)
    [branch] = final.result.branches
    assert branch.artifact == b"skops:/tmp/out/0-model.skops"
    assert record.uploads == ["contract-ds.parquet"]
    assert record.authorization and set(record.authorization) == {f"Bearer {TOKEN}"}


async def test_queue_full_is_retried_with_backoff(datasets) -> None:
    events, record = await outcome(Behaviour(call_status=[503, 503]), datasets)
    assert isinstance(events[-1], CompletedEvent)
    assert record.calls == 3


async def test_a_space_that_stays_full_fails_within_the_wake_timeout(datasets) -> None:
    message = await failure(Behaviour(call_status=[503] * 1000), datasets, wake_timeout_s=0.5)
    assert "queue is full" in message and "0.5 s" in message


async def test_http_500_fails_at_once_with_the_status(datasets) -> None:
    events, record = await outcome(Behaviour(call_status=[500]), datasets)
    assert isinstance(events[-1], FailedEvent) and "HTTP 500" in events[-1].message
    assert record.calls == 1


async def test_a_wrong_token_is_reported(datasets) -> None:
    message = await failure(Behaviour(authorised_token="another"), datasets)
    assert "refused the credentials" in message


async def test_a_stream_cut_mid_way(datasets) -> None:
    message = await failure(Behaviour(stream="drop"), datasets)
    assert "ended before the run finished" in message


async def test_malformed_json(datasets) -> None:
    message = await failure(Behaviour(stream="garbage"), datasets)
    assert "malformed" in message


async def test_an_unknown_event(datasets) -> None:
    message = await failure(Behaviour(stream="unknown"), datasets)
    assert "unknown event 'surprise'" in message


async def test_the_workers_error_keeps_its_message_and_node(datasets) -> None:
    events, _ = await outcome(Behaviour(stream="error"), datasets)
    assert events[-1] == FailedEvent(message="the dataset has no column `ghost`", node_id="data")


async def test_an_error_without_a_message(datasets) -> None:
    message = await failure(Behaviour(stream="bare_error"), datasets)
    assert "without a message" in message


async def test_a_silent_stream_times_out(datasets) -> None:
    message = await failure(Behaviour(stream="silent"), datasets, read_timeout_s=0.5)
    assert "stopped answering" in message


async def test_a_space_that_is_down_is_retried_then_reported(datasets) -> None:
    down = reserve_port()
    space = executor(url_of(down), wake_timeout_s=0.5)
    try:
        handle = await space.submit(make_request("r1", graph(MODEL)), datasets)
        final = (await collect(space, handle, timeout=10))[-1]
        assert isinstance(final, FailedEvent) and "could not reach the Space" in final.message
        assert await space.healthy() is False
    finally:
        await space.close()
        down.close()


async def test_a_cold_space_is_waited_for_until_it_wakes(datasets) -> None:
    asleep = reserve_port()
    space = executor(url_of(asleep), wake_timeout_s=10)
    try:
        handle = await space.submit(make_request("r1", graph(MODEL)), datasets)
        await asyncio.sleep(1.0)  # connection refused meanwhile: the Space is still asleep
        with serve(Behaviour(), sock=asleep):
            final = (await collect(space, handle, timeout=15))[-1]
        assert isinstance(final, CompletedEvent)
    finally:
        await space.close()


async def test_cancel_closes_the_stream(datasets) -> None:
    with serve(Behaviour(stream="heartbeats")) as (url, record):
        space = executor(url)
        try:
            handle = await space.submit(make_request("r1", graph(MODEL)), datasets)
            events = []
            async for event in space.events(handle):
                events.append(event)
                if isinstance(event, ProgressEvent) and event.message == "fitting":
                    await space.cancel(handle)
            assert isinstance(events[-1], FailedEvent) and events[-1].message == "cancelled"
            await asyncio.to_thread(record.stream_closed.wait, 5)
            assert record.stream_closed.is_set(), "the Space should see the listener go"
        finally:
            await space.close()


async def test_healthy_probes_the_space() -> None:
    with serve(Behaviour()) as (url, _):
        space = executor(url)
        assert await space.healthy() is True
        await space.close()
