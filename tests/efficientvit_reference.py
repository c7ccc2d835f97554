"""EfficientViT test helpers: official model names and the attention
core written from its formula."""
import torch

SEG_MODELS = ('b0_cityscapes', 'b1_cityscapes', 'b2_cityscapes',
              'b3_cityscapes', 'l1_cityscapes', 'l2_cityscapes', 'b1_ade20k',
              'b2_ade20k', 'b3_ade20k', 'l1_ade20k', 'l2_ade20k')
CLS_MODELS = ('b0', 'b1', 'b2', 'b3', 'l1', 'l2', 'l3')


def reference_attention(qkv: torch.Tensor,
                        dim: int,
                        eps: float = 1e-15) -> torch.Tensor:
    """LiteMLA core from its formula, per head and in float64:
    ``out_i = sum_j v_j (k_j . q_i) / (sum_j k_j . q_i + eps)``."""
    b, c, h, w = qkv.shape
    qkv = qkv.double().reshape(b, c // (3 * dim), 3 * dim, h * w)
    q, k, v = qkv[:, :, :dim], qkv[:, :, dim:2 * dim], qkv[:, :, 2 * dim:]
    q, k = q.clamp(min=0), k.clamp(min=0)
    scores = torch.einsum('bgdj,bgdi->bgji', k, q)  # key j, query i
    out = torch.einsum('bgdj,bgji->bgdi', v, scores)
    out = out / (scores.sum(2, keepdim=True) + eps)
    return out.reshape(b, -1, h, w)
