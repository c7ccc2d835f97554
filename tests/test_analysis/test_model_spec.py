"""hvt_mm.analysis.model_spec: ``Type:arch:key=value`` strings."""
import pytest

from hvt_mm.analysis.model_spec import build_from_spec, parse_model_spec
from tests.dummy_bench_net import dummy_registered


def test_parse_model_spec():
    assert parse_model_spec('FastViT:sa12:deploy=True') == dict(
        type='FastViT', arch='sa12', deploy=True)
    assert parse_model_spec('FasterViT:0:with_cp=True,out_indices=(1, 2),'
                            'act=gelu') == dict(
                                type='FasterViT',
                                arch='0',
                                with_cp=True,
                                out_indices=(1, 2),
                                act='gelu')
    assert parse_model_spec('LightViT') == dict(type='LightViT')
    with pytest.raises(ValueError, match='use key=value'):
        parse_model_spec('FastViT:sa12:deploy')


def test_build_from_spec():
    with dummy_registered():
        model = build_from_spec('DummyBenchNet:m:deploy=True')
        assert model.deploy is True and model.conv1.out_channels == 8
        with pytest.raises(KeyError, match="Unknown model type 'NoSuchNet'"):
            build_from_spec('NoSuchNet:0')
