"""Models: browse, download, delete, and predictions checked against the feature schema."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, Trained, User, titanic_graph

ROW = {
    "pclass": 2, "sex": "female", "age": 30, "sibsp": 0, "parch": 0, "fare": 13.0, "embarked": "S",
    "class": "Second", "who": "woman", "adult_male": False, "deck": None, "embark_town": "Southampton",
    "alone": True,
}  # fmt: skip


def test_list_and_get(trained: Trained, other_user: User) -> None:
    owner, model = trained.owner, trained.model
    page = owner.get("/api/models").json()
    assert page["total"] == 1
    assert page["items"] == [model]
    assert set(model) >= {"id", "name", "run_id", "node_id", "algorithm", "task", "target", "metrics",
                          "features", "created_at", "provenance"}  # fmt: skip
    assert model["classes"] == [0, 1]
    provenance = model["provenance"]
    assert provenance["workflow"] == trained.workflow["id"]
    assert provenance["seed"] == trained.run["seed"]
    assert "scikit-learn" in provenance["library_versions"]
    assert "artifact_key" not in model
    assert other_user.get("/api/models").json()["total"] == 0
    assert owner.get("/api/models?limit=0").status_code == 422


@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("GET", "/download"), ("DELETE", "")])
def test_someone_elses_model_is_not_found(trained: Trained, other_user: User, method: str, suffix: str) -> None:
    response = other_user.request(method, f"/api/models/{trained.model['id']}{suffix}")
    assert response.status_code == 404
    assert response.json()["status_code"] == 404
    predict = other_user.post(f"/api/models/{trained.model['id']}/predict", json={"rows": [ROW]})
    assert predict.status_code == 404


def test_unknown_model_is_404(user: User) -> None:
    ident = "00000000-0000-0000-0000-000000000000"
    assert user.get(f"/api/models/{ident}").status_code == 404
    assert user.get(f"/api/models/{ident}/download").status_code == 404
    assert user.delete(f"/api/models/{ident}").status_code == 404
    assert user.post(f"/api/models/{ident}/predict", json={"rows": [ROW]}).status_code == 404


def test_models_need_a_session(api: Api, trained: Trained) -> None:
    client = api.anonymous()
    assert client.get("/api/models").status_code == 401
    assert client.get(f"/api/models/{trained.model['id']}/download").status_code == 401
    assert client.post(f"/api/models/{trained.model['id']}/predict", json={"rows": [ROW]}).status_code == 401


def test_download_is_a_skops_file(trained: Trained) -> None:
    response = trained.owner.get(f"/api/models/{trained.model['id']}/download")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith('attachment; filename="')
    assert response.headers["content-disposition"].endswith('.skops"')
    assert response.content[:2] == b"PK"  # a skops file is a zip archive


def test_predict_with_probabilities(trained: Trained) -> None:
    body = trained.owner.post(f"/api/models/{trained.model['id']}/predict", json={"rows": [ROW, ROW]}).json()
    assert body["classes"] == [0, 1]
    assert body["predictions"][0] in (0, 1)
    assert body["predictions"][0] == body["predictions"][1]
    assert len(body["probabilities"]) == 2


def test_predict_ignores_extra_columns_and_accepts_text_numbers(trained: Trained) -> None:
    row = {**ROW, "age": "30", "unused": "whatever"}
    response = trained.owner.post(f"/api/models/{trained.model['id']}/predict", json={"rows": [row]})
    assert response.status_code == 200, response.text
    plain = trained.owner.post(f"/api/models/{trained.model['id']}/predict", json={"rows": [ROW]}).json()
    assert response.json() == plain, "the extra column or the number as text changed the answer"


def test_rows_that_do_not_fit_name_row_and_column(trained: Trained) -> None:
    missing = {k: v for k, v in ROW.items() if k != "sex"}
    bad_number = {**ROW, "age": "old"}
    response = trained.owner.post(
        f"/api/models/{trained.model['id']}/predict", json={"rows": [ROW, missing, bad_number]}
    )
    assert response.status_code == 422
    issues = response.json()["extra"]["issues"]
    assert {(i["row"], i["column"]) for i in issues} == {(1, "sex"), (2, "age")}
    assert all(i["message"] for i in issues)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"json": {"rows": []}},
        {"json": {"rows": [1, "x"]}},
        {"json": {"rows": "nope"}},
        {"json": {}},
        {"content": b"{oops", "headers": {"Content-Type": "application/json"}},
    ],
)
def test_bad_prediction_bodies_are_422(trained: Trained, kwargs: dict[str, Any]) -> None:
    response = trained.owner.post(f"/api/models/{trained.model['id']}/predict", **kwargs)
    assert response.status_code == 422, response.text
    assert response.json()["status_code"] == 422


def test_predict_from_csv(trained: Trained) -> None:
    header = ",".join(ROW)
    line = ",".join("" if v is None else str(v) for v in ROW.values())
    csv = f"{header}\n{line}\n{line}\n".encode()
    response = trained.owner.post(
        f"/api/models/{trained.model['id']}/predict", files={"file": ("rows.csv", csv, "text/csv")}
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["predictions"]) == 2


def test_csv_missing_a_column_is_422(trained: Trained) -> None:
    csv = b"pclass,age\n1,30\n"
    response = trained.owner.post(
        f"/api/models/{trained.model['id']}/predict", files={"file": ("rows.csv", csv, "text/csv")}
    )
    assert response.status_code == 422
    assert {"row": 0, "column": "sex"}.items() <= next(
        i for i in response.json()["extra"]["issues"] if i["column"] == "sex"
    ).items()


def test_predict_needs_json_or_a_csv(trained: Trained) -> None:
    response = trained.owner.post(
        f"/api/models/{trained.model['id']}/predict", content=b"a,b", headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 415


def test_delete_a_model(user: User, titanic: dict[str, Any]) -> None:
    run = user.post("/api/workflows/execute", json=titanic_graph(titanic["id"])).json()
    model_id = user.wait_for_run(run["id"])["results"][0]["model_id"]
    assert user.delete(f"/api/models/{model_id}").status_code == 204
    assert user.get(f"/api/models/{model_id}").status_code == 404
    assert user.get(f"/api/models/{model_id}/download").status_code == 404
