"""Runs: list, inspect, cancel, and follow live over Server-Sent Events."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import ServerSentEvent

from entrypoints.http.dependencies import CurrentUser, Runs
from entrypoints.http.events import run_events
from entrypoints.http.params import Limit, Offset
from entrypoints.http.schemas import RunOut, RunPage


class RunController(Controller):
    path = "/api/runs"
    tags = ["runs"]

    @get("/", summary="Your runs, newest first; optionally of one workflow")
    async def list_runs(
        self,
        user: CurrentUser,
        runs: Runs,
        workflow_id: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> RunPage:
        page = await runs.list(user.id, workflow_id, limit, offset)
        return RunPage(items=[RunOut.of(r) for r in page.items], total=page.total)

    @get("/{run_id:str}", summary="One run, with its progress and results")
    async def get_run(self, run_id: FromPath[str], user: CurrentUser, runs: Runs) -> RunOut:
        return RunOut.of(await runs.get(user.id, run_id))

    @post("/{run_id:str}/cancel", status_code=200, summary="Cancel a queued or running run (409 if over)")
    async def cancel(self, run_id: FromPath[str], user: CurrentUser, runs: Runs) -> RunOut:
        return RunOut.of(await runs.cancel(user.id, run_id))

    @post(
        "/{run_id:str}/finish",
        status_code=200,
        summary="Finish now: stop an AutoML search and keep the best model so far (409 unless running)",
    )
    async def finish(self, run_id: FromPath[str], user: CurrentUser, runs: Runs) -> RunOut:
        return RunOut.of(await runs.finish(user.id, run_id))

    @get(
        "/{run_id:str}/events",
        summary="Live run events (text/event-stream): status, node, progress, log, result, done",
        description=(
            "The first event is `status` with the whole run as it is now (`nodes` holds each step's "
            "state). Then `node` (`{node_id, state, message?}`) as a step changes state, `status` (the "
            "run) on each state change, `progress` (`{fraction, message, node_id}`), `log` "
            "(`{line, node_id?}`), one `result` per trained model when the run succeeds, and finally "
            "`done` (`{status, error?}`)."
        ),
    )
    async def events(self, run_id: FromPath[str], user: CurrentUser, runs: Runs) -> ServerSentEvent:
        await runs.get(user.id, run_id)  # 404 before the stream starts, not inside it
        return ServerSentEvent(run_events(runs, user.id, run_id))
