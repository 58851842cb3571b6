"""Model files an attacker could send as a run's artifact, each built the way skops writes files.

Every one would have passed the old check (anything under `sklearn.`, plus partials) or is a file skops
itself should not get as far as building. The code they would run writes a marker file, so a test can
tell whether it ran.
"""

from __future__ import annotations

import functools
import io
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import skops.io as sio
from sklearn.dummy import DummyClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._testing import assert_run_python_script_without_output

from automl_worker import artifacts

INFO = {"algorithm": "x", "task": "binary", "target": None, "features": [["a", "float"]], "classes": None,
        "library_versions": {}}  # fmt: skip


def _bundle(pipeline: object) -> bytes:
    return sio.dumps({"format": artifacts.FORMAT, "pipeline": pipeline, "info": INFO})


def _fitted_dummy() -> DummyClassifier:
    return DummyClassifier().fit(np.zeros((4, 1)), [0, 1, 0, 1])


def _rewritten(data: bytes, edit: dict[str, bytes]) -> bytes:
    """The same zip with members replaced or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, edit.pop(name, src.read(name)))
        for name, content in edit.items():
            dst.writestr(name, content)
    return out.getvalue()


def _object_npy(marker: Path, real: bytes) -> bytes:
    """A real artifact whose first array file is replaced by a pickled object array."""
    names = [n for n in zipfile.ZipFile(io.BytesIO(real)).namelist() if n.endswith(".npy")]
    buffer = io.BytesIO()
    np.save(buffer, np.array([functools.partial(os.system, f"touch {marker}")], dtype=object), allow_pickle=True)
    return _rewritten(real, {names[0]: buffer.getvalue()})


def _object_array(marker: Path) -> bytes:
    """An object array (stored element by element) holding a partial that would run a shell command."""
    hidden = np.array([functools.partial(os.system, f"touch {marker}")], dtype=object)
    step = FunctionTransformer(feature_names_out="one-to-one")
    step.hidden = hidden
    return _bundle(Pipeline([("step", step), ("model", _fitted_dummy())]))


def _partial_of_an_sklearn_helper(marker: Path, real: bytes) -> bytes:
    script = f"open({str(marker)!r}, 'w').write('ran')"
    run = FunctionTransformer(functools.partial(assert_run_python_script_without_output, script))
    return _bundle(Pipeline([("run", run), ("model", _fitted_dummy())]))


def _foreign_func(marker: Path, real: bytes) -> bytes:
    run = FunctionTransformer(assert_run_python_script_without_output)
    return _bundle(Pipeline([("run", run), ("model", _fitted_dummy())]))


HOSTILE: dict[str, Callable[[Path, bytes], bytes]] = {
    "partial_of_an_sklearn_helper": _partial_of_an_sklearn_helper,
    "function_transformer_with_a_foreign_func": _foreign_func,
    "numpy_function": lambda m, r: _bundle(Pipeline([("exp", FunctionTransformer(np.exp)), ("m", _fitted_dummy())])),
    "object_array_of_partials": lambda marker, real: _object_array(marker),
    "pickled_object_npy": _object_npy,
    "unknown_sklearn_class": lambda m, r: _bundle(_fitted_dummy()),
    "class_outside_sklearn": lambda m, real: _rewritten(
        real, {"schema.json": _renamed_class(real, "sklearn.pipeline", "Pipeline", "subprocess", "Popen")}
    ),
    "zip_with_extra_members": lambda m, real: _rewritten(real, {"payload.py": b"import os; os.system('id')"}),
    "truncated": lambda m, real: real[: len(real) // 2],
    "not_a_zip": lambda m, r: b"not a zip file",
}
"""name -> how to build it from a marker path (that its code would create) and a genuine artifact."""


def _renamed_class(data: bytes, module: str, name: str, new_module: str, new_name: str) -> bytes:
    schema = zipfile.ZipFile(io.BytesIO(data)).read("schema.json").decode()
    layout = '"__class__": "{}",\n      "__module__": "{}"'
    renamed = schema.replace(layout.format(name, module), layout.format(new_name, new_module))
    assert renamed != schema
    json.loads(renamed)
    return renamed.encode()
