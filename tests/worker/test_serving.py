"""The worker's model cache: models by verified SHA-256, least recently used evicted, kept on disk."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from automl_core.prediction import PredictRequest, decode_answer, encode_request
from automl_worker.engine import run
from automl_worker.serving import ModelCache
from tests.executors.contract import DATASET_ID, LOGISTIC, TREE, graph, request, table

ROWS = [{"x": 0.5, "z": -1.0, "colour": "red"}]


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    path = tmp_path_factory.mktemp("serving") / "contract.parquet"
    table().write_parquet(path)
    result = run(request("serving", graph(LOGISTIC, TREE)), {DATASET_ID: path}, lambda _: None)
    return [b.artifact for b in result.branches]


def ask(cache: ModelCache, artifact: bytes, send: bool) -> str:
    """The answer's kind: `predictions`, or the problem's kind."""
    req = encode_request(PredictRequest(artifact_sha256=hashlib.sha256(artifact).hexdigest(), rows=ROWS))
    answer = decode_answer(cache.answer(req, artifact if send else None))
    return answer.problem.kind if answer.problem else "predictions"


def test_a_model_is_asked_for_once_then_held(artifacts: list[bytes]) -> None:
    cache = ModelCache()
    assert ask(cache, artifacts[0], send=False) == "missing_artifact"
    assert ask(cache, artifacts[0], send=True) == "predictions"
    assert ask(cache, artifacts[0], send=False) == "predictions"


def test_the_least_recently_used_model_goes_first(artifacts: list[bytes]) -> None:
    cache = ModelCache(max_models=1)
    assert ask(cache, artifacts[0], send=True) == "predictions"
    assert ask(cache, artifacts[1], send=True) == "predictions"
    assert len(cache) == 1
    assert ask(cache, artifacts[1], send=False) == "predictions"
    assert ask(cache, artifacts[0], send=False) == "missing_artifact"


def test_an_evicted_model_reloads_from_the_store(artifacts: list[bytes], tmp_path: Path) -> None:
    cache = ModelCache(max_models=1, store=tmp_path)
    ask(cache, artifacts[0], send=True)
    ask(cache, artifacts[1], send=True)
    assert ask(ModelCache(store=tmp_path), artifacts[0], send=False) == "predictions"


def test_bytes_that_do_not_match_their_hash_are_refused(artifacts: list[bytes]) -> None:
    req = encode_request(PredictRequest(artifact_sha256=hashlib.sha256(artifacts[0]).hexdigest(), rows=ROWS))
    answer = decode_answer(ModelCache().answer(req, artifacts[1]))
    assert answer.problem is not None and answer.problem.kind == "invalid_artifact"
    assert "SHA-256" in answer.problem.message


def test_garbage_is_an_answer_not_a_crash() -> None:
    answer = decode_answer(ModelCache().answer(b"{nope"))
    assert answer.problem is not None and answer.problem.kind == "failed"
    req = encode_request(PredictRequest(artifact_sha256="0" * 64, rows=ROWS))
    answer = decode_answer(ModelCache().answer(req, b"not a zip"))
    assert answer.problem is not None and answer.problem.kind == "invalid_artifact"
