"""Weight-free model building for tools that only run a config's model
(benchmarks, FLOP counting)."""
import copy
from typing import Tuple

import torch.nn as nn
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import MODELS, DefaultScope


def build_model_from_config(cfg: Config) -> Tuple[nn.Module, str]:
    """Build ``cfg.model`` without any weight file and with SyncBN as plain
    BN; return it (eval mode) and its registry scope."""
    model_cfg = copy.deepcopy(cfg.model)
    # `mmdet::`/`mmseg::` bases mark the model with its package scope.
    scope = cfg.get('default_scope') or model_cfg.get('_scope_', 'mmengine')
    # Random weights time and count the same; pretrained paths may not
    # exist here.
    if isinstance(model_cfg.get('backbone'), dict):
        model_cfg.backbone.init_cfg = None
    if 'pretrained' in model_cfg:
        model_cfg.pretrained = None
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(model_cfg)
    # SyncBN needs a process group; in eval mode it computes what BN does.
    return revert_sync_batchnorm(model).eval(), scope
