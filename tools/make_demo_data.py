"""Write the synthetic street-scene demo dataset (Cityscapes layout).

    python tools/make_demo_data.py                     # -> data/demo_street
    python tools/make_demo_data.py --preview docs/demo_samples.png
"""
import argparse
import os.path as osp

from mmseg_encnet.datasets.demo_street import make_demo_data, save_preview


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--out', default='data/demo_street', help='dataset root to write')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--force', action='store_true', help='rewrite an existing dataset')
    parser.add_argument(
        '--preview', help='also save a PNG of a few scenes and their labels')
    args = parser.parse_args()
    if osp.isdir(args.out) and not args.force:
        print(f'{args.out} exists; --force rewrites it')
    else:
        make_demo_data(args.out, seed=args.seed, overwrite=args.force)
        print(f'wrote {args.out}')
    if args.preview:
        save_preview(args.preview, seed=args.seed)
        print(f'wrote {args.preview}')


if __name__ == '__main__':
    main()
