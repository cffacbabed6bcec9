"""Export a segmentor to ONNX and check it with onnxruntime.

    python tools/export_onnx.py CONFIG CHECKPOINT --shape 512 1024 \
        --out model.onnx [--dynamic] [--image demo.png]

The graph takes normalised images (the config's data_preprocessor mean/std,
RGB) and returns the decode head's logits. The check runs onnxruntime on a
random input and, with --image, on a real one, and prints the largest
absolute difference to PyTorch.
"""
import argparse

import torch

from mmseg_encnet.apis import EncNetInferencer
from mmseg_encnet.deploy import check_onnx, export_onnx


def load_image(model, path: str, shape):
    """Read, resize and normalise an image as the model's preprocessor does.
    """
    import cv2
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f'cannot read image: {path}')
    img = cv2.resize(img, (shape[1], shape[0]))
    inputs = torch.from_numpy(img).permute(2, 0, 1).float()
    data = model.data_preprocessor(dict(inputs=[inputs]), training=False)
    return data['inputs']


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument(
        '--shape', type=int, nargs=2, default=[512, 1024], metavar=('H', 'W'))
    parser.add_argument('--out', default='model.onnx')
    parser.add_argument(
        '--dynamic',
        action='store_true',
        help='dynamic batch, height and width')
    parser.add_argument('--image', help='a real image for the check')
    parser.add_argument('--opset', type=int, default=17)
    args = parser.parse_args()

    model = EncNetInferencer(args.config, args.checkpoint, device='cpu').model
    wrapper = export_onnx(model, args.shape, args.out, args.dynamic,
                          args.opset)
    print(f'exported {args.out}')
    torch.manual_seed(0)
    checks = {'random input': torch.randn(1, 3, *args.shape)}
    if args.image:
        checks[args.image] = load_image(model, args.image, args.shape)
    for (name,
         _), diff in zip(checks.items(),
                         check_onnx(args.out, wrapper, list(checks.values()))):
        print(f'onnxruntime vs PyTorch, {name}: max abs diff {diff:.2e}')


if __name__ == '__main__':
    main()
