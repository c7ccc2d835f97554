"""tools/deployment/pytorch2onnx.py and hvt_mm.deployment.onnx_export:
exported files run in onnxruntime and match PyTorch (max relative error
<= 1e-4) at two input sizes: one file with dynamic height/width where the
family allows it, one file per size where it does not."""
from pathlib import Path

import pytest
import torch

from hvt_mm.deployment.onnx_export import (build_export_target, export_module,
                                           export_onnx, max_relative_errors)
from hvt_mm.models.backbones.efficientvit import LiteMLA
from hvt_mm.utils.errors import UsageError
from tests.backbone_families import CASES, case_id
from tests.test_models.test_backbones.test_conformance import randomise
from tests.tool_loader import load_tool

# hvt_mm.deployment imports neither; exporting and running files needs all.
for _name in ('onnx', 'onnxruntime', 'onnxscript'):
    pytest.importorskip(
        _name,
        reason=f'{_name} is missing: ONNX export tests need the [export] '
        'extra (pip install -e ".[export]")')

pytestmark = pytest.mark.usefixtures('single_thread')
ROOT = Path(__file__).parents[2]
tool = load_tool('tools/deployment/pytorch2onnx.py')

# The tiny L-series case also covers B's blocks except DSConv; one
# EfficientViT backbone is enough next to the segmentor (B0) below.
EXPORT_CASES = [(f, c) for f, c in CASES
                if case_id((f, c)) != 'EfficientViT-b0']
SIZES = [(64, 96), (97, 65)]


def _config(tmp_path: Path, family, case) -> str:
    path = tmp_path / 'backbone.py'
    path.write_text(f"model = dict(type='hvt_mm.{family.name}', "
                    f'arch={case.arch!r})\n')
    return str(path)


def _target(tmp_path, family, case):
    torch.manual_seed(0)
    trained = randomise(family.cls(arch=case.arch))
    checkpoint = tmp_path / 'trained.pth'
    torch.save({'state_dict': trained.state_dict()}, checkpoint)
    return build_export_target(
        _config(tmp_path, family, case), str(checkpoint))


@pytest.mark.slow
@pytest.mark.parametrize(
    'family,case', EXPORT_CASES, ids=map(case_id, EXPORT_CASES))
def test_backbone_matches_onnxruntime_at_two_sizes(family, case, tmp_path):
    target = _target(tmp_path, family, case)
    assert target.backbone.deploy and target.kind == 'backbone'
    errors = []
    if family.cls.static_export_reason is None:
        out = str(tmp_path / 'dynamic.onnx')
        export_onnx(target, SIZES[0], out, dynamic=True)
        errors = max_relative_errors(target, out, SIZES)
    else:  # one file per size
        for size in SIZES:
            out = str(tmp_path / f'{size[0]}x{size[1]}.onnx')
            export_onnx(target, size, out)
            errors += max_relative_errors(target, out, [size])
    assert len(errors) == 2 and max(errors) <= 1e-4, errors


@pytest.mark.parametrize('name', ['FasterViT', 'LightViT'])
def test_dynamic_export_is_refused_with_the_reason(name, tmp_path, capsys):
    family, case = next((f, c) for f, c in CASES if f.name == name)
    config = _config(tmp_path, family, case)
    out = tmp_path / 'model.onnx'
    assert tool.main(
        [config, '--shape', '64', '64', '--dynamic', '--out',
         str(out)]) == 2
    err = capsys.readouterr().err
    assert f'{name} cannot be exported with dynamic height/width' in err
    assert 'in Python from the input size' in err and 'omit --dynamic' in err
    assert not out.exists()
    with pytest.raises(UsageError, match='without an hvt_mm backbone'):
        conv = tmp_path / 'conv.py'
        conv.write_text("model = dict(type='Conv2d', in_channels=3, "
                        'out_channels=4, kernel_size=1)\n')
        build_export_target(str(conv))


def test_linear_attention_epsilon_survives_export(tmp_path):
    """All-zero queries/keys give 0 / (0 + eps) = 0; an exporter that drops
    `+ 1e-15` as a no-op (onnxscript's optimiser does) gives NaN."""
    import onnxruntime
    attention = LiteMLA(16, 16, head_dim=8).eval()
    out = str(tmp_path / 'lite_mla.onnx')
    export_module(attention, torch.zeros(1, 16, 8, 8), out, ['output'])
    session = onnxruntime.InferenceSession(out)
    got = session.run(None, {'input': torch.zeros(1, 16, 8, 8).numpy()})[0]
    with torch.no_grad():
        expected = attention(torch.zeros(1, 16, 8, 8))
    assert torch.isfinite(torch.from_numpy(got)).all()
    torch.testing.assert_close(torch.from_numpy(got), expected)


@pytest.mark.slow
def test_efficientvit_segmentor_cli_dynamic(tmp_path, capsys):
    """The mmseg config with EfficientViTHead exports the whole segmentor
    (logits, tensor mode) with dynamic height/width; --verify checks it at
    two sizes in onnxruntime."""
    config = str(ROOT / 'configs' / 'efficientvit_seg_b0_cityscapes.py')
    out = tmp_path / 'seg.onnx'
    assert tool.main([
        config, '--shape', '64', '96', '--dynamic', '--out',
        str(out), '--verify'
    ]) == 0
    printed = capsys.readouterr().out
    assert 'segmentor EfficientViT (inference form)' in printed
    assert 'dynamic H, W, outputs logits' in printed
    errors = [
        float(line.rsplit(' ', 1)[1]) for line in printed.splitlines()
        if 'max relative error' in line
    ]
    assert len(errors) == 2 and max(errors) <= 1e-4, printed
    import onnx
    graph = onnx.load(str(out)).graph
    dims = graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims[:2]] == [1, 3]
    assert dims[2].dim_param and dims[3].dim_param  # symbolic H, W
    assert [o.name for o in graph.output] == ['logits']
