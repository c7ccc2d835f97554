"""Models: backbones and shared layers. The mmseg decode heads
(:mod:`hvt_mm.models.decode_heads`) register lazily, see
:mod:`hvt_mm.registry`."""
from . import backbones, layers

__all__ = ['backbones', 'layers']
