"""A real `automl serve` in a subprocess, for tests that kill and restart the API."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
AUTOML = Path(sys.executable).parent / "automl"
LISTENING = re.compile(rb"Uvicorn running on http://127\.0\.0\.1:(\d+)")


@dataclass(frozen=True)
class Served:
    process: subprocess.Popen[bytes]
    url: str


@contextmanager
def serve(env: Mapping[str, str], log: Path) -> Iterator[Served]:
    """Start the server with `env` on a port the OS picks (no port is free-then-taken in between),
    read the port back from its log, wait until it answers, stop it after."""
    start = log.stat().st_size if log.exists() else 0
    with log.open("ab") as out:
        server = subprocess.Popen(
            [str(AUTOML), "serve"],
            cwd=ROOT,
            env={**env, "AUTOML_HOST": "127.0.0.1", "AUTOML_PORT": "0"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        url = None
        while True:
            assert server.poll() is None, f"automl serve exited: {log.read_text()[-2000:]}"
            if url is None and (found := LISTENING.search(log.read_bytes()[start:])):
                url = f"http://127.0.0.1:{int(found[1])}"
            try:
                if url and httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"automl serve did not answer: {log.read_text()[-2000:]}"
            time.sleep(0.2)
        yield Served(server, url)
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
