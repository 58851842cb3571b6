"""API throughput and latency against the framework's own ceiling on this machine.

`automl serve` (SQLite, then Postgres) and a bare Litestar hello-world, both under the uvicorn
settings `automl serve` uses, each in its own process; the load comes from a third process: a small
asyncio HTTP/1.1 keep-alive client (hand-rolled so the client, not the server, is never the
bottleneck: httpx spends more CPU per request than Litestar does on a hello-world). Signed in with
the session cookie, it drives `GET /api/workflows/{id}` and `POST /api/workflows/validate` with a
50-node graph built from the served catalog. Each scenario is bounded in requests and seconds, after
a warm-up. `rps_vs_hello` is requests/s over the hello-world's (the best of a run before and after
the API runs, since the ceiling is the best the stack does here); `p50_vs_hello` is the latency ratio.
On a shared machine both swing with the neighbours' load, so `cpu_ms` is the server process's own CPU
time per request served (warm-up included) and `cpu_vs_hello` the hello-world's over it: the share of
the hello-world's rate the API reaches on equal CPU, which the load around it barely moves.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from typing import Any

import httpx
import psutil

from bench._server import DATASETS, Server, api_server, hello_server, sign_in

POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres@127.0.0.1:5432")
"""`user@host:port` of a server where the benchmark may create and drop its own database."""
GRAPH_NODES = 50

LOAD = r"""
import asyncio, json, sys, time

spec = json.loads(sys.argv[1])
body = spec["body"].encode()
head = f"{spec['method']} {spec['path']} HTTP/1.1\r\nHost: {spec['host']}:{spec['port']}\r\n"
head += "".join(f"{k}: {v}\r\n" for k, v in spec["headers"].items())
if spec["method"] != "GET":
    head += f"Content-Length: {len(body)}\r\n"
request = (head + "\r\n").encode() + body


async def read_response(reader):
    status = int((await reader.readline()).split()[1])
    length, chunked = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while (size := int((await reader.readline()).strip(), 16)):
            await reader.readexactly(size + 2)
        await reader.readline()
    elif length:
        await reader.readexactly(length)
    return status


async def connection(budget, deadline, latencies):
    reader, writer = await asyncio.open_connection(spec["host"], spec["port"])
    errors = 0
    while budget[0] > 0 and time.perf_counter() < deadline:
        budget[0] -= 1
        started = time.perf_counter()
        writer.write(request)
        status = await read_response(reader)
        latencies.append(time.perf_counter() - started)
        errors += not 200 <= status < 300
    writer.close()
    return errors


async def phase(count, seconds):
    budget, latencies = [count], []
    started = time.perf_counter()
    errors = await asyncio.gather(
        *(connection(budget, started + seconds, latencies) for _ in range(spec["connections"]))
    )
    return latencies, sum(errors), time.perf_counter() - started


async def main():
    warm, _, _ = await phase(spec["warmup"], spec["seconds"])
    latencies, errors, elapsed = await phase(spec["requests"], spec["seconds"])
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    print(json.dumps({"requests": len(latencies), "errors": errors, "seconds": elapsed,
                      "rps": len(latencies) / elapsed, "p50_ms": pick(0.50), "p99_ms": pick(0.99),
                      "served": len(warm) + len(latencies)}))


asyncio.run(main())
"""
"""The load generator, run as `python -c LOAD SPEC` in its own process."""


def load(server: Server, method: str, path: str, headers: dict[str, str], body: str, smoke: bool) -> dict[str, float]:
    spec = {
        "host": "127.0.0.1",
        "port": int(server.url.rsplit(":", 1)[1]),
        "method": method,
        "path": path,
        "headers": headers,
        "body": body,
        "connections": 4 if smoke else 16,
        "warmup": 100 if smoke else 500,
        "requests": 300 if smoke else 20_000,
        "seconds": 5.0 if smoke else 15.0,
    }
    server_cpu = psutil.Process(server.pid)
    before = sum(server_cpu.cpu_times()[:2])
    done = subprocess.run(
        [sys.executable, "-c", LOAD, json.dumps(spec)], capture_output=True, text=True, timeout=120, check=True
    )
    figures: dict[str, float] = json.loads(done.stdout)
    figures["cpu_ms"] = (sum(server_cpu.cpu_times()[:2]) - before) * 1000 / figures.pop("served")
    return figures


def catalog_graph(client: httpx.Client, dataset_id: str, target: str) -> dict[str, Any]:
    """A valid 50-node graph from the served catalog: dataset → split → a preprocessing chain →
    models, each with an evaluation. Types the validator rejects for this table are dropped."""
    types = client.get("/api/catalog").raise_for_status().json()["node_types"]

    def defaults(t: dict[str, Any]) -> dict[str, Any]:
        return {p["name"]: p["default"] for p in t["params"] if p["default"] is not None}

    usable = [t for t in types if all(p["default"] not in (None, []) for p in t["params"] if p["required"])]
    prep = [t for t in usable if t["category"] == "preprocess"]
    models = [t for t in usable if t["category"] == "model"]
    rejected: set[str] = set()
    for _ in range(5):
        nodes = [
            {"id": "data", "type": "dataset", "params": {"dataset_id": dataset_id, "target": target}},
            {"id": "split", "type": "split", "params": {}},
        ]
        edges: list[dict[str, str]] = [{"id": "e-split", "source": "data", "target": "split"}]
        tip = "split"
        for t in [t for t in prep if t["type"] not in rejected]:
            nodes.append({"id": f"p{len(nodes)}", "type": t["type"], "params": defaults(t)})
            edges.append({"id": f"e{len(edges)}", "source": tip, "target": nodes[-1]["id"]})
            tip = nodes[-1]["id"]
        fitting = [t for t in models if t["type"] not in rejected]
        while len(nodes) < GRAPH_NODES:
            t = fitting[len(nodes) % len(fitting)]
            model, evaluation = f"m{len(nodes)}", f"v{len(nodes)}"
            nodes.append({"id": model, "type": t["type"], "params": defaults(t)})
            edges.append({"id": f"e{len(edges)}", "source": tip, "target": model})
            if len(nodes) < GRAPH_NODES:
                nodes.append({"id": evaluation, "type": "evaluate", "params": {}})
                edges.append({"id": f"e{len(edges)}", "source": model, "target": evaluation})
        for n in nodes:
            n["position"] = {"x": 0, "y": 0}
        graph = {"nodes": nodes, "edges": edges}
        issues = client.post("/api/workflows/validate", json=graph).raise_for_status().json()["issues"]
        kinds = {n["id"]: n["type"] for n in nodes}
        bad = {kinds[i["node_id"]] for i in issues if i.get("node_id") in kinds} - {"dataset", "split", "evaluate"}
        if not issues or not bad:
            return graph | {"issues": len(issues)}
        rejected |= bad
    return graph | {"issues": len(issues)}


def measure_api(server: Server, smoke: bool) -> list[dict[str, Any]]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        sign_in(client)
        with (DATASETS / "penguins.csv").open("rb") as fh:
            dataset = client.post("/api/datasets", files={"file": ("penguins.csv", fh)}).raise_for_status().json()
        graph = catalog_graph(client, dataset["id"], "species")
        issues = graph.pop("issues")
        body = {"name": "bench", **graph}
        workflow = client.post("/api/workflows", json=body).raise_for_status().json()
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    headers = {"Cookie": cookie, "Accept": "application/json"}
    post_headers = {**headers, "Content-Type": "application/json"}
    return [
        {
            "endpoint": "GET /api/workflows/{id}",
            **load(server, "GET", f"/api/workflows/{workflow['id']}", headers, "", smoke),
        },
        {
            "endpoint": f"POST /api/workflows/validate ({len(graph['nodes'])} nodes, {issues} issues)",
            **load(server, "POST", "/api/workflows/validate", post_headers, json.dumps(graph), smoke),
        },
    ]


async def _postgres(statement: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect(f"postgresql://{POSTGRES}/postgres", timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def run(smoke: bool = False) -> list[dict[str, Any]]:
    results: list[tuple[str, dict[str, Any]]] = []
    hello: list[dict[str, Any]] = []
    unmeasured: list[tuple[str, str]] = []
    with hello_server() as server:
        hello.append(load(server, "GET", "/hello", {}, "", smoke))
    with api_server() as server:
        results += [("api sqlite", r) for r in measure_api(server, smoke)]
    if not smoke:
        database = f"bench_api_{uuid.uuid4().hex[:8]}"
        try:
            asyncio.run(_postgres(f'CREATE DATABASE "{database}"'))
        except Exception as exc:  # no server, no rights, no driver: the SQLite rows still stand
            print(f"api: Postgres at {POSTGRES} unavailable, skipped: {exc}", file=sys.stderr)
            unmeasured.append(("api postgres", f"NOT MEASURED: PostgreSQL at {POSTGRES} unavailable ({exc})"))
        else:
            try:
                with api_server(f"postgresql+asyncpg://{POSTGRES}/{database}") as server:
                    results += [("api postgres", r) for r in measure_api(server, smoke)]
            finally:
                asyncio.run(_postgres(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        with hello_server() as server:
            hello.append(load(server, "GET", "/hello", {}, "", smoke))
    ceiling = max(hello, key=lambda h: h["rps"])
    hello_cpu = min(h["cpu_ms"] for h in hello)
    rows = [{"server": "litestar hello-world", "endpoint": "GET /hello", **ceiling}]
    rows += [{"server": name, **r} for name, r in results]
    for row in rows:
        row["rps_vs_hello"] = round(row["rps"] / ceiling["rps"], 3)
        row["p50_vs_hello"] = round(row["p50_ms"] / ceiling["p50_ms"], 2)
        # Load-independent: the server's own CPU per request, as the share of hello-world's rate it allows.
        row["cpu_vs_hello"] = round(hello_cpu / row["cpu_ms"], 3)
        for key in ("seconds", "rps", "p50_ms", "p99_ms", "cpu_ms"):
            row[key] = round(row[key], 1 if key not in ("p50_ms", "cpu_ms") else 2)
    if len(hello) > 1:
        rows[0]["endpoint"] += f" (best of {', '.join(str(round(h['rps'])) for h in hello)} rps)"
    # A missing backend is said in the table, not left out of it silently.
    rows += [{**dict.fromkeys(rows[0], "-"), "server": name, "endpoint": why} for name, why in unmeasured]
    return rows
