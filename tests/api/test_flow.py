"""The vertical slice: upload → workflow → execute → run succeeded → model → download → predict."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import User, titanic_graph

ROWS = [
    {
        "pclass": 3, "sex": "male", "age": 22.0, "sibsp": 1, "parch": 0, "fare": 7.25, "embarked": "S",
        "class": "Third", "who": "man", "adult_male": True, "deck": None, "embark_town": "Southampton",
        "alone": False,
    },
    {
        "pclass": 1, "sex": "female", "age": 38.0, "sibsp": 1, "parch": 0, "fare": 71.28, "embarked": "C",
        "class": "First", "who": "woman", "adult_male": False, "deck": "C", "embark_town": "Cherbourg",
        "alone": False,
    },
]  # fmt: skip


def test_upload_train_and_predict(user: User, titanic: dict[str, Any]) -> None:
    assert titanic["row_count"] == 891
    assert {c["name"] for c in titanic["columns"]} >= {"survived", "sex", "age"}

    created = user.post("/api/workflows", json={"name": "Titanic", **titanic_graph(titanic["id"])})
    assert created.status_code == 201, created.text
    workflow = created.json()

    queued = user.post(f"/api/workflows/{workflow['id']}/execute")
    assert queued.status_code == 202, queued.text
    assert queued.json()["status"] == "queued"

    run = user.wait_for_run(queued.json()["id"])
    assert run["status"] == "succeeded", run
    assert run["progress"]["fraction"] == 1.0
    [result] = run["results"]
    assert result["node_id"] == "model"
    assert result["task"] == "binary"
    assert 0.6 < result["metrics"]["accuracy"] <= 1.0

    model = user.get(f"/api/models/{result['model_id']}").json()
    assert model["run_id"] == run["id"]
    assert model["target"] == "survived"
    assert model["provenance"]["dataset_id"] == titanic["id"]
    assert model["provenance"]["dataset_hash"] == titanic["content_hash"]
    assert {f["name"] for f in model["features"]} >= {"sex", "age", "pclass"}

    download = user.get(f"/api/models/{model['id']}/download")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/octet-stream"
    assert ".skops" in download.headers["content-disposition"]
    assert len(download.content) > 100

    predicted = user.post(f"/api/models/{model['id']}/predict", json={"rows": ROWS})
    assert predicted.status_code == 200, predicted.text
    body = predicted.json()
    assert len(body["predictions"]) == 2
    assert set(body["predictions"]) <= set(body["classes"])
    assert all(abs(sum(p) - 1.0) < 1e-3 for p in body["probabilities"])

    header = ",".join(ROWS[0])
    lines = [",".join("" if v is None else str(v) for v in row.values()) for row in ROWS]
    csv = "\n".join([header, *lines]).encode()
    from_csv = user.post(f"/api/models/{model['id']}/predict", files={"file": ("rows.csv", csv, "text/csv")})
    assert from_csv.status_code == 200, from_csv.text
    assert from_csv.json()["predictions"] == body["predictions"]

    # Deleting the dataset leaves the model usable: it holds its own artifact.
    assert user.delete(f"/api/datasets/{titanic['id']}").status_code == 409  # the saved workflow uses it
    assert user.delete(f"/api/datasets/{titanic['id']}?force=true").status_code == 204
    again = user.post(f"/api/models/{model['id']}/predict", json={"rows": ROWS[:1]})
    assert again.status_code == 200, again.text
    assert again.json()["predictions"] == body["predictions"][:1]


def test_a_run_without_plots_succeeds(user: User, titanic: dict[str, Any]) -> None:
    graph = titanic_graph(titanic["id"])
    graph["nodes"] = [n for n in graph["nodes"] if n["type"] != "visualize"]
    graph["edges"] = [e for e in graph["edges"] if e["target"] != "plots"]
    run = user.post("/api/workflows/execute", json=graph).json()
    assert user.wait_for_run(run["id"])["status"] == "succeeded"
