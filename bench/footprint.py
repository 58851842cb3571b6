"""The API's own memory: idle, after training a model, after serving predictions (`bench.ingestion.footprint`).

The goal it checks: an API process that fits a 512 MB host, whose RSS stays bounded however much it
predicts, because the models live in the executor's processes (counted apart as `children_rss_mb`).
"""

from __future__ import annotations

from typing import Any

from bench.ingestion import footprint


def run(smoke: bool = False) -> list[dict[str, Any]]:
    return footprint(predict_batches=3 if smoke else 20)
