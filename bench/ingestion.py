"""Upload ingestion: generated CSVs through `POST /api/datasets` vs `polars.read_csv` of the same file.

The API streams the multipart body to disk, sniffs and hashes it, converts it to Parquet with a
streaming polars sink and profiles every column; its throughput is file MB over the wall time of the
request (until the 201) and its memory is the peak RSS of the `automl serve` process, sampled with
psutil while the upload runs. The baseline is the plainest thing a user could do instead:
`polars.read_csv` of the same file in a bare subprocess (peak RSS from `ru_maxrss`). The API does more
work than the baseline, so `mb_s_vs_polars` below 1 is expected; `rss_vs_polars` and
`api_rss_growth_mb` show whether streaming keeps the server's memory flat as the file grows (a bounded
pipeline's ratio falls towards 0 with file size, since `read_csv` must hold the whole table).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import polars as pl
import psutil

from bench._server import DATASETS, Server, api_server, sign_in

MB = 1024 * 1024
BLOCK_ROWS = 50_000
READ_CSV = """
import json, resource, sys, time
import polars as pl
started = time.perf_counter()
frame = pl.read_csv(sys.argv[1])
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "rows": frame.height, "peak_rss": peak}))
"""
"""The baseline, run as `python -c READ_CSV FILE` so its peak RSS is its own."""


def generate_csv(path: Path, size_bytes: int, seed: int = 0) -> int:
    """A CSV of at least `size_bytes`: integers, floats and text with missing cells, booleans, dates."""
    rng = np.random.default_rng(seed)
    words = np.array([f"category_{i:03d}" for i in range(200)])
    rows = 0
    with path.open("wb") as out:
        while out.tell() < size_bytes:
            n = BLOCK_ROWS
            missing = rng.random((4, n)) < 0.05
            frame = pl.DataFrame(
                {
                    "id": np.arange(rows, rows + n),
                    "amount": np.where(missing[0], np.nan, rng.normal(100, 30, n).round(3)),
                    "ratio": rng.random(n),
                    "count": rng.integers(0, 1_000, n),
                    "category": words[rng.integers(0, len(words), n)],
                    "label": rng.choice(["yes", "no"], n),
                    "flag": rng.random(n) < 0.3,
                    "note": np.char.add("note ", rng.integers(0, 10**6, n).astype(str)),
                    "score": np.where(missing[3], np.nan, rng.standard_normal(n)),
                    "day": pl.date_range(pl.date(2020, 1, 1), pl.date(2020, 12, 31), eager=True)
                    .sample(n, with_replacement=True, seed=int(rng.integers(1 << 31)))
                    .to_numpy(),
                }
            ).with_columns(
                pl.col("amount", "score").fill_nan(None),
                pl.when(pl.Series(missing[1])).then(None).otherwise(pl.col("category")).alias("category"),
                pl.when(pl.Series(missing[2])).then(None).otherwise(pl.col("note")).alias("note"),
            )
            frame.write_csv(out, include_header=rows == 0)
            rows += n
    return rows


class PeakRss:
    """Samples a process's RSS (children included) in a thread; `peak` is the highest seen."""

    def __init__(self, pid: int, every_s: float = 0.02) -> None:
        self.process = psutil.Process(pid)
        self.every_s = every_s
        self.peak = self.idle = self.rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def rss(self) -> int:
        procs = [self.process, *self.process.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs if p.is_running())

    def _sample(self) -> None:
        while not self._stop.wait(self.every_s):
            self.peak = max(self.peak, self.rss())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())


def upload(server: Server, client: httpx.Client, path: Path) -> tuple[float, int, int, dict[str, Any]]:
    """(seconds, idle RSS, peak RSS, the created dataset) for one streamed multipart upload."""
    with PeakRss(server.pid) as rss, path.open("rb") as fh:
        started = time.perf_counter()
        reply = client.post("/api/datasets", files={"file": (path.name, fh, "text/csv")})
        seconds = time.perf_counter() - started
    return seconds, rss.idle, rss.peak, reply.raise_for_status().json()


def read_csv(path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", READ_CSV, str(path)], capture_output=True, text=True, timeout=1800, check=True
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def run(smoke: bool = False) -> list[dict[str, Any]]:
    sizes = [100] if smoke else [100, 1024]
    rows: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder,
        api_server(max_upload_mb=2 * max(sizes)) as server,
        httpx.Client(base_url=server.url, timeout=httpx.Timeout(60, read=1800)) as client,
    ):
        sign_in(client)
        for size_mb in sizes:
            path = Path(folder) / f"generated-{size_mb}mb.csv"
            n_rows = generate_csv(path, size_mb * MB)
            file_mb = path.stat().st_size / MB
            seconds, idle, peak, dataset = upload(server, client, path)
            if dataset["row_count"] != n_rows:
                raise AssertionError(f"the API read {dataset['row_count']} rows of {n_rows}")
            base = read_csv(path)
            rows.append(
                {
                    "file_mb": round(file_mb),
                    "rows": n_rows,
                    "api_s": round(seconds, 1),
                    "api_mb_s": round(file_mb / seconds, 1),
                    "api_peak_rss_mb": round(peak / MB),
                    "api_rss_growth_mb": round((peak - idle) / MB),
                    "polars_s": round(base["seconds"], 1),
                    "polars_mb_s": round(file_mb / base["seconds"], 1),
                    "polars_peak_rss_mb": round(base["peak_rss"] / MB),
                    "mb_s_vs_polars": round((file_mb / seconds) / (file_mb / base["seconds"]), 3),
                    "rss_vs_polars": round(peak / base["peak_rss"], 3),
                }
            )
            path.unlink()
    return rows


def rss_mb(pid: int) -> tuple[int, int]:
    """(the process's own RSS, its children's together) in MB."""
    process = psutil.Process(pid)
    children = sum(c.memory_info().rss for c in process.children(recursive=True) if c.is_running())
    return round(process.memory_info().rss / MB), round(children / MB)


def footprint(predict_batches: int = 20, rows_per_batch: int = 2_000) -> list[dict[str, Any]]:
    """The API's own RSS idle, after training one model (the local executor) and after serving
    `predict_batches` predictions of `rows_per_batch` rows; its children (the fork server, the warm
    prediction process) are counted apart: they are where the model libraries and models live."""
    with api_server() as server, httpx.Client(base_url=server.url, timeout=httpx.Timeout(60, read=600)) as client:
        sign_in(client)
        figures = [{"moment": "idle", **dict(zip(("api_rss_mb", "children_rss_mb"), rss_mb(server.pid), strict=True))}]
        with (DATASETS / "penguins.csv").open("rb") as fh:
            dataset = client.post("/api/datasets", files={"file": ("penguins.csv", fh)}).raise_for_status().json()
        graph = {
            "nodes": [
                {"id": "data", "type": "dataset", "params": {"dataset_id": dataset["id"], "target": "species"}},
                {"id": "split", "type": "split", "params": {}},
                {"id": "model", "type": "model.random_forest", "params": {}},
            ],
            "edges": [
                {"id": "e1", "source": "data", "target": "split"},
                {"id": "e2", "source": "split", "target": "model"},
            ],
        }
        run = client.post("/api/workflows/execute", json=graph).raise_for_status().json()
        deadline = time.monotonic() + 600
        while (run := client.get(f"/api/runs/{run['id']}").json())["status"] not in (
            "succeeded",
            "failed",
            "cancelled",
        ):
            if time.monotonic() > deadline:
                raise TimeoutError("the footprint run did not finish in 10 minutes")
            time.sleep(0.5)
        if run["status"] != "succeeded":
            raise RuntimeError(f"the footprint run failed: {run.get('error')}")
        figures.append(
            {"moment": "after a run", **dict(zip(("api_rss_mb", "children_rss_mb"), rss_mb(server.pid), strict=True))}
        )
        model = client.get(f"/api/models/{run['results'][0]['model_id']}").json()
        sample = pl.read_csv(DATASETS / "penguins.csv", null_values=["NA", "?", ""]).to_dicts()
        batch = [
            {f["name"]: sample[i % len(sample)].get(f["name"]) for f in model["features"]}
            for i in range(rows_per_batch)
        ]
        for _ in range(predict_batches):
            client.post(f"/api/models/{model['id']}/predict", json={"rows": batch}).raise_for_status()
        after = rss_mb(server.pid)
        figures.append(
            {
                "moment": f"after {predict_batches} predictions of {rows_per_batch} rows",
                **dict(zip(("api_rss_mb", "children_rss_mb"), after, strict=True)),
            }
        )
    return figures
