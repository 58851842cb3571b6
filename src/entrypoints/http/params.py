"""Query parameters shared by the listing endpoints."""

from typing import Annotated

from litestar.params import Parameter

Limit = Annotated[int, Parameter(ge=1, le=500, description="Page size (1-500)")]
Offset = Annotated[int, Parameter(ge=0, le=2**31, description="Items to skip")]
