"""A real `automl serve` in a subprocess, for tests that kill and restart the API."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
AUTOML = Path(sys.executable).parent / "automl"


@contextmanager
def serve(env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start the server with `env` (its `AUTOML_PORT` included), wait until it answers, stop it after."""
    with log.open("ab") as out:
        server = subprocess.Popen([str(AUTOML), "serve"], cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"automl serve exited: {log.read_text()[-2000:]}"
            try:
                if httpx.get(f"http://127.0.0.1:{env['AUTOML_PORT']}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"automl serve did not answer: {log.read_text()[-2000:]}"
            time.sleep(0.2)
        yield server
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
