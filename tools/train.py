"""Train a segmentor; see ``python tools/train.py --help``."""
from mmseg_encnet.cli.train import main

if __name__ == '__main__':
    main()
