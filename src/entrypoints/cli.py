"""`automl`: serve the API and UI, migrate the database, run the worker, or train from a terminal.

    automl serve [--host H] [--port P]     API + UI (migrates first), prints the URL
    automl migrate                         bring the database to the latest schema
    automl worker                          the Gradio worker app (what the HF Space runs)
    automl run WORKFLOW.json --data FILE   train on a local table with the configured executor, print the metrics

Settings come from the environment (see `.env.example`); a misconfiguration stops here with one line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import msgspec

from automl_core.errors import DomainError
from entrypoints.settings import ConfigError, Settings


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    changes = {k: v for k, v in (("host", getattr(args, "host", None)), ("port", getattr(args, "port", None))) if v}
    if changes:
        settings = msgspec.structs.replace(settings, **changes)
        settings.check()
    return settings


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from entrypoints.container import Container
    from entrypoints.http import create_app

    settings = _settings(args)
    app = create_app(Container(settings=settings))
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    ui = " (UI at /, API docs at /schema)" if settings.frontend_dir and settings.frontend_dir.is_dir() else ""
    port = settings.port or "<a free port, logged below>"
    print(f"AutoML platform on http://{host}:{port}{ui}", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", proxy_headers=True)


def migrate(args: argparse.Namespace) -> None:
    from sqlalchemy.engine import make_url

    from adapters.persistence.sqlalchemy import migrate as upgrade

    settings = _settings(args)
    asyncio.run(upgrade(settings.database_url))
    print(f"database at the latest schema: {make_url(settings.database_url).render_as_string()}")


def worker(args: argparse.Namespace) -> None:
    from automl_worker.space import build_app

    build_app().launch()


def run(args: argparse.Namespace) -> int:
    """Train through the container and the configured executor, as the API does (see `local_run`)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from automl_core.runs import Run, RunStatus
    from entrypoints.local_run import train

    console = Console()
    try:
        raw = msgspec.json.decode(args.workflow.read_bytes())
    except (OSError, msgspec.DecodeError) as exc:
        console.print(f"[red]cannot read {args.workflow}: {exc}")
        return 2
    shown = 0
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"))
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task(f"reading {args.data.name}", total=1.0)

        def on_read(rows: int, cols: int) -> None:
            progress.console.print(f"{args.data.name}: {rows} rows, {cols} columns")

        def on_change(state: Run) -> None:
            nonlocal shown
            progress.update(task, completed=state.progress.fraction, description=state.progress.message or "queued")
            if args.verbose:
                for line in state.log[shown:]:
                    progress.console.log(line)
            shown = len(state.log)

        outcome = asyncio.run(train(_settings(args), raw, args.data, args.seed, on_read, on_change))
    for issue in outcome.issues:
        where = issue.node_id or issue.edge_id or issue.field or "workflow"
        console.print(f"[red]{where}[/]: {issue.message}")
    if outcome.issues:
        return 1
    final = outcome.run
    if final is None or final.status is not RunStatus.SUCCEEDED:
        error = final.error if final else None
        where = f"{error.node_id}: " if error and error.node_id else ""
        console.print(f"[red]failed[/]: {where}{error.message if error else 'the run did not finish'}")
        return 1
    for result in final.results:
        metrics = Table(title=f"{result.node_id} · {result.algorithm} ({result.task})")
        metrics.add_column("metric")
        metrics.add_column("value", justify="right")
        for name, value in sorted(result.metrics.items()):
            metrics.add_row(name, f"{value:.4f}")
        console.print(metrics)
        if args.out and result.node_id in outcome.artifacts:
            args.out.mkdir(parents=True, exist_ok=True)
            path = args.out / f"{result.node_id}.skops"
            path.write_bytes(outcome.artifacts[result.node_id])
            console.print(f"model saved to {path}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="automl", description="The AutoML platform.")
    commands = root.add_subparsers(dest="command", required=True)

    serve_cmd = commands.add_parser("serve", help="start the API and the UI (migrates first)")
    serve_cmd.add_argument("--host", help="bind address (default AUTOML_HOST or 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, help="port (default AUTOML_PORT or 8000)")
    serve_cmd.set_defaults(handler=serve)

    commands.add_parser("migrate", help="bring the database to the latest schema").set_defaults(handler=migrate)
    commands.add_parser("worker", help="run the Gradio worker app").set_defaults(handler=worker)

    run_cmd = commands.add_parser("run", help="train a workflow on a local file and print the metrics")
    run_cmd.add_argument("workflow", type=Path, help="workflow JSON (a saved workflow, or {nodes, edges})")
    run_cmd.add_argument("--data", type=Path, required=True, help="the table every dataset node reads")
    run_cmd.add_argument("--seed", type=int, default=42)
    run_cmd.add_argument("--out", type=Path, help="folder to save the trained models (.skops) in")
    run_cmd.add_argument("-v", "--verbose", action="store_true", help="print the engine's log")
    run_cmd.set_defaults(handler=run)
    return root


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        code = args.handler(args)
    except ConfigError as exc:
        print(f"automl: configuration error: {exc}", file=sys.stderr)
        code = 2
    except DomainError as exc:
        print(f"automl: {exc.message}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    sys.exit(code or 0)
