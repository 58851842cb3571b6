"""The node catalog: the palette and parameter forms the canvas draws, straight from the domain."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, get

from automl_core.catalog import METRIC_LABELS, NODE_TYPES, NodeType, Param, Port, choice_label


class PortOut(msgspec.Struct):
    name: str
    kind: str
    label: str
    accepts: list[str]
    multiple: bool


class ParamOut(msgspec.Struct, omit_defaults=True):
    """`default` and `required` are always present; the rest only when they apply."""

    name: str
    type: str
    default: Any
    required: bool
    help: str
    choices: list[str] | None = None
    choice_labels: dict[str, str] | None = None
    """What the form shows for each choice ("ROC curve" for `roc_curve`)."""
    min: float | None = None
    max: float | None = None


class NodeTypeOut(msgspec.Struct, omit_defaults=True):
    type: str
    category: str
    label: str
    description: str
    inputs: list[PortOut]
    outputs: list[PortOut]
    params: list[ParamOut]
    tasks: list[str] | None = None


class CatalogOut(msgspec.Struct):
    node_types: list[NodeTypeOut]
    metric_labels: dict[str, str]
    """How results name each metric."""


def _port(p: Port) -> PortOut:
    return PortOut(name=p.name, kind=p.kind, label=p.label, accepts=list(p.accepts or (p.kind,)), multiple=p.multiple)


def _param(p: Param) -> ParamOut:
    return ParamOut(
        name=p.name,
        type=p.type,
        default=p.default,
        required=p.required,
        help=p.help,
        choices=list(p.choices) if p.choices is not None else None,
        choice_labels={c: choice_label(c) for c in p.choices} if p.choices is not None else None,
        min=p.min,
        max=p.max,
    )


def _node_type(t: NodeType) -> NodeTypeOut:
    return NodeTypeOut(
        type=t.type,
        category=t.category,
        label=t.label,
        description=t.description,
        inputs=[_port(p) for p in t.inputs],
        outputs=[_port(p) for p in t.outputs],
        params=[_param(p) for p in t.params],
        tasks=list(t.tasks) if t.tasks is not None else None,
    )


CATALOG_OUT = CatalogOut(node_types=[_node_type(t) for t in NODE_TYPES], metric_labels=METRIC_LABELS)
"""Built once: the catalog is code, it cannot change while the server runs."""


class CatalogController(Controller):
    path = "/api/catalog"
    tags = ["catalog"]

    @get("/", summary="Every node type, its ports and its parameters")
    async def catalog(self) -> CatalogOut:
        return CATALOG_OUT
