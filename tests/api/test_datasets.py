"""Datasets: streamed upload and its limits, listing, preview, profile, delete, isolation."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest

from tests.api.conftest import TITANIC, Api, User

SMALL_CSV = b"a,b,label\n1,x,yes\n2,y,no\n3,,yes\n"


def test_upload_describes_the_table(user: User) -> None:
    dataset = user.upload(name="Passengers")
    assert dataset["name"] == "Passengers"
    assert dataset["filename"] == "titanic.csv"
    assert dataset["format"] == "csv"
    assert dataset["row_count"] == 891
    assert dataset["size_bytes"] == TITANIC.stat().st_size
    assert len(dataset["content_hash"]) == 64
    age = next(c for c in dataset["columns"] if c["name"] == "age")
    assert age["dtype"] == "float"
    assert age["missing"] == 177
    assert set(dataset) >= {"id", "name", "filename", "format", "size_bytes", "content_hash", "row_count",
                            "columns", "created_at"}  # fmt: skip
    assert "owner_id" not in dataset
    assert "blob_key" not in dataset


def test_upload_without_a_name_is_named_after_the_file(user: User) -> None:
    assert user.upload()["name"] == "titanic"


def test_parquet_upload(user: User) -> None:
    buffer = io.BytesIO()
    pl.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]}).write_parquet(buffer)
    response = user.post("/api/datasets", files={"file": ("t.parquet", buffer.getvalue(), "application/octet-stream")})
    assert response.status_code == 201, response.text
    assert response.json()["format"] == "parquet"
    assert response.json()["row_count"] == 3


def test_list_get_preview_profile_delete(user: User, other_user: User) -> None:
    first = user.upload(content=SMALL_CSV, name="first")
    second = user.upload(content=SMALL_CSV + b"4,z,no\n", name="second")

    page = user.get("/api/datasets").json()
    assert page["total"] == 2
    assert [d["id"] for d in page["items"]] == [second["id"], first["id"]]
    assert user.get("/api/datasets?limit=1&offset=1").json() == {"items": [page["items"][1]], "total": 2}
    assert other_user.get("/api/datasets").json() == {"items": [], "total": 0}

    assert user.get(f"/api/datasets/{first['id']}").json() == first

    preview = user.get(f"/api/datasets/{second['id']}/preview?limit=2&offset=1").json()
    assert preview["columns"] == ["a", "b", "label"]
    assert preview["rows"] == [[2, "y", "no"], [3, None, "yes"]]
    assert preview["total_rows"] == 4

    profile = user.get(f"/api/datasets/{first['id']}/profile").json()
    by_name = {c["name"]: c for c in profile["columns"]}
    assert by_name["a"]["min"] == 1
    assert by_name["b"]["missing"] == 1

    assert user.delete(f"/api/datasets/{first['id']}").status_code == 204
    assert user.get(f"/api/datasets/{first['id']}").status_code == 404
    assert user.get("/api/datasets").json()["total"] == 1


@pytest.mark.parametrize("suffix", ["", "/preview", "/profile"])
def test_someone_elses_dataset_is_not_found(user: User, other_user: User, suffix: str) -> None:
    dataset = user.upload(content=SMALL_CSV)
    response = other_user.get(f"/api/datasets/{dataset['id']}{suffix}")
    assert response.status_code == 404
    assert response.json()["status_code"] == 404
    assert other_user.delete(f"/api/datasets/{dataset['id']}").status_code == 404
    assert user.get(f"/api/datasets/{dataset['id']}").status_code == 200


@pytest.mark.parametrize("ident", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_unknown_dataset_is_404(user: User, ident: str) -> None:
    assert user.get(f"/api/datasets/{ident}").status_code == 404
    assert user.delete(f"/api/datasets/{ident}").status_code == 404


def test_datasets_need_a_session(api: Api) -> None:
    client = api.anonymous()
    assert client.get("/api/datasets").status_code == 401
    response = client.post("/api/datasets", files={"file": ("a.csv", SMALL_CSV, "text/csv")})
    assert response.status_code == 401


def test_too_large_upload_is_413(api: Api, user: User) -> None:
    big = b"a,b\n" + b"1,2\n" * 300_000  # 1.2 MB
    with api.settings(max_upload_mb=1):
        response = user.post("/api/datasets", files={"file": ("big.csv", big, "text/csv")})
    assert response.status_code == 413
    assert response.json()["status_code"] == 413
    assert user.get("/api/datasets").json()["total"] == 0


def test_unsupported_file_is_415(user: User) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    response = user.post("/api/datasets", files={"file": ("cat.png", png, "image/png")})
    assert response.status_code == 415
    assert response.json()["status_code"] == 415


def test_upload_must_be_multipart(user: User) -> None:
    response = user.post("/api/datasets", json={"file": "a,b\n1,2\n"})
    assert response.status_code == 415


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": {"name": "no file"}, "files": {"other": ("a.csv", SMALL_CSV, "text/csv")}},
        {"content": b"--x\r\nbroken", "headers": {"Content-Type": "multipart/form-data; boundary=x"}},
        {"content": b"", "headers": {"Content-Type": "multipart/form-data"}},
    ],
)
def test_malformed_uploads_are_422(user: User, kwargs: dict[str, Any]) -> None:
    response = user.post("/api/datasets", **kwargs)
    assert response.status_code == 422, response.text
    assert response.json()["status_code"] == 422


def test_unreadable_table_is_422_naming_the_line(user: User) -> None:
    response = user.post("/api/datasets", files={"file": ("bad.csv", b"a,b\n1,2\n3,4,5,6\n", "text/csv")})
    assert response.status_code == 422, response.text
    assert response.json()["extra"]["issues"]


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "offset=-1", "limit=abc"])
def test_bad_paging_is_422(user: User, query: str) -> None:
    response = user.get(f"/api/datasets?{query}")
    assert response.status_code == 422
    assert response.json()["extra"]["issues"][0]["field"] in {"limit", "offset"}


def test_uploads_beyond_litestars_default_body_cap_stream_through(user: User) -> None:
    """Litestar caps buffered bodies at 10 MB; the upload streams, so only AUTOML_MAX_UPLOAD_MB limits it."""
    rows = b"".join(b"%d,%d.5,label%d\n" % (i, i, i % 3) for i in range(700_000))
    content = b"id,value,label\n" + rows
    assert len(content) > 11 * 1024 * 1024
    dataset = user.upload(content=content)
    assert dataset["row_count"] == 700_000
    assert dataset["size_bytes"] == len(content)


def test_a_chunked_upload_is_cut_off_at_the_limit(api: Api, user: User) -> None:
    """No Content-Length to check up front: the stream itself is counted."""
    boundary = "limit-test"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\na,b\r\n'

    def body() -> Iterator[bytes]:
        yield head.encode()
        for _ in range(2_000):
            yield b"1,2\n" * 256
        yield f"\r\n--{boundary}--\r\n".encode()

    with api.settings(max_upload_mb=1):
        response = user.post(
            "/api/datasets", content=body(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )
    assert response.status_code == 413
