"""A job's memory limit on what it holds: the resident memory of its process group, sampled.

`RLIMIT_DATA` counts address space a process merely reserves (allocator arenas, BLAS buffers per
thread): it failed a job at 227 MB resident under a 2 GB limit. The job is a process-group leader
(its joblib/loky helpers join its group), so the sum of its group's resident pages is what it really
uses; over the limit, the group is killed and the job fails with what it was doing at the time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
INTERVAL_S = 0.1
"""Sampling period: a job allocating 1 GB/s overshoots the limit by about 100 MB before it is stopped."""
PROC = Path("/proc")


def group_rss(pgid: int) -> int:
    """Resident bytes of every process in process group `pgid` (Linux /proc)."""
    total = 0
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            # Field 5 of stat is the process group; the name in field 2 may hold spaces, so split after it.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                total += int((entry / "statm").read_text().split()[1]) * PAGE
    return total


async def watch(pgid: int, limit_bytes: int, alive: Callable[[], bool], over: Callable[[int], None]) -> int:
    """Sample the group while `alive()` until it is over `limit_bytes` (then `over(rss)` is called); the peak seen."""
    peak = 0
    while alive():
        rss = await asyncio.to_thread(group_rss, pgid)
        peak = max(peak, rss)
        if rss > limit_bytes:
            over(rss)
            return peak
        await asyncio.sleep(INTERVAL_S)
    return peak


def over_limit_message(limit_mb: int, doing: str | None) -> str:
    """What happened and what to do, in the words of the run's progress."""
    where = f" while {doing[0].lower()}{doing[1:]}" if doing else ""
    return (
        f"the job needed more than {limit_mb:,} MB{where}: lower the rows with a sample step, "
        "or raise AUTOML_JOB_MEMORY_MB"
    )
