"""Convert a PyTorch-Encoding EncNet checkpoint to an mmseg_encnet one.

    python tools/convert_pytorch_encoding.py SRC.pth DST.pth

The last line printed is ``config: PATH``, the shipped config that builds
the authors' model for this checkpoint (ResNet-50s/101s, lateral fusion or
not, Pascal Context 59 or ADE20K): ``tools/test.py PATH DST.pth``. Unknown
keys stop the conversion.
"""
import argparse
import os
import os.path as osp

from mmseg_encnet import checkpoint as safe_checkpoint
from mmseg_encnet.converters import (config_for, convert_pytorch_encoding,
                                     describe)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='PyTorch-Encoding checkpoint')
    parser.add_argument('dst', help='where to write the converted one')
    args = parser.parse_args()
    if not osp.isfile(args.src):
        raise SystemExit(f'checkpoint not found: {args.src}')
    checkpoint = safe_checkpoint.load(args.src, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint)
    try:
        holds = describe(state_dict)
        config = config_for(holds)
    except ValueError as error:
        raise SystemExit(f'{args.src}: {error}') from None
    converted = convert_pytorch_encoding(state_dict)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    try:  # whole or not at all, also when killed
        safe_checkpoint.save(
            dict(
                state_dict=converted,
                meta=dict(converted_from=osp.basename(args.src))), args.dst)
    except safe_checkpoint.CheckpointWriteError as error:
        raise SystemExit(f'error: {error}') from None
    print(f'converted {len(converted)} tensors to {args.dst}')
    print(f'checkpoint holds: {holds}')
    print(f'config: {config}')


if __name__ == '__main__':
    main()
