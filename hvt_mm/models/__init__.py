"""Models: backbones, shared layers and (with mmseg) decode heads."""
import importlib.util

from . import backbones, layers  # noqa: F401

if importlib.util.find_spec('mmseg') is not None:
    from . import decode_heads  # noqa: F401
