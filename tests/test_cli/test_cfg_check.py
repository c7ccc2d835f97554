"""--cfg-options key rules (hvt_mm.cli.cfg_check): misspelt keys are
refused, the keys mmengine users legitimately add still work."""
import pytest

from hvt_mm.cli.cfg_check import check_cfg_option_keys
from hvt_mm.cli.launch import UsageError, load_config
from tests.tool_loader import ROOT

DEMO = f'{ROOT}/configs/demo_mask_rcnn_fastervit_0_toy_coco.py'


@pytest.fixture(scope='module')
def cfg():
    return load_config(DEMO)


@pytest.mark.parametrize(
    'key',
    [
        'model.backbone.arch',  # existing keys, at any depth
        'train_pipeline.2.scale',  # list items by index
        'model.backbone.with_cp',  # new key in an object config (`type`)
        'optim_wrapper.optimizer.nesterov',
        'train_dataloader.pin_memory',  # a data loader's DataLoader kwargs
        'train_cfg.val_begin',  # a loop's kwargs
        'load_from',  # what the Runner reads at the top level
        'find_unused_parameters',
        'env_cfg.resource_limit',  # ... and in env_cfg
        'model.backbone.init_cfg.checkpoint',  # fills an optional dict
    ])
def test_keys_that_may_be_set(cfg, key):
    check_cfg_option_keys(cfg, {key: 1})


@pytest.mark.parametrize('key,nearest', [
    ('max_iter', 'max_iters'),
    ('env_cfg.cudnn_benchmarks', 'cudnn_benchmark'),
    ('model.train_cfg.rpn.samplr.num', 'sampler'),
    ('default_hooks.checkpont.interval', 'checkpoint'),
])
def test_keys_that_would_be_ignored_are_refused(cfg, key, nearest):
    with pytest.raises(UsageError, match=f"did you mean '{nearest}'"):
        check_cfg_option_keys(cfg, {key: 1})


def test_every_bad_key_is_reported_at_once(cfg):
    with pytest.raises(UsageError) as info:
        check_cfg_option_keys(cfg, {'max_iter': 1, 'randomnes.seed': 0})
    assert 'max_iter:' in str(info.value)
    assert 'randomnes.seed:' in str(info.value)
