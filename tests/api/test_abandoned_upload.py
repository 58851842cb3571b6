"""An upload whose client goes away stops being worked on: a wide table's profile is seconds of a core
that nobody waits for. Needs a real server: only a real socket closes under a running handler."""

from __future__ import annotations

import io
import os
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import polars as pl
import pytest

from tests.serving import serve

pytestmark = pytest.mark.timeout(180)

STOPPED = "upload stopped: the client went away before it was read"


def wide_csv(columns: int = 1000, rows: int = 6000) -> bytes:
    """As wide as uploads may be, with enough rows that profiling takes seconds."""
    frame = pl.DataFrame({f"c{i}": [(r * 7 + i) % 97 for r in range(rows)] for i in range(columns)})
    out = io.BytesIO()
    frame.write_csv(out)
    return out.getvalue()


def multipart_request(host: str, token: str, content: bytes) -> bytes:
    boundary = "automl-abandoned-upload"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="wide.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    head = (
        f"POST /api/datasets/ HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


def test_an_upload_whose_client_leaves_is_stopped_and_stores_nothing(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    env = {**os.environ, "AUTOML_DATA_DIR": str(tmp_path / "data"), "AUTOML_EXECUTOR": "memory", "AUTOML_AUTH": "local"}
    content = wide_csv()
    with serve(env, log) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        token = client.post("/api/auth/local", json={"email": "leaver@example.com"}).cookies["automl_session"]
        client.cookies.clear()
        address = urlsplit(server.url)
        with socket.create_connection((address.hostname, address.port)) as sock:
            sock.sendall(multipart_request(address.netloc, token, content))
            time.sleep(1.0)  # the client stays a moment, while the server reads and profiles, then leaves
        deadline = time.monotonic() + 90
        while STOPPED not in log.read_text():
            assert time.monotonic() < deadline, f"the upload was not stopped: {log.read_text()[-2000:]}"
            time.sleep(0.2)
        listed = client.get("/api/datasets", headers={"Authorization": f"Bearer {token}"})
        assert listed.status_code == 200, listed.text
        assert listed.json()["items"] == []
