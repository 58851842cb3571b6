"""Runs re-train only what changed: unchanged branches come from the owner's cache, with equal metrics."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import TITANIC, WORKER_URL, Api, User

pytestmark = pytest.mark.skipif(
    WORKER_URL is not None, reason="reads what the in-process executor recorded it was asked to train"
)

MODELS = {"logreg": ("model.logistic_regression", {}), "tree": ("model.decision_tree", {"max_depth": 3})}


def two_branches(dataset_id: str, depth: int = 3) -> dict[str, Any]:
    """dataset → impute → split → {logistic regression, decision tree} → evaluate each."""
    nodes = [
        {"id": "data", "type": "dataset", "params": {"dataset_id": dataset_id, "target": "survived"}},
        {"id": "impute", "type": "preprocess.impute", "params": {}},
        {"id": "split", "type": "split", "params": {"test_size": 0.25}},
    ]
    edges = [{"id": "e1", "source": "data", "target": "impute"}, {"id": "e2", "source": "impute", "target": "split"}]
    for node_id, (kind, params) in MODELS.items():
        params = {**params, "max_depth": depth} if node_id == "tree" else params
        nodes += [{"id": node_id, "type": kind, "params": params}, {"id": f"ev-{node_id}", "type": "evaluate"}]
        edges += [
            {"id": f"e-{node_id}", "source": "split", "target": node_id},
            {"id": f"e-ev-{node_id}", "source": node_id, "target": f"ev-{node_id}"},
        ]
    return {"nodes": nodes, "edges": edges}


def run(user: User, graph: dict[str, Any], **extra: Any) -> dict[str, Any]:
    response = user.post("/api/workflows/execute", json={"name": "reuse", **graph, **extra})
    assert response.status_code == 202, response.text
    done = user.wait_for_run(response.json()["id"])
    assert done["status"] == "succeeded", done
    return done


def metrics(done: dict[str, Any]) -> dict[str, dict[str, float]]:
    return {r["node_id"]: r["metrics"] for r in done["results"]}


def trained_nodes(api: Api, run_id: str) -> list[str] | None:
    """The model nodes the executor was asked to train for this run (None: it was not asked)."""
    for request in api.executor.default.submitted:  # type: ignore[attr-defined]
        if request.run_id == run_id:
            return sorted(n.id for n in request.workflow.nodes if n.id in MODELS)
    return None


def test_an_unchanged_run_is_reused_and_one_changed_param_retrains_only_its_branch(
    api: Api, user: User, other_user: User
) -> None:
    dataset = user.upload()
    first = run(user, two_branches(dataset["id"]))
    assert trained_nodes(api, first["id"]) == ["logreg", "tree"]

    again = run(user, two_branches(dataset["id"]))
    assert trained_nodes(api, again["id"]) is None
    assert metrics(again) == metrics(first)
    assert sum("reused from an earlier run" in line for line in again["log"]) == 2
    assert {n: s["state"] for n, s in again["nodes"].items()} == dict.fromkeys(
        ["data", "impute", "split", "logreg", "tree", "ev-logreg", "ev-tree"], "reused"
    )
    models = [user.get(f"/api/models/{r['model_id']}") for r in again["results"]]
    assert all(m.status_code == 200 for m in models)

    deeper = run(user, two_branches(dataset["id"], depth=5))
    assert trained_nodes(api, deeper["id"]) == ["tree"]
    states = {n: s["state"] for n, s in deeper["nodes"].items()}
    assert states["logreg"] == states["ev-logreg"] == "reused"
    assert states["tree"] == states["ev-tree"] == states["split"] == "succeeded"
    assert metrics(deeper)["logreg"] == metrics(first)["logreg"]
    assert metrics(deeper)["tree"] != metrics(first)["tree"]

    # A fresh run of the same work by someone else (nothing of theirs cached) gives the same numbers.
    theirs = other_user.upload()
    fresh = run(other_user, two_branches(theirs["id"], depth=5))
    assert trained_nodes(api, fresh["id"]) == ["logreg", "tree"]
    assert metrics(fresh) == metrics(deeper)


def test_a_new_seed_or_new_data_retrains_everything(api: Api, user: User) -> None:
    dataset = user.upload()
    run(user, two_branches(dataset["id"]))
    reseeded = run(user, two_branches(dataset["id"]), seed=7)
    assert trained_nodes(api, reseeded["id"]) == ["logreg", "tree"]
    rows = TITANIC.read_bytes().splitlines(keepends=True)
    changed = user.upload(content=b"".join(rows[:-1]))
    assert changed["content_hash"] != dataset["content_hash"]
    retrained = run(user, two_branches(changed["id"]))
    assert trained_nodes(api, retrained["id"]) == ["logreg", "tree"]
