"""Necks of the published detectors that mmdet does not have."""
from .lightvit_fpn import LightViTFPN

__all__ = ['LightViTFPN']
