"""Every tool that reads a config parses --cfg-options the same way
(hvt_mm.utils.launch.CfgOptionsAction): unparsable values end in one line."""
import importlib.util
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
UNPARSABLE = ['--cfg-options', 'model.backbone=dict(type=1,depth=2)']
TOOLS = {
    'train.py': ['c.py'],
    'test.py': ['c.py', 'ckpt.pth'],
    'analysis_tools/benchmark_segmentor.py': ['c.py'],
    'analysis_tools/get_flops.py': ['c.py'],
    'model_converters/reparameterize.py': ['c.py', 'ckpt.pth', 'out.pth'],
}


def _load_tool(path: str):
    spec = importlib.util.spec_from_file_location(
        'hvt_tool_' + path.replace('/', '_')[:-3],
        osp.join(ROOT, 'tools', path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('path', sorted(TOOLS))
def test_unparsable_cfg_options_is_one_line(path, capsys):
    tool = _load_tool(path)
    with pytest.raises(SystemExit) as info:
        tool.parse_args(TOOLS[path] + UNPARSABLE)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith('error: bad --cfg-options ')


@pytest.mark.parametrize('path', sorted(TOOLS))
def test_cfg_options_become_a_dict(path):
    args = _load_tool(path).parse_args(TOOLS[path] +
                                       ['--cfg-options', 'a.b=1', 'c=[1,2]'])
    assert args.cfg_options == {'a.b': 1, 'c': [1, 2]}
