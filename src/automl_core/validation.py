"""Workflow validation: every problem at once, each naming its node, edge and field.

Linear in the size of the graph. Validation against datasets' schemas is a separate step that takes
the schemas as values, so the domain never touches storage. Nothing here raises on bad input: it
reports.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from automl_core.catalog import (
    CATALOG,
    METRICS_BY_FAMILY,
    PLOTS_BY_FAMILY,
    TASK_LABELS,
    NodeType,
    Param,
    Port,
    TaskFamily,
    choice_label,
    node_type,
    task_family,
)
from automl_core.datasets import NUMERIC, DatasetSchema, infer_task
from automl_core.issues import Issue
from automl_core.workflow import Edge, Graph, Node, is_trainable


def parse_graph(raw: Any) -> tuple[Graph, list[Issue]]:
    """Decode JSON-ish input leniently: each malformed node or edge is reported and left out."""
    issues: list[Issue] = []
    if not isinstance(raw, Mapping):
        return Graph(), [Issue("malformed_graph", "a workflow is an object with `nodes` and `edges`")]
    parts: dict[str, list[Any]] = {}
    for key in ("nodes", "edges"):
        value = raw.get(key, [])
        if not isinstance(value, list):
            issues.append(Issue("malformed_graph", f"`{key}` must be a list", field=key))
            value = []
        parts[key] = value
    nodes: list[Node] = []
    for i, item in enumerate(parts["nodes"]):
        try:
            nodes.append(msgspec.convert(item, Node))
        except msgspec.ValidationError as exc:
            node_id = item.get("id") if isinstance(item, Mapping) and isinstance(item.get("id"), str) else None
            issues.append(Issue("malformed_node", f"node #{i}: {exc}", node_id=node_id, field=f"nodes[{i}]"))
    edges: list[Edge] = []
    for i, item in enumerate(parts["edges"]):
        try:
            edges.append(msgspec.convert(item, Edge))
        except msgspec.ValidationError as exc:
            edge_id = item.get("id") if isinstance(item, Mapping) and isinstance(item.get("id"), str) else None
            issues.append(Issue("malformed_edge", f"edge #{i}: {exc}", edge_id=edge_id, field=f"edges[{i}]"))
    return Graph(nodes=nodes, edges=edges), issues


def validate_raw(raw: Any) -> list[Issue]:
    graph, issues = parse_graph(raw)
    return issues + validate(graph)


def validate(graph: Graph) -> list[Issue]:
    """Structural, parameter and task checks that need no data: every problem, each step's once."""
    return _once(_validate(graph))


def _once(issues: list[Issue]) -> list[Issue]:
    """Drops repeats of one problem on one step (a message says it once)."""
    seen: set[tuple[str | None, str | None, str]] = set()
    kept = []
    for i in issues:
        key = (i.node_id, i.edge_id, i.message)
        if key not in seen:
            seen.add(key)
            kept.append(i)
    return kept


_WANTS = {"data": "a data source", "model": "a model", "evaluation": "an Evaluate step or a model"}


def _missing_input_message(port: Port) -> str:
    return f"Connect {' or '.join(_WANTS[k] for k in (port.accepts or (port.kind,)))} to this step"


def _label(node: Node) -> str:
    spec = node_type(node.type)
    return spec.label if spec else "an unknown step"


def _validate(graph: Graph) -> list[Issue]:
    issues: list[Issue] = []
    nodes: dict[str, Node] = {}
    for n in graph.nodes:
        if n.id in nodes:
            issues.append(Issue("duplicate_id", "two steps share one id", node_id=n.id))
            continue
        nodes[n.id] = n
        spec = node_type(n.type)
        if spec is None:
            issues.append(Issue("unknown_type", "this kind of step no longer exists", node_id=n.id, field="type"))
        else:
            issues.extend(_check_params(n, spec))
    inputs, edge_issues = _check_edges(graph.edges, nodes)
    issues.extend(edge_issues)
    for n in nodes.values():
        spec = node_type(n.type)
        for port in spec.inputs if spec else ():
            if port.name not in inputs.get(n.id, {}):
                issues.append(Issue("missing_input", _missing_input_message(port), node_id=n.id, field=port.name))
    cyclic = _cycles(nodes, graph.edges)
    for members in cyclic:
        names = ", ".join(_label(nodes[m]) for m in members)
        message = f"Part of a loop through {names}: remove one of its connections"
        issues.extend(Issue("cycle", message, node_id=m) for m in members)
    issues.extend(_check_branches(nodes, inputs, declared_tasks(nodes.values())))
    return issues


def runnable_issues(graph: Graph) -> list[Issue]:
    """What stops an otherwise valid graph from being worth running."""
    if not any(is_trainable(n.type) for n in graph.nodes):
        return [Issue("nothing_to_run", "Add a model or AutoML step to train something")]
    return []


def declared_tasks(nodes: Iterable[Node]) -> dict[str, str | None]:
    """dataset node id -> its declared task, or None when `auto`."""
    found: dict[str, str | None] = {}
    for n in nodes:
        if n.type == "dataset":
            task = n.params.get("task", "auto")
            found[n.id] = task if isinstance(task, str) and task != "auto" else None
    return found


def validate_against_schemas(graph: Graph, schemas: Mapping[str, DatasetSchema]) -> list[Issue]:
    """Checks that need the datasets' columns: unknown dataset or column, a task the target can't serve.

    Assumes `validate(graph)` ran; only adds what that step could not know.
    """
    return _once(_against_schemas(graph, schemas))


def _against_schemas(graph: Graph, schemas: Mapping[str, DatasetSchema]) -> list[Issue]:
    issues: list[Issue] = []
    nodes = {n.id: n for n in graph.nodes}
    inputs, _ = _check_edges(graph.edges, nodes)
    roots = _roots(nodes, inputs)
    inferred: dict[str, str | None] = {}
    for n in nodes.values():
        if n.type != "dataset":
            continue
        dataset_id = n.params.get("dataset_id")
        schema = schemas.get(dataset_id) if isinstance(dataset_id, str) else None
        if schema is None:
            if isinstance(dataset_id, str) and dataset_id:
                issues.append(
                    Issue("unknown_dataset", "That dataset is gone: choose another", node_id=n.id, field="dataset_id")
                )
            continue
        issues.extend(_check_dataset_columns(n, schema))
        target = n.params.get("target")
        column = schema.column(target) if isinstance(target, str) and target else None
        if column is None:
            continue
        if column.unique - (1 if column.missing else 0) <= 1:
            issues.append(
                Issue(
                    "constant_target",
                    f"The target {column.name} has a single value: nothing to learn",
                    node_id=n.id,
                    field="target",
                )
            )
            continue
        declared = n.params.get("task", "auto")
        natural = infer_task(column.dtype, column.unique - (1 if column.missing else 0))
        if declared == "auto":
            inferred[n.id] = natural
        elif declared == "regression" and column.dtype not in NUMERIC:
            issues.append(
                Issue(
                    "task_mismatch",
                    f"Regression needs a numeric target; {column.name} is {_DTYPES.get(column.dtype, column.dtype)}",
                    node_id=n.id,
                    field="task",
                )
            )
        elif declared == "binary" and natural != "binary":
            issues.append(
                Issue(
                    "task_mismatch",
                    f"Binary classification needs two classes; {column.name} has {column.unique}",
                    node_id=n.id,
                    field="task",
                )
            )
    by_node = schemas_by_node(nodes, schemas)
    for n in nodes.values():
        root = roots.get(n.id)
        if root is not None and root != n.id and root in by_node:
            issues.extend(_check_node_columns(n, by_node[root]))
    issues.extend(_task_issues(nodes, roots, inferred, inferred=True))
    return issues


def schemas_by_node(nodes: Mapping[str, Node], schemas: Mapping[str, DatasetSchema]) -> dict[str, DatasetSchema]:
    found: dict[str, DatasetSchema] = {}
    for n in nodes.values():
        ident = n.params.get("dataset_id")
        if n.type == "dataset" and isinstance(ident, str) and ident in schemas:
            found[n.id] = schemas[ident]
    return found


def _check_dataset_columns(node: Node, schema: DatasetSchema) -> list[Issue]:
    issues = []
    target = node.params.get("target")
    if isinstance(target, str) and target and schema.column(target) is None:
        issues.append(Issue("unknown_column", f"The dataset has no column {target}", node_id=node.id, field="target"))
    issues.extend(_unknown_columns(node, "features", schema))
    return issues


def _check_node_columns(node: Node, schema: DatasetSchema) -> list[Issue]:
    spec = node_type(node.type)
    if spec is None:
        return []
    issues = []
    for p in spec.params:
        if p.type == "columns":
            issues.extend(_unknown_columns(node, p.name, schema))
    return issues


def _unknown_columns(node: Node, field: str, schema: DatasetSchema) -> list[Issue]:
    value = node.params.get(field)
    if not isinstance(value, list) or not value:
        return []
    known = {c.name for c in schema.columns}
    return [
        Issue("unknown_column", f"The dataset has no column {c}", node_id=node.id, field=field, column=c)
        for c in value
        if isinstance(c, str) and c not in known
    ]


def _check_params(node: Node, spec: NodeType) -> list[Issue]:
    issues = []
    if not isinstance(node.params, dict):
        return [Issue("invalid_param", "The settings of this step are unreadable", node_id=node.id, field="params")]
    for name in node.params:
        if spec.param(name) is None:
            issues.append(
                Issue("unknown_param", f"{spec.label} has no setting {_human(name)}", node_id=node.id, field=name)
            )
    for p in spec.params:
        value = node.params.get(p.name, p.default)
        problem = _param_problem(p, value)
        if problem:
            issues.append(Issue(problem[0], problem[1], node_id=node.id, field=p.name))
    return issues


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_DTYPES = {"string": "text", "category": "categories", "bool": "true/false", "datetime": "dates"}


def _human(name: str) -> str:
    """A parameter's name as a person reads it (`time_budget_s` → "time budget (s)")."""
    return name.removesuffix("_s").replace("_", " ") + (" (s)" if name.endswith("_s") else "")


def _param_problem(p: Param, value: Any) -> tuple[str, str] | None:
    empty = value is None or value == "" or value == []
    name = _human(p.name)
    if empty:
        if not p.required:
            return None
        return "missing_param", "Choose a dataset" if p.type == "dataset" else f"Set {name}"
    kind = p.type
    if kind == "int" or kind == "float":
        ok = _is_int(value) or (kind == "float" and isinstance(value, float) and math.isfinite(value))
        if not ok:
            return "invalid_type", f"{name.capitalize()} must be {'a whole number' if kind == 'int' else 'a number'}"
        if p.min is not None and value < p.min:
            return "out_of_range", f"{name.capitalize()} must be at least {p.min:g}"
        if p.max is not None and value > p.max:
            return "out_of_range", f"{name.capitalize()} must be at most {p.max:g}"
        return None
    if kind == "bool":
        return None if isinstance(value, bool) else ("invalid_type", f"{name.capitalize()} must be on or off")
    if kind in ("string", "column", "dataset"):
        return None if isinstance(value, str) else ("invalid_type", f"{name.capitalize()} must be text")
    if kind == "choice":
        if not isinstance(value, str) or value not in (p.choices or ()):
            options = ", ".join(choice_label(c) for c in p.choices or ())
            return "invalid_choice", f"{name.capitalize()} must be one of {options}"
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return "invalid_type", f"{name.capitalize()} must be a list of names"
    if kind == "multichoice":
        bad = [v for v in value if v not in (p.choices or ())]
        if bad:
            return "invalid_choice", f"{name.capitalize()} has unknown values: {', '.join(bad)}"
    return None


def _port(ports: tuple[Port, ...], handle: str | None) -> Port | None:
    if handle is None:
        return ports[0] if len(ports) == 1 else None
    return next((p for p in ports if p.name == handle), None)


def _check_edges(edges: list[Edge], nodes: Mapping[str, Node]) -> tuple[dict[str, dict[str, str]], list[Issue]]:
    """Returns, per node, port name -> the source node feeding it (well-formed edges only)."""
    issues: list[Issue] = []
    inputs: dict[str, dict[str, str]] = defaultdict(dict)
    seen: set[str] = set()
    for e in edges:
        if e.id in seen:
            issues.append(Issue("duplicate_id", "two connections share one id", edge_id=e.id))
            continue
        seen.add(e.id)
        if e.source == e.target:
            issues.append(Issue("self_loop", "A step cannot feed itself", edge_id=e.id, node_id=e.source))
            continue
        missing = [end for end in (e.source, e.target) if end not in nodes]
        if missing:
            issues.append(Issue("dangling_edge", "a connection leads to a step that is gone", edge_id=e.id))
            continue
        source_spec = CATALOG.get(nodes[e.source].type)
        target_spec = CATALOG.get(nodes[e.target].type)
        if source_spec is None or target_spec is None:
            in_port = _port(target_spec.inputs, e.target_handle) if target_spec else None
            if in_port is not None:
                inputs[e.target].setdefault(in_port.name, e.source)
            continue
        out_port = _port(source_spec.outputs, e.source_handle)
        in_port = _port(target_spec.inputs, e.target_handle)
        if out_port is None:
            issues.append(
                Issue(
                    "unknown_handle",
                    f"{source_spec.label} has no such output",
                    edge_id=e.id,
                    node_id=e.source,
                )
            )
            continue
        if in_port is None:
            issues.append(
                Issue(
                    "unknown_handle",
                    f"{target_spec.label} has no such input",
                    edge_id=e.id,
                    node_id=e.target,
                )
            )
            continue
        if not in_port.takes(out_port.kind):
            issues.append(
                Issue(
                    "port_mismatch",
                    f"{target_spec.label} cannot take {_WANTS[out_port.kind]} from {source_spec.label}: "
                    f"connect {' or '.join(_WANTS[k] for k in (in_port.accepts or (in_port.kind,)))}",
                    edge_id=e.id,
                    node_id=e.target,
                )
            )
            continue
        if in_port.name in inputs[e.target] and not in_port.multiple:
            issues.append(
                Issue(
                    "too_many_inputs",
                    f"{target_spec.label} takes one {in_port.label.lower() or 'input'}: remove the extra connection",
                    edge_id=e.id,
                    node_id=e.target,
                )
            )
            continue
        inputs[e.target].setdefault(in_port.name, e.source)
    return inputs, issues


def _parent(inputs: Mapping[str, dict[str, str]], node_id: str) -> str | None:
    feeding = inputs.get(node_id)
    return next(iter(feeding.values())) if feeding else None


def _cycles(nodes: Mapping[str, Node], edges: list[Edge]) -> list[list[str]]:
    """Strongly connected components with more than one node, over every edge between known nodes.

    Tarjan's algorithm, iterative so a 10,000-node chain doesn't hit the recursion limit. Members come
    back in graph order.
    """
    children: dict[str, list[str]] = defaultdict(list)
    for e in edges:
        if e.source != e.target and e.source in nodes and e.target in nodes:
            children[e.source].append(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            current, child_i = work.pop()
            if child_i == 0:
                index[current] = low[current] = len(index)
                stack.append(current)
                on_stack.add(current)
            kids = children[current]
            if child_i < len(kids):
                work.append((current, child_i + 1))
                child = kids[child_i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[current] = min(low[current], index[child])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[current])
            if low[current] == index[current]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == current:
                        break
                if len(component) > 1:
                    components.append(component)
    rank = {ident: i for i, ident in enumerate(nodes)}
    return [sorted(c, key=rank.__getitem__) for c in components]


def _roots(nodes: Mapping[str, Node], inputs: Mapping[str, dict[str, str]]) -> dict[str, str]:
    """node id -> the id of the node at the top of its chain (memoised: linear time; safe on loops)."""
    roots: dict[str, str] = {}
    for start in nodes:
        trail: list[str] = []
        on_trail: set[str] = set()
        current = start
        while current not in roots:
            trail.append(current)
            on_trail.add(current)
            parent = _parent(inputs, current)
            if parent is None or parent not in nodes or parent in on_trail:
                roots[current] = current  # a loop's first inputs end the walk (the loop is reported)
                break
            current = parent
        top = roots[current]
        for member in trail:
            roots[member] = top
    return roots


def _check_branches(
    nodes: Mapping[str, Node], inputs: Mapping[str, dict[str, str]], tasks: Mapping[str, str | None]
) -> list[Issue]:
    issues: list[Issue] = []
    roots = _roots(nodes, inputs)
    splits: dict[str, int] = {}

    def split_count(node_id: str) -> int:
        trail: list[str] = []
        on_trail: set[str] = set()
        current: str | None = node_id
        while current is not None and current not in splits and current not in on_trail:
            trail.append(current)
            on_trail.add(current)
            current = _parent(inputs, current)
        if current in on_trail:
            current = None
        count = splits[current] if current is not None else 0
        for member in reversed(trail):
            count += nodes[member].type == "split"
            splits[member] = count
        return splits[node_id]

    for n in nodes.values():
        if n.type == "split" and split_count(n.id) > 1:
            issues.append(Issue("multiple_splits", "A branch can be split only once", node_id=n.id))
        root = roots[n.id]
        if is_trainable(n.type) and root != n.id and nodes[root].type != "dataset":
            issues.append(Issue("no_dataset", "Connect a dataset upstream of this step", node_id=n.id))
    issues.extend(_target_issues(nodes, roots))
    issues.extend(_task_issues(nodes, roots, tasks, inferred=False))
    return issues


def _target_issues(nodes: Mapping[str, Node], roots: Mapping[str, str]) -> list[Issue]:
    issues = []
    missing_reported: set[str] = set()
    for n in nodes.values():
        spec = node_type(n.type)
        if spec is None or spec.tasks is None:
            continue
        root = nodes[roots[n.id]]
        if root.type != "dataset":
            continue
        has_target = bool(root.params.get("target"))
        supervised = "clustering" not in spec.tasks
        if supervised and not has_target and root.params.get("task", "auto") != "clustering":
            if root.id not in missing_reported:
                missing_reported.add(root.id)
                issues.append(
                    Issue(
                        "missing_target",
                        f"Choose the column to predict: {spec.label} needs a target",
                        node_id=root.id,
                        field="target",
                    )
                )
        elif not supervised and has_target:
            issues.append(
                Issue(
                    "clustering_with_target",
                    f"{spec.label} learns without a target: clear the dataset's target or use another model",
                    node_id=n.id,
                )
            )
    for n in nodes.values():
        if n.type == "dataset" and n.params.get("task") == "clustering" and n.params.get("target"):
            issues.append(
                Issue(
                    "clustering_with_target",
                    "Clustering takes no target: clear the target or pick another task",
                    node_id=n.id,
                    field="target",
                )
            )
    return issues


def _task_issues(
    nodes: Mapping[str, Node], roots: Mapping[str, str], tasks: Mapping[str, str | None], *, inferred: bool
) -> list[Issue]:
    """Settings the task rules out: a classifier on a regression target, a metric of the other kind."""
    issues: list[Issue] = []
    how = "the target looks like" if inferred else "the dataset's task is"
    for n in nodes.values():
        task = tasks.get(roots.get(n.id, n.id))
        spec = node_type(n.type)
        if task is None or spec is None:
            continue
        family = task_family(task)
        if spec.tasks is not None and family not in spec.tasks:
            issues.append(
                Issue(
                    "task_mismatch",
                    f"{spec.label} cannot learn {TASK_LABELS[task]}: {how} {TASK_LABELS[task]}",
                    node_id=n.id,
                    field="type",
                )
            )
            continue
        issues.extend(_choice_fits_task(n, spec, family, task))
    return issues


def _choice_fits_task(node: Node, spec: NodeType, family: TaskFamily, task: str) -> list[Issue]:
    issues = []
    metric = node.params.get("metric")
    if (
        node.type == "automl"
        and isinstance(metric, str)
        and metric != "auto"
        and metric not in METRICS_BY_FAMILY[family]
    ):
        issues.append(
            Issue(
                "task_mismatch",
                f"{choice_label(metric)} does not fit {TASK_LABELS[task]}",
                node_id=node.id,
                field="metric",
            )
        )
    families = node.params.get("families")
    if node.type == "automl" and isinstance(families, list):
        for name in families:
            model = CATALOG.get(f"model.{name}")
            if model is not None and model.tasks is not None and family not in model.tasks:
                issues.append(
                    Issue(
                        "task_mismatch",
                        f"{model.label} cannot learn {TASK_LABELS[task]}",
                        node_id=node.id,
                        field="families",
                    )
                )
    for field, allowed in (("metrics", METRICS_BY_FAMILY), ("plots", PLOTS_BY_FAMILY)):
        chosen = node.params.get(field) if spec.param(field) else None
        if isinstance(chosen, list):
            bad = [c for c in chosen if isinstance(c, str) and c not in allowed[family]]
            if bad:
                issues.append(
                    Issue(
                        "task_mismatch",
                        f"{', '.join(choice_label(b) for b in bad)} {'does' if len(bad) == 1 else 'do'} not fit "
                        f"{TASK_LABELS[task]}",
                        node_id=node.id,
                        field=field,
                    )
                )
    return issues
