"""Every tool that reads a config parses --cfg-options the same way
(hvt_mm.cli.launch.CfgOptionsAction): unparsable values end in one line."""
import pytest

from tests.tool_loader import load_tool

UNPARSABLE = ['--cfg-options', 'model.backbone=dict(type=1,depth=2)']
TOOLS = {
    'train.py': ['c.py'],
    'test.py': ['c.py', 'ckpt.pth'],
    'analysis_tools/benchmark_segmentor.py': ['c.py'],
    'analysis_tools/get_flops.py': ['c.py'],
    'model_converters/reparameterize.py': ['c.py', 'ckpt.pth', 'out.pth'],
}


def _load_tool(path: str):
    return load_tool(f'tools/{path}')


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
