"""Measure every config of the model zoo and write docs/model_zoo.md.

Reads ``configs/metafile.yml`` (one entry per config: method, dataset and
the paper's number with its source) and, for each config, builds the model
without weights on the CPU and records

* the parameters of the whole model;
* its MACs ("FLOPs", mmengine's convention, attention included) for one
  image at the dataset's input size, as ``get_flops.py`` counts them
  (data preprocessor and NMS excluded);
* the backbone's eval-mode throughput (img/s, batch 1) at that size,
  skipped when the FLOP count's trace predicts it would take longer than
  ``--time-budget`` seconds.

Measurements are stored in ``docs/model_zoo.json`` (written after every
config, so an interrupted run keeps what it measured); the markdown is
rendered from that file and the metafile, so paper numbers can be edited
and re-rendered without measuring again.

Examples:
    python tools/analysis_tools/model_zoo.py               # everything
    python tools/analysis_tools/model_zoo.py --only mask_rcnn_fastervit_0_coco
    python tools/analysis_tools/model_zoo.py --render-only
"""
import argparse
import datetime
import json
import os
import os.path as osp
import sys
import time
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
METAFILE = osp.join(ROOT, 'configs', 'metafile.yml')
TIMED_SECONDS = 5.0  # per backbone and input size, after the warm-up
SECTIONS = [  # (dataset, method) in the order of the document
    ('COCO', 'Mask R-CNN 1x'),
    ('COCO', 'Mask R-CNN + LightViTFPN 1x'),
    ('COCO', 'Mask R-CNN + LightViTFPN 3x ms'),
    ('COCO', 'DINO-4scale 12e'),
    ('COCO', 'Cascade Mask R-CNN 3x ms'),
    ('ADE20K', 'UperNet'),
    ('ADE20K', 'Semantic FPN'),
    ('ADE20K', 'EfficientViT head'),
    ('Cityscapes', 'UperNet'),
    ('Cityscapes', 'EfficientViT head'),
    ('Toy COCO', 'Mask R-CNN, README demo'),
]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Measure the model zoo and write docs/model_zoo.md.')
    parser.add_argument('--metafile', default=METAFILE)
    parser.add_argument(
        '--json',
        default=osp.join(ROOT, 'docs', 'model_zoo.json'),
        help='measurements (read, updated, written)')
    parser.add_argument(
        '--out', default=osp.join(ROOT, 'docs', 'model_zoo.md'))
    parser.add_argument(
        '--only', nargs='+', help='measure only these config names')
    parser.add_argument(
        '--render-only',
        action='store_true',
        help='write the markdown from --json without measuring')
    parser.add_argument(
        '--time-budget',
        type=float,
        default=60.0,
        help='skip the img/s of a backbone whose timing would take longer '
        '(seconds, predicted from the FLOP count trace)')
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='torch CPU threads (default 1: on a shared machine more threads '
        'spin against other jobs and give erratic numbers)')
    return parser.parse_args(argv)


def load_metafile(path: str) -> Dict:
    import yaml
    with open(path, encoding='utf-8') as f:
        meta = yaml.safe_load(f)
    names = [m['Name'] for m in meta['Models']]
    if len(set(names)) != len(names):
        raise ValueError(f'{path}: duplicate model names')
    return meta


def load_measurements(path: str) -> Dict:
    if not osp.isfile(path):
        return dict(environment={}, models={})
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def save_measurements(path: str, data: Dict) -> None:
    with open(path + '.tmp', 'w', encoding='utf-8') as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write('\n')
    os.replace(path + '.tmp', path)


def backbone_name(backbone_cfg: Dict) -> str:
    family = backbone_cfg['type'].rpartition('.')[2]
    return f"{family}-{str(backbone_cfg['arch']).upper()}"


def time_backbone(backbone, shape, budget: float) -> Dict:
    """Eval-mode img/s of ``backbone`` on one (1, 3, H, W) image: the
    median of single-image forwards after one warm-up, as many as fit in
    about ``TIMED_SECONDS`` (2 to 10)."""
    import torch

    from hvt_mm.analysis.backbone_benchmark import make_step
    from hvt_mm.engine.timing import median_throughput, time_runs
    step = make_step(backbone, torch.randn(1, 3, *shape), 'eval')
    cpu = torch.device('cpu')
    # The warm-up's time sets the number of runs, so it is timed too.
    warmup, = time_runs(step, cpu, iters=1, repeats=1)
    runs = max(2, min(10, int(TIMED_SECONDS / warmup)))
    if warmup * (1 + runs) > budget:
        return dict(skipped=f'one forward took {warmup:.0f} s')
    seconds = time_runs(step, cpu, iters=1, repeats=runs)
    return dict(img_s=median_throughput(seconds, 1, 1)[0], runs=runs)


def count_macs(model, shape) -> Tuple[int, int]:
    """Whole-model and backbone MACs of one image, as inference runs.

    Detectors: mmdet's 'tensor' forward (what FLOP counters trace) runs
    Cascade Mask R-CNN's three mask heads on every proposal, while inference
    runs them on the final detections only. So the trace runs with as many
    proposals as detections (``test_cfg.rcnn.max_per_img``, 100) and the box
    heads' MACs per RoI are added for the other proposals
    (``test_cfg.rpn.max_per_img``, 1000): box heads on 1000 RoIs, mask heads
    on 100, for Mask R-CNN and Cascade alike.
    """
    import torch

    from hvt_mm.analysis.flops import count_flops, count_model_flops
    rpn_cfg = getattr(getattr(model, 'rpn_head', None), 'test_cfg', None)
    if rpn_cfg is None:
        report = count_model_flops(model, tuple(shape))
        return report.flops, report.by_module.get('backbone', 0)
    proposals = rpn_cfg.max_per_img
    detections = model.roi_head.test_cfg.max_per_img
    rpn_cfg.max_per_img = detections
    try:
        report = count_model_flops(model, tuple(shape))
    finally:
        rpn_cfg.max_per_img = proposals
    heads = model.roi_head.bbox_head
    heads = heads if isinstance(heads, torch.nn.ModuleList) else [heads]
    roi = torch.randn(1, heads[0].in_channels, *heads[0].roi_feat_size)
    per_roi = sum(count_flops(head, (roi, )).flops for head in heads)
    total = report.flops + per_roi * max(0, proposals - detections)
    return total, report.by_module.get('backbone', 0)


def measure(entry: Dict, shape: List[int], args: argparse.Namespace,
            timings: Dict) -> Dict:
    """Params, MACs and backbone img/s of one metafile entry."""
    import copy

    from mmengine.registry import init_default_scope

    from hvt_mm.analysis.model_builder import build_model_from_config
    from hvt_mm.cli.launch import load_config
    cfg = load_config(osp.join(ROOT, entry['Config']))
    backbone_cfg = copy.deepcopy(cfg.model.backbone.to_dict())
    backbone_cfg.pop('init_cfg', None)
    model, scope = build_model_from_config(cfg)
    init_default_scope(scope)
    start = time.perf_counter()
    macs, backbone_macs = count_macs(model, shape)
    trace_s = time.perf_counter() - start
    record = dict(
        input=list(shape),
        params=sum(p.numel() for p in model.parameters()),
        macs=macs,
        backbone=backbone_name(backbone_cfg),
        backbone_params=sum(p.numel() for p in model.backbone.parameters()),
        backbone_macs=backbone_macs,
        weights=(cfg.model.backbone.get('init_cfg') or {}).get('checkpoint'))
    key = json.dumps([backbone_cfg, shape], sort_keys=True)
    if key not in timings:
        # The trace ran the whole model once: the backbone's share of it
        # predicts one forward (an overestimate: tracing is slower); the
        # timing needs a warm-up and at least two more.
        predicted = trace_s * backbone_macs / max(macs, 1)
        if 3 * predicted > args.time_budget:
            timings[key] = dict(
                skipped=f'one forward predicted to take {predicted:.0f} s')
        else:
            timings[key] = time_backbone(model.backbone, shape,
                                         args.time_budget)
    record.update(timings[key])
    return record


def measure_all(meta: Dict, data: Dict, args: argparse.Namespace) -> None:
    import torch

    from hvt_mm.analysis.report import environment
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    names = set(args.only or [m['Name'] for m in meta['Models']])
    unknown = names - {m['Name'] for m in meta['Models']}
    if unknown:
        raise SystemExit(f'not in {args.metafile}: {sorted(unknown)}')
    timings: Dict = {}
    for entry in meta['Models']:
        if entry['Name'] not in names:
            continue
        shape = meta['Input sizes'][entry['Dataset']]
        start = time.perf_counter()
        record = measure(entry, shape, args, timings)
        record['measured'] = datetime.date.today().isoformat()
        data['models'][entry['Name']] = record
        data['environment'] = dict(environment(), time_budget=args.time_budget)
        save_measurements(args.json, data)
        speed = record.get('img_s') or record.get('skipped')
        print(
            f"{entry['Name']}: {record['macs'] / 1e9:.1f} GFLOPs, backbone "
            f'{speed} img/s ({time.perf_counter() - start:.0f} s)',
            flush=True)


def _giga(value: Optional[float]) -> str:
    return '-' if value is None else f'{value / 1e9:.1f}'


def _paper(entry: Dict) -> str:
    paper = entry.get('Paper')
    if not paper:
        return 'none'
    text = ' / '.join(f'{k} {v}' for k, v in paper['Metrics'].items())
    return text if paper['Verified'] else f'{text} (UNVERIFIED)'


def _reproduces(entry: Dict) -> str:
    checkpoint = entry.get('Checkpoint')
    text = entry['Reproduces']
    return f'[{text}]({checkpoint})' if checkpoint else text


def _weights(url: Optional[str]) -> str:
    return '-' if not url else f'[{url.rsplit("/", 1)[1]}]({url})'


def render(meta: Dict, data: Dict) -> str:
    from hvt_mm.analysis.report import markdown_grid
    measured = data['models']
    columns = [('config', 'l'), ('backbone', 'l'), ('params (M)', 'r'),
               ('GFLOPs', 'r'), ('backbone img/s (CPU)', 'r'), ('paper', 'l'),
               ('source of the paper number', 'l'), ('reproduces', 'l'),
               ('differences from the original recipe', 'l'),
               ('ImageNet weights', 'l')]
    groups: Dict = OrderedDict((s, []) for s in SECTIONS)
    for entry in meta['Models']:
        groups.setdefault((entry['Dataset'], entry['Method']),
                          []).append(entry)
    env = data.get('environment', {})
    count = env.get('threads', '?')
    threads = f'{count} CPU thread' + ('' if count == 1 else 's')
    lines = [
        '# Model zoo', '',
        'Generated by `python tools/analysis_tools/model_zoo.py` from '
        '[configs/metafile.yml](../configs/metafile.yml) (configs, paper '
        'numbers and their sources) and the measurements in '
        '[model_zoo.json](model_zoo.json); do not edit by hand.', '',
        '* **params**: the whole model. **GFLOPs**: multiply-accumulates '
        '(mmengine/fvcore convention, attention included) of one image at '
        'the input size of the section, as '
        '`tools/analysis_tools/get_flops.py` counts them: the whole network '
        'without data preprocessing and NMS; for detectors the box heads '
        'on 1000 proposals and the mask heads on 100 detections '
        '(`test_cfg`), Mask R-CNN and Cascade alike.',
        '* **backbone img/s**: the backbone alone, eval mode, batch 1, at '
        f'that input size, median of 2-10 runs on {threads} '
        f'({env.get("cpu", "?")}, torch {env.get("torch", "?")}), '
        'measured on a machine shared with other jobs: indicative only. '
        f'"skipped": timing (a warm-up and at least two runs) would take '
        f'more than {env.get("time_budget", 0):.0f} s.',
        '* **paper**: the number the paper reports for the same setting '
        '(COCO box / mask AP, mIoU); "none" if it reports none. UNVERIFIED '
        'numbers come from secondary sources and were not checked against '
        'the paper.',
        '* **reproduces**: "published checkpoint": the config loads the '
        'original authors\' released weights of this setting as they are and '
        'runs them as they do (linked where released for the whole model); '
        '"published recipe": the authors\' released training recipe, no '
        'released weights; "paper\'s setting, details ours": the paper '
        'reports this setting but its code was not released; "ours": no '
        'original counterpart. '
        '**differences from the original recipe**: where the config departs '
        'from the authors\' downstream recipe and why (also in each config\'s '
        'header).',
        '* **ImageNet weights**: the official release the backbone starts '
        'from; downloaded on first use (see below).', '',
        '## Getting the weights', '',
        'Every config names the official ImageNet checkpoint of its '
        'backbone by URL (`model.backbone.init_cfg.checkpoint`). '
        '`tools/train.py CONFIG` downloads it into '
        '`$TORCH_HOME/hub/checkpoints` on first use, reads it weights-only '
        'and converts the official layout on load. Offline, download the '
        'file elsewhere and pass it:', '', '```bash',
        'python tools/train.py CONFIG --cfg-options '
        'model.backbone.init_cfg.checkpoint=/path/to/file', '```', '',
        'No detector or segmentor weights trained with these configs are '
        'released here. The original authors\' downstream weights run as '
        'published: the LightViT Mask R-CNN files (Google Drive, linked '
        'below) with `tools/test.py CONFIG FILE` on the `*_lvfpn_*` configs, '
        'the EfficientViT segmentation files and the FasterViT DINO '
        'detector after `tools/model_converters/convert_checkpoint.py` (see '
        'each config).', ''
    ]
    for (dataset, method), entries in groups.items():
        if not entries:
            continue
        shape = meta['Input sizes'][dataset]
        lines += [f'## {dataset}: {method} (input {shape[0]}x{shape[1]})', '']
        rows = []
        for entry in entries:
            m = measured.get(entry['Name'], {})
            speed = m.get('img_s')
            speed = f'{speed:.3g}' if speed else (
                'skipped' if m.get('skipped') else '-')
            source = (entry.get('Paper') or {}).get('Source', '')
            rows.append([
                f"[{entry['Name']}](../{entry['Config']})",
                m.get('backbone', '-'),
                '-' if 'params' not in m else f"{m['params'] / 1e6:.1f}",
                _giga(m.get('macs')), speed,
                _paper(entry), source,
                _reproduces(entry), entry['Recipe'],
                _weights(m.get('weights'))
            ])
        lines += [markdown_grid(columns, rows), '']
    missing = [m['Name'] for m in meta['Models'] if m['Name'] not in measured]
    if missing:
        lines += [f'Not measured yet: {", ".join(missing)}.', '']
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    meta = load_metafile(args.metafile)
    data = load_measurements(args.json)
    if not args.render_only:
        measure_all(meta, data, args)
    with open(args.out, 'w', encoding='utf-8') as f:
        f.write(render(meta, data))
    print(f'written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
