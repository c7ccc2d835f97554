"""``tools/test.py --amp``: hvt_mm.AmpTestLoop autocasts what each device
can run in low precision, the BenchmarkHook line names the precision.
(The task metric under --amp is judged in tests/test_learning.py.)"""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, TestLoop

from hvt_mm.engine import AmpTestLoop, amp_test_cfg, precision_of
from tests.tool_loader import load_tool
from tests.toy_configs import toy_det_cfg, toy_seg_cfg

pytestmark = pytest.mark.usefixtures('single_thread')


def test_amp_test_cfg_per_device_and_scope():
    cpu_det = amp_test_cfg(dict(type='TestLoop'), 'cpu', 'mmdet')
    assert cpu_det == dict(
        type='hvt_mm.AmpTestLoop', autocast_methods=['extract_feat'])
    assert amp_test_cfg(None, 'cpu',
                        'mmseg') == dict(type='hvt_mm.AmpTestLoop')
    assert amp_test_cfg(dict(fp16=False), 'cuda',
                        'mmdet') == dict(type='hvt_mm.AmpTestLoop')
    with pytest.raises(ValueError, match='replaces the TestLoop'):
        amp_test_cfg(dict(type='MyLoop'), 'cpu', 'mmdet')


def test_precision_names():

    class Plain:
        fp16 = False

    class MMEngineFp16:
        fp16 = True

    assert precision_of(Plain()) == 'fp32'
    assert precision_of(
        MMEngineFp16()) == ('fp16 autocast'
                            if torch.cuda.is_available() else 'bf16 autocast')


class _ConvDtypes:
    """Output dtypes of every conv in ``module`` while installed."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.dtypes = set()
        self.handles = [
            m.register_forward_hook(
                lambda mod, args, out: self.dtypes.add(out.dtype))
            for m in module.modules() if isinstance(m, torch.nn.Conv2d)
        ]


@pytest.mark.parametrize('task', ['det', 'seg'])
def test_cli_amp_runs_the_backbone_in_bf16(task, toy_data, tmp_path):
    make_cfg = dict(det=toy_det_cfg, seg=toy_seg_cfg)[task]
    scope = dict(det='mmdet', seg='mmseg')[task]
    cfg = make_cfg(
        toy_data,
        tmp_path,
        dict(type='hvt_mm.EfficientViT', arch='b0'),
        size=64)
    cfg.custom_hooks = [dict(type='hvt_mm.BenchmarkHook', warmup_iters=0)]
    cfg.test_dataloader.batch_size = 1  # mmseg: one image size per batch
    config = str(tmp_path / 'cfg.py')
    cfg.dump(config)
    init_default_scope(scope)
    checkpoint = str(tmp_path / 'model.pth')
    torch.save({'state_dict': Runner.from_cfg(cfg).model.state_dict()},
               checkpoint)
    test_tool = load_tool('tools/test.py')
    args = test_tool.parse_args(
        [config, checkpoint, '--amp', '--work-dir',
         str(tmp_path)])
    runner = Runner.from_cfg(test_tool.build_cfg(args))
    assert isinstance(runner.test_loop, AmpTestLoop)
    backbone = _ConvDtypes(runner.model.backbone)
    heads = _ConvDtypes(runner.model.rpn_head if task ==
                        'det' else runner.model.decode_head)
    metrics = runner.test()
    assert metrics  # evaluated: outputs came back as the evaluator takes
    assert backbone.dtypes == {torch.bfloat16}
    # CPU detectors: the heads stay float32 (mmcv's NMS / RoIAlign).
    assert heads.dtypes == ({torch.float32}
                            if task == 'det' else {torch.bfloat16})
    expected = ('bf16 autocast (extract_feat)'
                if task == 'det' else 'bf16 autocast')
    assert precision_of(runner.test_loop) == expected
    with open(runner.log_dir + f'/{runner.timestamp}.log') as f:
        assert f'precision={expected}' in f.read()


def test_without_amp_the_loop_is_mmengines(toy_data, tmp_path):
    cfg = toy_seg_cfg(toy_data, tmp_path,
                      dict(type='hvt_mm.EfficientViT', arch='b0'))
    init_default_scope('mmseg')
    runner = Runner.from_cfg(cfg)
    assert type(runner.test_loop) is TestLoop
    assert precision_of(runner.test_loop) == 'fp32'
