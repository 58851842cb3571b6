"""Start `automl serve` (or any ASGI app under uvicorn) as a subprocess on a free loopback port.

The API benchmarks measure the server as users run it: its own process, its own event loop, the
same uvicorn settings as `automl serve`, reached over loopback only. Output goes to a log file so a
chatty access log never blocks the server on a full pipe.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("AUTOML_DATASETS", ROOT.parent / "shared" / "datasets"))
SERVE = "from entrypoints.cli import main; main(['serve'])"
"""`automl serve`, without relying on the console script being on PATH."""
HELLO = """
import sys, uvicorn
from litestar import Litestar, get

@get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}

uvicorn.run(Litestar([hello]), host="127.0.0.1", port=int(sys.argv[1]), log_level="info", proxy_headers=True)
"""
"""The framework's ceiling: a bare Litestar app under the uvicorn settings `automl serve` uses."""


LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
"""Servers start on port 0 (the OS picks, nobody can take it in between) and say the port in their log."""


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def _wait_up(server: Server, probe: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited ({server.process.returncode}): {server.log.read_text()[-2000:]}")
        if not server.url and (found := LISTENING.search(server.log.read_text(errors="replace"))):
            server.url = f"http://127.0.0.1:{found[1]}"
        with contextlib.suppress(httpx.TransportError):
            if server.url and httpx.get(server.url + probe, timeout=2).status_code < 500:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server not up after {timeout_s:.0f} s: {server.log.read_text()[-2000:]}")


@contextlib.contextmanager
def _spawn(argv: list[str], env: Mapping[str, str], log: Path, probe: str) -> Iterator[Server]:
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=dict(env), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    server = Server("", process, log)
    try:
        _wait_up(server, probe, 90)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def api_server(database_url: str | None = None, max_upload_mb: int = 500) -> Iterator[Server]:
    """`automl serve` with a temp data dir, local sign-in and the local executor."""
    with tempfile.TemporaryDirectory(prefix="bench-api-") as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "AUTOML_", "HF_"))}
        env.pop("DATABASE_URL", None)
        env.update(
            AUTOML_DATA_DIR=data_dir,
            AUTOML_PORT="0",
            AUTOML_HOST="127.0.0.1",
            AUTOML_EXECUTOR="local",
            AUTOML_AUTH="local",
            AUTOML_MAX_UPLOAD_MB=str(max_upload_mb),
            AUTOML_FRONTEND_DIR=str(Path(data_dir) / "no-frontend"),
        )
        if database_url:
            env["DATABASE_URL"] = database_url
        with _spawn([sys.executable, "-c", SERVE], env, Path(data_dir) / "server.log", "/api/health") as server:
            yield server


@contextlib.contextmanager
def hello_server() -> Iterator[Server]:
    with tempfile.TemporaryDirectory(prefix="bench-hello-") as folder:
        argv = [sys.executable, "-c", HELLO, "0"]
        with _spawn(argv, os.environ, Path(folder) / "server.log", "/hello") as server:
            yield server


def sign_in(client: httpx.Client, email: str = "bench@example.org") -> None:
    """Local sign-in (loopback only): the session cookie lands in the client's jar."""
    client.post("/api/auth/local", json={"email": email}).raise_for_status()
