"""Mixed precision: every family trains under ``--amp`` (bf16 on CPU, fp16
with loss scaling on CUDA) inside Mask R-CNN and UperNet on the toy data."""
import copy
from collections import Counter

import pytest
import torch
import torch.nn as nn
from mmengine.optim import AmpOptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from hvt_mm.checkpoint import load_checkpoint_file
from hvt_mm.engine import BF16AmpOptimWrapper, amp_optim_wrapper
from hvt_mm.models.backbones.efficientvit import LiteMLA
from tests.backbone_families import CASES, case_id
from tests.conftest import flat_parameters
from tests.tool_loader import load_tool
from tests.toy_configs import toy_det_cfg, toy_seg_cfg

pytestmark = pytest.mark.usefixtures('single_thread')

TASKS = {'det': (toy_det_cfg, 'mmdet'), 'seg': (toy_seg_cfg, 'mmseg')}


def _backbone(case) -> dict:
    return dict(
        type=f'hvt_mm.{case[0].name}', arch=copy.deepcopy(case[1].arch))


class _DtypeProbe:
    """Counts the output dtypes of every conv/linear layer under a module."""

    def __init__(self, module: nn.Module) -> None:
        self.dtypes = Counter()
        self.handles = [
            m.register_forward_hook(self._hook) for m in module.modules()
            if isinstance(m, (nn.Conv2d, nn.Linear))
        ]

    def _hook(self, module, args, output) -> None:
        self.dtypes[output.dtype] += 1

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


class _LiteMLAProbe:
    """Records (input dtype, output dtype) of every LiteMLA core call."""

    def __init__(self, monkeypatch) -> None:
        self.calls = []
        attention = LiteMLA.attention

        def recording(module, qkv):
            out = attention(module, qkv)
            self.calls.append((qkv.dtype, out.dtype))
            return out

        monkeypatch.setattr(LiteMLA, 'attention', recording)


def _train_amp(cfg, scope: str, device: str, monkeypatch):
    """Train ``cfg`` under ``--amp`` on ``device``: losses and weights stay
    finite and the backbone changes. Returns the runner and the dtypes of
    the backbone's conv/linear outputs."""
    cfg.optim_wrapper = amp_optim_wrapper(cfg.optim_wrapper, device, scope)
    init_default_scope(scope)
    runner = Runner.from_cfg(cfg)
    runner.model.to(device)
    before = flat_parameters(runner.model.backbone).cpu()
    probe = _DtypeProbe(runner.model.backbone)
    losses = []
    train_step = runner.model.train_step

    def recording_step(data, optim_wrapper):
        log_vars = train_step(data, optim_wrapper)
        losses.append(float(log_vars['loss'].detach()))
        return log_vars

    monkeypatch.setattr(runner.model, 'train_step', recording_step)
    runner.train()
    probe.remove()
    after = flat_parameters(runner.model.backbone).cpu()
    assert len(losses) == cfg.train_cfg.max_iters
    assert all(torch.isfinite(torch.tensor(losses))), losses
    assert torch.isfinite(after).all()
    assert not torch.equal(before, after), 'backbone weights did not change'
    return runner, probe.dtypes


# CPU: bf16 without loss scaling; CUDA: fp16 with a live loss scaler.
DEVICES = [
    pytest.param('cpu', torch.bfloat16, id='cpu-bf16'),
    pytest.param(
        'cuda',
        torch.float16,
        id='cuda-fp16',
        marks=pytest.mark.skipif(
            not torch.cuda.is_available(), reason='fp16 AMP needs CUDA')),
]


@pytest.mark.slow
@pytest.mark.parametrize('device,dtype', DEVICES)
@pytest.mark.parametrize('task', sorted(TASKS))
@pytest.mark.parametrize('case', CASES, ids=case_id)
def test_amp_training(case, task, device, dtype, toy_data, tmp_path,
                      monkeypatch):
    make_cfg, scope = TASKS[task]
    mla = _LiteMLAProbe(monkeypatch)
    cfg = make_cfg(toy_data, tmp_path, _backbone(case), size=64)
    runner, dtypes = _train_amp(cfg, scope, device, monkeypatch)
    wrapper = runner.optim_wrapper
    if device == 'cpu':
        assert isinstance(wrapper, BF16AmpOptimWrapper)
    else:
        assert isinstance(wrapper, AmpOptimWrapper)
        assert wrapper.cast_dtype == torch.float16
        assert wrapper.loss_scaler.is_enabled()
    # Autocast really was on: most backbone convs/linears ran in the low
    # precision (the position-bias MLPs stay float32 on purpose).
    assert dtypes[dtype] > dtypes[torch.float32], dtypes
    if case[0].name == 'EfficientViT':
        # The linear-attention core got low precision, computed in float32.
        assert mla.calls and set(mla.calls) == {(dtype, torch.float32)}


@pytest.mark.parametrize('case', CASES, ids=case_id)
def test_bf16_backbone_matches_float32(case):
    """Eval forward under bf16 autocast at an odd size (padded windows, -inf
    key masks) stays finite and within 3% of float32; FastViT also in its
    fused (BN-folded) form."""
    torch.manual_seed(0)
    model = case[0].cls(arch=copy.deepcopy(case[1].arch)).eval()
    x = torch.randn(2, 3, 65, 97)
    with torch.no_grad():
        reference = model(x)
        forms = [model]
        if hasattr(model, 'switch_to_deploy'):
            forms.append(copy.deepcopy(model))
            forms[-1].switch_to_deploy()
        for form in forms:
            with torch.autocast('cpu', dtype=torch.bfloat16):
                outputs = form(x)
            for out, ref in zip(outputs, reference):
                assert torch.isfinite(out).all()
                error = (out.float() - ref).norm() / ref.norm()
                assert error < 0.03, (type(form).__name__, float(error))


class _Net(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Linear(4, 4)
        self.head = nn.Linear(4, 1)

    def extract_feat(self, x):
        return (self.backbone(x), )

    def forward(self, x):
        return self.head(self.extract_feat(x)[0])


def test_bf16_wrapper_autocasts_only_named_methods():
    net = _Net()
    wrapper = BF16AmpOptimWrapper(
        autocast_methods=['extract_feat'],
        optimizer=torch.optim.SGD(net.parameters(), lr=0.1))
    probe = _DtypeProbe(net)
    with wrapper.optim_context(net):
        feats = net.extract_feat(torch.ones(2, 4))
        net(torch.ones(2, 4))
    assert feats[0].dtype == torch.float32  # cast back for the heads
    # backbone twice in bf16, head once in float32
    assert probe.dtypes == {torch.bfloat16: 2, torch.float32: 1}
    assert 'extract_feat' not in vars(net)  # the class method is back
    whole = BF16AmpOptimWrapper(
        optimizer=torch.optim.SGD(net.parameters(), lr=0.1))
    with whole.optim_context(net):
        assert net(torch.ones(2, 4)).dtype == torch.bfloat16
    bad = BF16AmpOptimWrapper(
        autocast_methods=['features'],
        optimizer=torch.optim.SGD(net.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="no such method.*extract_feat"):
        with bad.optim_context(net):
            pass


OPTIM = dict(
    optimizer=dict(type='AdamW', lr=1e-4),
    paramwise_cfg=dict(norm_decay_mult=0.),
    clip_grad=dict(max_norm=1.))


@pytest.mark.parametrize('device,scope,expected', [
    ('cpu', 'mmdet',
     dict(
         type='hvt_mm.BF16AmpOptimWrapper', autocast_methods=['extract_feat'
                                                              ])),
    ('cpu', 'mmseg', dict(type='hvt_mm.BF16AmpOptimWrapper')),
    ('cuda', 'mmdet',
     dict(type='AmpOptimWrapper', loss_scale='dynamic', dtype='float16')),
    ('cuda', 'mmseg',
     dict(type='AmpOptimWrapper', loss_scale='dynamic', dtype='float16')),
])
def test_amp_wrapper_per_device(device, scope, expected):
    assert amp_optim_wrapper(dict(OPTIM, type='OptimWrapper'), device,
                             scope) == dict(OPTIM, **expected)


def test_amp_wrapper_keeps_explicit_fp16_settings():
    cfg = dict(OPTIM, type='AmpOptimWrapper', loss_scale=512.)
    assert amp_optim_wrapper(cfg, 'cuda', 'mmdet')['loss_scale'] == 512.
    # the CPU has no fp16 scaler: those options are dropped
    assert amp_optim_wrapper(cfg, 'cpu', 'mmseg') == dict(
        OPTIM, type='hvt_mm.BF16AmpOptimWrapper')


@pytest.mark.slow
def test_train_tool_amp_flag(toy_data, tmp_path):
    """``tools/train.py CONFIG --amp`` end to end (UperNet, LightViT)."""
    train_tool = load_tool('tools/train.py')
    case = next(c for c in CASES if c[0].name == 'LightViT')
    config = tmp_path / 'toy_upernet.py'
    toy_seg_cfg(
        toy_data, tmp_path / 'run', _backbone(case),
        size=64).dump(str(config))
    assert train_tool.main([str(config), '--amp']) == 0
    state = load_checkpoint_file(str(tmp_path / 'run' / 'iter_2.pth'))
    assert 'hvt_mm.BF16AmpOptimWrapper' in state['meta']['cfg']
    weights = torch.cat(
        [v.float().flatten() for v in state['state_dict'].values()])
    assert torch.isfinite(weights).all()
