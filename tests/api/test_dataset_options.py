"""Upload options (preamble, headerless, delimiter, encoding), duplicate uploads, deletes that saved
workflows would feel, and integer parameters sent as whole floats."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import User, titanic_graph

PREAMBLE = b"Exported from the ward system on 2026-01-02, all rights reserved\na,b,label\n1,x,yes\n2,y,no\n3,z,yes\n"


def post_csv(user: User, content: bytes, name: str = "t.csv", **fields: str) -> Any:
    return user.post("/api/datasets", files={"file": (name, content, "text/csv")}, data=fields)


def test_a_preamble_is_refused_with_the_option_that_reads_it_then_read_with_it(user: User) -> None:
    refused = post_csv(user, PREAMBLE)
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert "try skip_rows=1" in detail
    assert detail.lower().count("has 3 fields") == 1  # said once, not doubled
    read = post_csv(user, PREAMBLE, skip_rows="1")
    assert read.status_code == 201, read.text
    assert [c["name"] for c in read.json()["columns"]] == ["a", "b", "label"]
    assert read.json()["row_count"] == 3


def test_headerless_semicolon_latin1_file(user: User) -> None:
    content = "1;café;yes\n2;thé;no\n".encode("latin-1")
    read = post_csv(user, content, header_row="false", delimiter=";", encoding="latin-1")
    assert read.status_code == 201, read.text
    assert [c["name"] for c in read.json()["columns"]] == ["column_1", "column_2", "column_3"]
    rows = user.get(f"/api/datasets/{read.json()['id']}/preview").json()["rows"]
    assert rows[0][1] == "café" and len(rows) == 2


def test_bad_options_name_the_field(user: User) -> None:
    for fields, field in (({"skip_rows": "-1"}, "skip_rows"), ({"header_row": "maybe"}, "header_row")):
        refused = post_csv(user, PREAMBLE, **fields)
        assert refused.status_code == 422
        assert refused.json()["extra"]["issues"][0]["field"] == field
    assert post_csv(user, PREAMBLE, encoding="klingon").status_code == 422


def test_a_second_upload_of_the_same_file_says_which_it_copies(user: User, other_user: User) -> None:
    first = user.upload(content=PREAMBLE.split(b"\n", 1)[1])
    assert first["duplicate_of"] is None
    again = user.upload(content=PREAMBLE.split(b"\n", 1)[1])
    assert again["duplicate_of"] == first["id"]
    assert user.get(f"/api/datasets/{again['id']}").json()["duplicate_of"] == first["id"]
    assert other_user.upload(content=PREAMBLE.split(b"\n", 1)[1])["duplicate_of"] is None


def test_deleting_a_dataset_saved_workflows_use_asks_first(user: User) -> None:
    dataset = user.upload()
    graph = titanic_graph(dataset["id"])
    created = user.post("/api/workflows", json={"name": "Survival study", "description": "", **graph})
    assert created.status_code == 201, created.text
    refused = user.delete(f"/api/datasets/{dataset['id']}")
    assert refused.status_code == 409
    assert "Survival study" in refused.json()["detail"]
    assert user.get(f"/api/datasets/{dataset['id']}").status_code == 200
    assert user.delete(f"/api/datasets/{dataset['id']}?force=true").status_code == 204
    assert user.get(f"/api/datasets/{dataset['id']}").status_code == 404


def test_an_integer_parameter_sent_as_a_whole_float_is_accepted(user: User) -> None:
    dataset = user.upload()
    graph = titanic_graph(dataset["id"])
    graph["nodes"].append({"id": "auto", "type": "automl", "params": {"time_budget_s": 60.0}})
    graph["edges"].append({"id": "e_auto", "source": "split", "target": "auto"})
    checked = user.post("/api/workflows/validate", json=graph).json()
    assert checked["issues"] == [] and checked["valid"] is True
    saved = user.post("/api/workflows", json={"name": "w", "description": "", **graph}).json()
    stored = next(n for n in saved["nodes"] if n["id"] == "auto")
    assert stored["params"]["time_budget_s"] == 60 and isinstance(stored["params"]["time_budget_s"], int)
