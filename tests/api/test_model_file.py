"""A downloaded model is usable without the platform: a fresh interpreter loads the file with plain
skops (only the types it names trusted, nothing of `automl_worker` imported) and predicts exactly what
the API predicts for the same rows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import WORKER_URL, Trained
from tests.api.test_flow import ROWS

pytestmark = pytest.mark.skipif(WORKER_URL is not None, reason="loading the file needs skops and scikit-learn")

LOAD_AND_PREDICT = """
import json, sys
import numpy as np, pandas as pd
import skops.io as sio

path, features, rows = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
untrusted = sio.get_untrusted_types(file=path)
bundle = sio.load(path, trusted=untrusted)
pipeline, classes = bundle["pipeline"], bundle["info"]["classes"]
frame = pd.DataFrame({
    f["name"]: np.asarray([row[f["name"]] if row[f["name"]] is not None else np.nan for row in rows],
                          dtype=object if f["dtype"] == "string" else np.float64)
    for f in features
})
codes = pipeline.predict(frame)
proba = np.zeros((len(frame), len(classes)))
proba[:, np.asarray(pipeline.classes_, dtype=int)] = pipeline.predict_proba(frame)
print(json.dumps({
    "predictions": [classes[int(c)] for c in codes],
    "probabilities": proba.tolist(),
    "worker_imported": any(m.startswith("automl_worker") for m in sys.modules),
    "untrusted": untrusted,
}))
"""


def test_the_downloaded_file_predicts_the_same_in_a_fresh_interpreter(trained: Trained, tmp_path: Path) -> None:
    model_id = trained.model["id"]
    path = tmp_path / "model.skops"
    path.write_bytes(trained.owner.get(f"/api/models/{model_id}/download").content)
    features = trained.owner.get(f"/api/models/{model_id}").json()["features"]

    fresh = subprocess.run(
        [sys.executable, "-c", LOAD_AND_PREDICT, str(path), json.dumps(features), json.dumps(ROWS)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    local = json.loads(fresh.stdout)
    served = trained.owner.post(f"/api/models/{model_id}/predict", json={"rows": ROWS}).json()

    assert local["worker_imported"] is False, "the file should load without the platform's code"
    assert all(not t.startswith("automl_worker") for t in local["untrusted"]), local["untrusted"]
    assert local["predictions"] == served["predictions"]
    for mine, theirs in zip(local["probabilities"], served["probabilities"], strict=True):
        assert mine == pytest.approx(theirs, abs=1e-6)
