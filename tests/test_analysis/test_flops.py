"""MAC counting: scaled_dot_product_attention is counted exactly."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from hvt_mm.analysis.flops import count_flops, count_model_flops, format_count


class SDPA(nn.Module):

    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v)


class Attention(nn.Module):
    """qkv projection + attention, via SDPA or explicit matmuls."""

    def __init__(self, dim: int, heads: int, use_sdpa: bool) -> None:
        super().__init__()
        self.heads, self.use_sdpa = heads, use_sdpa
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)

    def forward(self, x):
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads,
                                   c // self.heads).permute(2, 0, 3, 1, 4)
        if self.use_sdpa:
            return F.scaled_dot_product_attention(q, k, v)
        attn = (q @ k.transpose(-2, -1) * q.shape[-1]**-0.5).softmax(-1)
        return attn @ v


def test_sdpa_exact_macs():
    q, k, v = (torch.randn(2, 3, 5,
                           4), torch.randn(2, 3, 7,
                                           4), torch.randn(2, 3, 7, 6))
    report = count_flops(SDPA(), (q, k, v))
    # q k^T: 2*3 * 5*7*4, attn v: 2*3 * 5*7*6
    assert report.flops == 2 * 3 * 5 * 7 * (4 + 6) == 2100
    assert report.by_operator == {'scaled_dot_product_attention': 2100}
    assert report.unsupported == {}


def test_sdpa_equals_explicit_attention():
    x = torch.randn(2, 9, 8)
    sdpa = count_flops(Attention(8, 2, True), (x, ))
    explicit = count_flops(Attention(8, 2, False), (x, ))
    qkv = 2 * 9 * 8 * 24
    attention = 2 * 2 * 9 * 9 * (4 + 4)
    assert sdpa.flops == explicit.flops == qkv + attention
    assert sdpa.by_operator == {
        'linear': qkv,
        'scaled_dot_product_attention': attention
    }


def test_bare_backbone_conv():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1))
    report = count_model_flops(model, (16, 20), max_depth=2)
    assert report.flops == 8 * 3 * 9 * 8 * 10
    assert report.params == 8 * 3 * 9 + 8
    assert report.input_shape == (1, 3, 16, 20)
    assert report.by_module[''] == report.by_module['0'] == report.flops


def test_format_count():
    assert format_count(4.59e9) == '4.59G'
    assert format_count(12_300_000) == '12.3M'
    assert format_count(870) == '870'
