"""The real worker Space (the Gradio app) on loopback, for tests that talk to it over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def running_space() -> Iterator[str]:
    """The Space's URL while it runs. No fixed port: Gradio tries its port range in turn and moves on
    from any taken meanwhile."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from automl_worker.space import build_app

    app = build_app()
    app.launch(prevent_thread_lock=True, server_name="127.0.0.1", quiet=True)
    try:
        yield f"http://127.0.0.1:{app.server_port}"
    finally:
        app.close()
