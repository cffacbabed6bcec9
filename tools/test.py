"""Test (and evaluate) a segmentor; see ``python tools/test.py --help``."""
from mmseg_encnet.cli.test import main

if __name__ == '__main__':
    main()
