"""Every family traces into one graph under torch.compile (no graph
breaks), in the training form, the inference form and with gradients."""
import pytest
import torch

from hvt_mm.analysis.graph_breaks import count_graph_breaks
from tests.backbone_families import CASES, case_id

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures('single_thread')]


@pytest.mark.parametrize('pair', CASES, ids=case_id)
def test_no_graph_breaks(pair):
    family, case = pair
    torch.manual_seed(0)
    model = family.cls(arch=case.arch).eval()
    # Odd, non-square: padding, masks and carrier-token geometry all run.
    x = torch.randn(2, 3, 97, 131)
    report = count_graph_breaks(model, (x, ))
    assert (report.graphs, report.breaks) == (1, 0), report.reasons
    model.switch_to_deploy()
    report = count_graph_breaks(model, (x, ))
    assert (report.graphs, report.breaks) == (1, 0), report.reasons
    model.train()
    report = count_graph_breaks(model, (x, ), grad=True)
    assert (report.graphs, report.breaks) == (1, 0), report.reasons


def test_reports_a_break_and_where():
    """The counter sees a data-dependent branch (and names the line)."""

    class Branchy(torch.nn.Module):

        def forward(self, x):
            if x.sum() > 0:  # data-dependent: dynamo must break here
                return x + 1
            return x - 1

    report = count_graph_breaks(Branchy(), (torch.ones(3), ))
    assert report.breaks == 1
    assert 'test_graph_breaks.py' in report.reasons[0]
