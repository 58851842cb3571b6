"""`make bench`: every benchmark, printed as tables and written as JSON under bench/results/.

Each figure is a ratio against a baseline measured in the same run: the machine is shared and noisy.
`--smoke` runs a small slice of each so `make test` proves the harness still works. Each JSON records
the machine, its load, the commit and the command, so a committed full run says what it measured on.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results"

SECTIONS: dict[str, tuple[str, str]] = {
    "automl": ("bench.automl_table", "AutoML node vs default HGB / random forest"),
    "flaml": ("bench.flaml_compare", "AutoML node vs FLAML (same split, budget, cores)"),
    "automl-vs": ("bench.automl_vs", "AutoML node vs FLAML and AutoGluon medium/best (same split, budget, 2 cores)"),
    "big-table": ("bench.big_table", "1M rows x 18 columns on a 2 GB job: wall vs budget, peak memory, vs default HGB"),
    "overhead": ("bench.overhead", "Platform overhead: run wall time minus engine time"),
    "api": ("bench.api_load", "API throughput vs a bare Litestar app"),
    "ingestion": ("bench.ingestion", "Upload ingestion vs polars.read_csv"),
    "footprint": ("bench.footprint", "API RSS idle, after a run and after predictions (models live elsewhere)"),
    "predict": ("bench.predict_latency", "Predict latency per Predictor adapter vs in the API process (before)"),
    "validation": ("bench.validation_scaling", "Validation time per node (linear growth → ratios near 1)"),
    "cache": ("bench.cache", "Content-keyed cache: re-run with one param changed; step preview cold vs warm"),
    "dask": ("bench.dask_trials", "AutoML trials per budget on a Dask cluster: 1 vs 2 local workers"),
}


def section_runner(module: str) -> Callable[..., list[dict[str, Any]]] | None:
    try:
        return importlib.import_module(module).run  # type: ignore[no-any-return]
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("bench."):
            return None
        raise


def machine() -> dict[str, Any]:
    """Where and when the run happened: enough to judge a committed figure by."""
    cpu = next((line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")), "")
    memory_kb = next((int(line.split()[1]) for line in _lines("/proc/meminfo") if line.startswith("MemTotal")), 0)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "date_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024**2, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "commit": commit,
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
    }


def _lines(path: str) -> list[str]:
    try:
        with open(path) as file:
            return file.readlines()
    except OSError:
        return []


def show(console: Console, title: str, rows: list[dict[str, Any]]) -> None:
    table = Table(title=title)
    for column in rows[0] if rows else []:
        table.add_column(str(column))
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--smoke", action="store_true", help="a quick slice of each benchmark")
    parser.add_argument("--budget", type=float, default=60.0, help="AutoML time budget per table, seconds")
    parser.add_argument("--only", nargs="*", choices=sorted(SECTIONS), help="run only these sections")
    parser.add_argument("--tables", nargs="*", help="shared tables for the AutoML comparisons (default: all)")
    args = parser.parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 220)  # wide tables stay legible in logs
    chosen = args.only or (["validation", "automl"] if args.smoke else list(SECTIONS))
    report: dict[str, Any] = {"smoke": args.smoke, "budget_s": args.budget, "machine": machine(), "sections": {}}
    for name in chosen:
        module, title = SECTIONS[name]
        runner = section_runner(module)
        if runner is None:
            console.print(f"[yellow]{name}: not available ({module} missing)[/yellow]")
            continue
        started = time.perf_counter()
        kwargs: dict[str, Any] = {"smoke": args.smoke}
        if name in ("automl", "flaml", "automl-vs", "big-table"):
            kwargs["budget_s"] = 5.0 if args.smoke else args.budget
        if name in ("automl-vs", "flaml") and args.tables:
            kwargs["datasets"] = args.tables
        rows = runner(**kwargs)
        report["sections"][name] = {"rows": rows, "seconds": round(time.perf_counter() - started, 1)}
        show(console, title, rows)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}{'-smoke' if args.smoke else ''}.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    console.print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
