"""Models: backbones, necks and shared layers. The mmseg decode heads
(:mod:`hvt_mm.models.decode_heads`) register lazily, see
:mod:`hvt_mm.registry`."""
from . import backbones, layers, necks

__all__ = ['backbones', 'layers', 'necks']
