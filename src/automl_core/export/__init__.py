"""A workflow as a standalone Python script: pandas + scikit-learn, no import of this project.

The script holds the platform's reading and training rules as plain functions (`runtime.py.tmpl`,
kept in step with the engine by a test that runs exported scripts against engine runs) and one
block per model branch that calls them in the workflow's edge order, with the same split, seed and
parameters, and prints the same metrics. It takes the dataset CSV path(s) as arguments.
"""

from __future__ import annotations

import importlib.resources
import pprint
import re
from collections.abc import Mapping
from typing import Any

from automl_core.catalog import CATALOG, CLUSTERING_METRICS, metrics_for
from automl_core.errors import Conflict
from automl_core.workflow import Graph, Node, model_branches

INTERNAL_TEST_SIZE = 0.25
"""With no split node the engine scores a 25% hold-out drawn with the run's seed."""
TASKS = ("binary", "multiclass", "regression")
LIBRARY_MODELS = frozenset({"model.lightgbm", "model.xgboost", "model.catboost"})
"""Their native categorical handling and early stopping are not in the script's runtime yet."""


def _params(node: Node) -> dict[str, Any]:
    spec = CATALOG[node.type]
    return {**spec.defaults(), **{k: v for k, v in node.params.items() if v is not None}}


def _literal(value: Any, indent: int) -> str:
    text = pprint.pformat(value, width=110 - indent, sort_dicts=False)
    return text.replace("\n", "\n" + " " * indent)


def _ident(text: str) -> str:
    return re.sub(r"\W+", "_", text).strip("_") or "node"


def python_script(name: str, graph: Graph, columns: Mapping[str, Mapping[str, str]], seed: int) -> str:
    """The script for `graph`; `columns` maps each dataset id to its columns' logical dtypes.

    Conflict for a workflow it cannot export (an AutoML node, no model branch)."""
    branches = model_branches(graph)
    if not branches:
        raise Conflict("the workflow has no model to export")
    nodes = graph.node_map()
    automl = [i for i in branches if nodes[i].type == "automl"]
    if automl:
        raise Conflict("exporting AutoML nodes as Python is not supported yet: replace them by the model they chose")
    libraries = [i for i in branches if nodes[i].type in LIBRARY_MODELS]
    if libraries:
        label = CATALOG[nodes[libraries[0]].type].label
        raise Conflict(f"exporting {label} models as Python is not supported yet (node {libraries[0]!r})")
    datasets = list(dict.fromkeys(str(nodes[path[0]].params.get("dataset_id")) for path in branches.values()))
    missing = [d for d in datasets if d not in columns]
    if missing:
        raise Conflict(f"dataset {missing[0]!r} of this workflow is no longer there")
    metrics = {task: list(metrics_for(task)) for task in TASKS}
    metrics["clustering"] = list(CLUSTERING_METRICS)
    arguments = " ".join(f"<{_ident(d)}.csv>" for d in datasets)
    head = [
        "#!/usr/bin/env python3",
        f'"""{name}: the workflow exported from the AutoML platform.',
        "",
        f"Run: python {_ident(name).lower()}.py {arguments}",
        "Trains every model of the workflow with the same steps, split and seed, and prints its metrics",
        '(one line per node and metric). Needs pandas and scikit-learn."""',
        "",
    ]
    body = [
        "",
        "# ---------------------------------------------------------------------------------------------",
        "# The workflow",
        "# ---------------------------------------------------------------------------------------------",
        "",
        f"SEED = {seed}",
        f"METRICS = {_literal(metrics, 10)}",
        f"DATASETS = {_literal({d: dict(columns[d]) for d in datasets}, 11)}",
        "",
        "",
        "def main(paths):",
        "    tables = {",
        *[f"        {d!r}: read_table(paths[{i}], DATASETS[{d!r}])," for i, d in enumerate(datasets)],
        "    }",
    ]
    for path in branches.values():
        body += _branch(graph, [nodes[i] for i in path])
    body += [
        "",
        "",
        'if __name__ == "__main__":',
        f"    if len(sys.argv) != {len(datasets) + 1}:",
        f'        sys.exit("usage: python " + sys.argv[0] + " {arguments}")',
        "    main(sys.argv[1:])",
        "",
    ]
    return "\n".join(head) + _runtime() + "\n".join(body)


def _branch(graph: Graph, path: list[Node]) -> list[str]:
    data, model = path[0], path[-1]
    middle = path[1:-1]
    split = next((n for n in middle if n.type == "split"), None)
    steps = [n for n in middle if n.type != "split"]
    p = _params(data)
    evaluations = [
        graph.node(e.target) for e in graph.edges if e.source == model.id and graph.node(e.target).type == "evaluate"
    ]
    chosen = [n.params.get("metrics") or [] for n in evaluations]
    names: list[str] = []
    if chosen and all(chosen):
        for items in chosen:
            names += [m for m in items if m not in names]
    spec = CATALOG[model.type]
    lines = [
        "",
        f"    # {model.id}: {spec.label} on {data.id}" + (f" ({', '.join(s.id for s in steps)})" if steps else ""),
        "    frame, table = tables[{!r}]".format(p["dataset_id"]),
        "    X, y, task = load_data(frame, table, DATASETS[{!r}], target={!r}, features={!r}, task={!r})".format(
            p["dataset_id"], p.get("target") or None, list(p.get("features") or []), p.get("task", "auto")
        ),
    ]
    if split is None:
        lines.append(
            f"    splits = holdout(y, task, len(X), test_size={INTERNAL_TEST_SIZE}, stratify=True, shuffle=True, "
            "seed=SEED)  # no split drawn: the platform scores a hold-out"
        )
        if p.get("target") is None:
            lines.append(
                "    splits = [(np.arange(len(X)), np.arange(len(X)))]  # clustering without a split: every row"
            )
    else:
        s = _params(split)
        if s["method"] == "kfold":
            lines.append(
                f"    splits = kfold(y, task, len(X), folds={s['folds']}, stratify={s['stratify']}, "
                f"shuffle={s['shuffle']}, seed={s['seed']})"
            )
        else:
            lines.append(
                f"    splits = holdout(y, task, len(X), test_size={s['test_size']}, stratify={s['stratify']}, "
                f"shuffle={s['shuffle']}, seed={s['seed']})"
            )
    lines.append("    steps = [  # in edge order: (kind, name, parameters)")
    for step in steps:
        kind = step.type.removeprefix("preprocess.")
        lines.append(f"        ({kind!r}, {step.id.replace('__', '_')!r}, {_literal(_params(step), 12)}),")
    lines.append("    ]")
    metric_expr = repr(names) if names else "METRICS[task]"
    family = model.type.removeprefix("model.")
    lines.append(f"    params = {_literal(_params(model), 13)}")
    lines.append(
        f"    report({model.id!r}, evaluate(X, y, task, splits, steps, {family!r}, params, {metric_expr}, SEED))"
    )
    return lines


def _runtime() -> str:
    return importlib.resources.files(__package__).joinpath("runtime.py.tmpl").read_text()
