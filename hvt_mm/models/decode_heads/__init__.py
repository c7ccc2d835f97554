"""mmseg decode heads (imported only when mmseg is installed)."""
from .efficientvit_head import EfficientViTHead  # noqa: F401
