"""Graph breaks of a module under torch.compile (``torch._dynamo.explain``).

A graph break splits the compiled program where dynamo cannot trace
(data-dependent Python, unsupported calls); every break costs a return to
Python and stops fusion across it. Our backbones have none (tested per
family); the benchmark tools print the count.
"""
from dataclasses import dataclass, field
from typing import Any, List, Sequence

import torch
import torch.nn as nn


@dataclass
class GraphBreakReport:
    """``graphs`` traced, ``breaks`` between them and why (one line each,
    with the user code line that caused it)."""
    graphs: int
    breaks: int
    reasons: List[str] = field(default_factory=list)


def count_graph_breaks(module: nn.Module,
                       inputs: Sequence[Any],
                       grad: bool = False) -> GraphBreakReport:
    """Trace ``module(*inputs)`` with dynamo (no compilation) and report its
    graph breaks, in the module's current train/eval mode, under
    ``torch.no_grad()`` unless ``grad``."""
    import torch._dynamo as dynamo
    with torch.set_grad_enabled(grad):
        explained = dynamo.explain(module)(*inputs)
    reasons = []
    for item in explained.break_reasons:
        where = item.user_stack[-1] if item.user_stack else None
        location = f' ({where.filename}:{where.lineno})' if where else ''
        reasons.append(' '.join(str(item.reason).split())[:300] + location)
    return GraphBreakReport(explained.graph_count, explained.graph_break_count,
                            reasons)
