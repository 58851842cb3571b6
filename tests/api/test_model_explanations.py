"""Over HTTP: a model's SHAP explanations, its row schema (plain and in OpenAPI) and its ONNX download."""

from __future__ import annotations

import itertools

import jsonschema_rs
import pytest

from tests.api.conftest import WORKER_URL, Trained, User
from tests.api.test_models import ROW


def test_global_explanation_is_in_the_users_columns(trained: Trained) -> None:
    found = trained.owner.get(f"/api/models/{trained.model['id']}/explanations").json()
    names = [f["name"] for f in trained.model["features"]]
    assert found["method"] == "shap.KernelExplainer" and found["output"] == "probability"
    assert sorted(f["name"] for f in found["features"]) == sorted(names)
    sample = found["sample"]
    assert sample["columns"] == names and len(sample["rows"]) == len(sample["values"]) > 0
    assert set(sample["rows"][0]) == set(names)
    timings = trained.run["results"][0]["timings"]  # the run reports what explaining (and ONNX) took
    assert timings["explain_s"] > 0 and "onnx_s" in timings
    assert not {"explain_s", "onnx_s"} & set(trained.run["results"][0]["metrics"])


def test_predict_explains_each_row_adding_up_to_the_probability_of_its_class(trained: Trained) -> None:
    rows = [ROW, {**ROW, "sex": "male", "who": "man", "adult_male": True, "age": 40, "pclass": 3}]
    found = trained.owner.post(f"/api/models/{trained.model['id']}/predict?explain=true", json={"rows": rows}).json()
    assert found["output"] == "probability" and len(found["explanations"]) == 2
    for explained, label, proba in zip(
        found["explanations"], found["predictions"], found["probabilities"], strict=True
    ):
        assert list(explained["contributions"]) == [f["name"] for f in trained.model["features"]]
        total = explained["base_value"] + sum(explained["contributions"].values())
        assert total == pytest.approx(proba[found["classes"].index(label)], abs=1e-5)  # probabilities are rounded to 6
    plain = trained.owner.post(f"/api/models/{trained.model['id']}/predict", json={"rows": rows}).json()
    assert "explanations" not in plain


def test_explaining_too_many_rows_is_422(trained: Trained) -> None:
    response = trained.owner.post(f"/api/models/{trained.model['id']}/predict?explain=true", json={"rows": [ROW] * 101})
    assert response.status_code == 422
    assert "at most 100" in str(response.json())


def test_row_schema_lists_types_categories_and_nulls(trained: Trained) -> None:
    schema = trained.owner.get(f"/api/models/{trained.model['id']}/schema").json()
    assert schema["required"] == [f["name"] for f in trained.model["features"]]
    assert schema["properties"]["sex"]["enum"] == ["female", "male", None]
    assert schema["properties"]["age"]["type"] == ["number", "null"]
    validator = jsonschema_rs.validator_for(schema)
    assert validator.is_valid(ROW)
    assert not validator.is_valid({**ROW, "sex": "robot"})
    assert not validator.is_valid({k: v for k, v in ROW.items() if k != "age"})
    refused = trained.owner.post(f"/api/models/{trained.model['id']}/predict", json={"rows": [{**ROW, "sex": "robot"}]})
    assert refused.status_code == 422
    assert refused.json()["extra"]["issues"][0]["column"] == "sex"


def test_each_model_has_its_own_openapi_with_the_row_schema_embedded(trained: Trained) -> None:
    ident = trained.model["id"]
    document = trained.owner.get(f"/api/models/{ident}/openapi.json").json()
    body = document["paths"][f"/api/models/{ident}/predict"]["post"]["requestBody"]
    assert (
        body["content"]["application/json"]["schema"]["properties"]["rows"]["items"]["$ref"]
        == "#/components/schemas/Row"
    )
    row = document["components"]["schemas"]["Row"]
    assert row["properties"]["sex"]["enum"] == ["female", "male", None]
    shared = trained.owner.get("/schema/openapi.json").json()
    described = shared["paths"]["/api/models/{model_id}/predict"]["post"]["requestBody"]["description"]
    assert "/api/models/{model_id}/schema" in described and "/openapi.json" in described


@pytest.mark.parametrize("suffix", ["/explanations", "/schema", "/openapi.json", "/download?format=onnx"])
def test_someone_elses_model_extras_are_not_found(trained: Trained, other_user: User, suffix: str) -> None:
    assert other_user.get(f"/api/models/{trained.model['id']}{suffix}").status_code == 404


def test_a_pipeline_that_does_not_convert_answers_409_with_the_reason(trained: Trained) -> None:
    assert trained.model["formats"] == ["skops"]
    response = trained.owner.get(f"/api/models/{trained.model['id']}/download?format=onnx")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("this model has no ONNX form: ")
    assert trained.model["onnx_error"] in response.json()["detail"]
    assert trained.owner.get(f"/api/models/{trained.model['id']}/download?format=pickle").status_code == 422


@pytest.mark.skipif(WORKER_URL is not None, reason="running the ONNX file needs onnxruntime")
def test_onnx_download_predicts_what_the_api_predicts(user: User) -> None:
    import numpy as np  # the worker's libraries: absent where the API-only suite runs
    import onnxruntime as rt

    dataset = user.upload()
    nodes = [
        {"id": "data", "type": "dataset", "params": {"dataset_id": dataset["id"], "target": "survived"}},
        {"id": "split", "type": "split", "params": {}},
        {"id": "tree", "type": "model.decision_tree", "params": {"max_depth": 4}},
    ]
    nodes = [{**n, "position": {"x": 0.0, "y": 0.0}} for n in nodes]
    edges = [
        {"id": f"e{i}", "source": a["id"], "target": b["id"]} for i, (a, b) in enumerate(itertools.pairwise(nodes))
    ]
    workflow = user.post("/api/workflows", json={"name": "Tree", "nodes": nodes, "edges": edges}).json()
    run = user.wait_for_run(user.post(f"/api/workflows/{workflow['id']}/execute").json()["id"])
    model = user.get(f"/api/models/{run['results'][0]['model_id']}").json()
    assert model["formats"] == ["skops", "onnx"]
    response = user.get(f"/api/models/{model['id']}/download?format=onnx")
    assert response.status_code == 200 and response.headers["content-disposition"].endswith('.onnx"')
    session = rt.InferenceSession(response.content, providers=["CPUExecutionProvider"])
    rows = [ROW, {**ROW, "sex": "male", "who": "man", "adult_male": True, "age": 40, "pclass": 3}]
    feeds = {
        f["name"]: np.array(
            [[r[f["name"]] if r[f["name"]] is not None else "nan"] for r in rows],
            dtype=object if f["dtype"] == "string" else np.float32,
        )
        for f in model["features"]
    }
    labels, probabilities = session.run(None, feeds)
    served = user.post(f"/api/models/{model['id']}/predict", json={"rows": rows}).json()
    assert [model["classes"][int(c)] for c in labels] == served["predictions"]
    np.testing.assert_allclose(probabilities, served["probabilities"], atol=1e-4)
    explained = user.post(f"/api/models/{model['id']}/predict?explain=true", json={"rows": rows}).json()
    for e, label, proba in zip(explained["explanations"], served["predictions"], served["probabilities"], strict=True):
        total = e["base_value"] + sum(e["contributions"].values())
        assert total == pytest.approx(proba[model["classes"].index(label)], abs=1e-6)
