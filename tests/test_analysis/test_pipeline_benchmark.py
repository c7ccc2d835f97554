"""hvt_mm.analysis.pipeline_benchmark: scaling exponents and the table."""
import pytest

from hvt_mm.analysis.pipeline_benchmark import (add_exponents,
                                                scaling_exponent,
                                                segmentor_table)


@pytest.mark.parametrize(
    'pixels, seconds, expected',
    [
        ((64 * 64, 128 * 128), (0.01, 0.04), 1.0),  # 4x pixels, 4x time
        ((100, 400), (1.0, 2.0), 0.5),
        ((1000, 2000), (0.5, 2.0), 2.0),  # quadratic, e.g. global attention
        ((400, 100), (2.0, 1.0), 0.5),  # order of the points does not matter
        ((100, 1000), (3.0, 3.0), 0.0),  # constant time
    ])
def test_scaling_exponent(pixels, seconds, expected):
    assert scaling_exponent(pixels, seconds) == pytest.approx(
        expected, rel=1e-12, abs=1e-12)


def test_scaling_exponent_degenerate():
    assert scaling_exponent((4096, 4096), (1.0, 2.0)) is None
    with pytest.raises(ValueError, match='must be positive'):
        scaling_exponent((0, 4096), (1.0, 2.0))
    with pytest.raises(ValueError, match='must be positive'):
        scaling_exponent((1024, 4096), (1.0, 0.0))


def _record(height, width, img_s, error=None):
    return dict(
        config='net',
        height=height,
        width=width,
        batch=1,
        img_s=img_s,
        ms_per_img=None if img_s is None else 1000 / img_s,
        error=error)


def test_add_exponents_against_smallest_size():
    # Listed largest first; the failed size is skipped.
    records = [
        _record(128, 256, 10.0),
        _record(64, 64, 320.0),
        _record(512, 512, None, error='OutOfMemoryError: x'),
        _record(64, 128, 80.0)
    ]
    summary = add_exponents(records)
    # 128x256 has 8x the pixels of 64x64 and takes 32x the time.
    assert summary == dict(
        config='net',
        smallest='64x64',
        largest='128x256',
        exponent=pytest.approx(5 / 3, rel=1e-12))
    assert records[1]['exponent_vs_smallest'] is None
    assert records[3]['exponent_vs_smallest'] == pytest.approx(
        2.0, rel=1e-12)  # 2x pixels, 4x time
    assert 'exponent_vs_smallest' not in records[2]
    table = segmentor_table(records).splitlines()
    assert len(table) == 2 + 4
    assert '| net | 128x256 | 1 | 10.00 | 100.00 | 1.667 | - | - |  |' \
        == table[2]
    assert table[4].endswith('| OutOfMemoryError: x |')


def test_add_exponents_needs_two_pixel_counts():
    records = [_record(64, 128, 10.0), _record(128, 64, 12.0)]
    assert add_exponents(records) is None
    assert add_exponents([_record(64, 64, None, error='x')]) is None
