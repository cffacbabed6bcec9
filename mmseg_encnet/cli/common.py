"""What the train and test commands share: arguments, finding a shipped
config by name and loading the config."""
import argparse
import glob
import os
import os.path as osp

from mmengine.config import Config, DictAction

# The configs this package ships: mmseg_encnet/.mim/configs (a link to the
# repository's configs/ in a clone, the files themselves in a wheel).
CONFIGS = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim', 'configs')


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """The arguments mmseg's tools share: work dir, options, launcher."""
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs '
        '(nested keys with dots, lists as key="[a,b]")')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank (--local_rank before 2.0)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def find_config(config: str) -> str:
    """``config`` if it is a file, else the shipped config of that name
    (``encnet_r50-d8_4xb2-40k_cityscapes-512x1024``, ``.py`` optional)."""
    if osp.isfile(config):
        return config
    name = osp.basename(config)
    name = name if name.endswith('.py') else f'{name}.py'
    found = sorted(glob.glob(osp.join(CONFIGS, '**', name), recursive=True))
    if len(found) != 1 or osp.dirname(config):
        raise FileNotFoundError(
            f'config file not found: {config} (neither a file nor the name '
            f'of one config shipped in {osp.realpath(CONFIGS)})')
    return found[0]


def load_config(args: argparse.Namespace) -> Config:
    """Read ``args.config`` (a file or a shipped config's name) and apply
    the command line on top of it.

    The work dir is, in this order: ``--work-dir``, ``work_dir`` of the
    config, ``./work_dirs/<config name>``.
    """
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = Config.fromfile(find_config(args.config))
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg
