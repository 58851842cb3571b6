"""Run wake-ups: a queued run wakes the supervisors at once, in this process and across replicas."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy.engine import make_url

from adapters.clock import SystemClock
from adapters.memory import MemoryExecutor
from adapters.wakeup import LocalWakeup, PostgresWakeup
from automl_core.runs import RunStatus
from automl_core.services.supervisor import RunSupervisor
from tests.executors.test_supervisor import ALICE, World, until


@pytest.fixture
async def world() -> World:
    world = World()
    await world.add_dataset(ALICE)
    return world


async def test_a_notify_before_the_wait_is_not_lost() -> None:
    wakeup = LocalWakeup()
    await wakeup.notify()
    await asyncio.wait_for(wakeup.wait(), 1)
    with pytest.raises(TimeoutError):  # consumed: the next wait waits for the next run
        await asyncio.wait_for(wakeup.wait(), 0.1)


async def test_a_run_queued_through_one_replica_wakes_another(postgres_url: str) -> None:
    dsn = make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)
    here, there = PostgresWakeup(dsn), PostgresWakeup(dsn)
    try:
        waiting = asyncio.create_task(there.wait())
        await asyncio.sleep(0.3)  # `there` is listening now
        assert not waiting.done()
        started = time.monotonic()
        await here.notify()
        await asyncio.wait_for(waiting, 5)
        assert time.monotonic() - started < 1.0
    finally:
        await here.close()
        await there.close()


async def test_the_supervisor_claims_a_queued_run_at_once_not_at_its_next_poll(world: World) -> None:
    wakeup = LocalWakeup()
    world.runs.wakeup = wakeup
    supervisor = RunSupervisor(world.uow, world.blobs, MemoryExecutor(), SystemClock(), poll_s=30, wakeup=wakeup)
    loop = asyncio.create_task(supervisor.run_forever())
    try:
        await asyncio.sleep(0.1)  # idle now, for up to 30 s without a wake-up
        for _ in range(2):  # the second run starts when the first frees the (only) slot for the user
            started = time.monotonic()
            run = await world.queue(ALICE)

            async def done(run_id: str = run.id) -> bool:
                return await world.status(ALICE, run_id) is RunStatus.SUCCEEDED

            await until(done, timeout=5)
            assert time.monotonic() - started < 2.0, "claimed at once, not after the 30 s poll"
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
