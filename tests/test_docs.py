"""The docs cannot rot: README.md, docs/*.md and the other READMEs.

Every relative link and repository path they name exists, every config they
name builds (a ``_base_`` runtime without a model loads), every
``tools/``/``benchmarks/`` command they show names a script that exists and
accepts the flags shown (its ``--help`` lists them),
every results table they quote from a record is what the renderer makes
of that record, and every ratio or two-decimal figure they quote is a cell
of such a table.
"""
import functools
import glob
import os.path as osp
import re
import subprocess
import sys
import tempfile

import pytest
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmseg.registry import MODELS

from helpers import ROOT  # noqa: E402

sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
import _quote  # noqa: E402

import run_all  # noqa: E402

DOCS = _quote.documents(ROOT)
IDS = [osp.relpath(d, ROOT) for d in DOCS]
# repository paths in backquotes: a top-level folder of ours, then a path
PATH = re.compile(r'`((?:tools|benchmarks|configs|docs|mmseg_encnet|tests)'
                  r'/[\w./-]*)`')
COMMAND = re.compile(r'(?:^|\s)(?:\.venv/bin/)?(python|bash)\s+'
                     r'((?:tools|benchmarks)/[\w/.-]+\.(?:py|sh))([^#\n]*)')


def read(doc: str) -> str:
    with open(doc) as f:
        return f.read()


def broken_links(doc: str) -> list:
    """Relative links of ``doc`` whose target does not exist."""
    targets = re.findall(r'\]\(([^)\s]+)\)', read(doc))
    return [
        t for t in targets if not re.match(r'[a-z]+://', t)
        and not osp.exists(osp.join(osp.dirname(doc),
                                    t.split('#')[0]))
    ]


@pytest.mark.parametrize('doc', DOCS, ids=IDS)
def test_links_and_paths_exist(doc):
    assert broken_links(doc) == []
    missing = [
        p for p in PATH.findall(read(doc))
        if not osp.exists(osp.join(ROOT, p.rstrip('/')))
    ]
    assert missing == []


def test_a_broken_link_is_found(tmp_path):
    doc = tmp_path / 'doc.md'
    doc.write_text('[there](doc.md) [gone](missing/page.md) '
                   '[web](https://example.org/x)')
    assert broken_links(str(doc)) == ['missing/page.md']


def named_configs() -> list:
    found = set()
    for doc in DOCS:
        found.update(re.findall(r'configs/[\w/.-]+?\.py', read(doc)))
    return sorted(found)


@pytest.mark.parametrize('config', named_configs())
def test_named_configs_build(config):
    cfg = Config.fromfile(osp.join(ROOT, config))
    if config.endswith('_base_/models/se34_head.py'):  # sized by a config
        head = MODELS.build(
            dict(
                cfg.se34_head,
                in_channels=[16],
                channels=8,
                num_codes=4,
                num_classes=3))
        assert head.use_se_loss and head.in_index == [2]
        return
    if '_base_/' in config and 'model' not in cfg:  # a runtime delta
        assert cfg.custom_imports.imports == ['mmseg_encnet']
        return
    cfg.model.pretrained = None
    revert_sync_batchnorm(MODELS.build(cfg.model))


def commands() -> dict:
    """{script: flags shown} over every doc's code."""
    found = {}
    for doc in DOCS:
        for _, script, rest in COMMAND.findall(read(doc)):
            flags = re.findall(r'(?<![\w-])(--[a-z][\w-]*)', rest)
            found.setdefault(script, set()).update(flags)
    return found


def test_the_docs_show_commands():
    assert {'tools/train.py', 'tools/slurm_train.sh',
            'benchmarks/run_all.py'} <= set(commands())


@pytest.mark.slow
@pytest.mark.parametrize('script,flags', sorted(commands().items()))
def test_commands_name_scripts_that_accept_their_flags(script, flags):
    path = osp.join(ROOT, script)
    assert osp.isfile(path)
    if script.endswith('.sh'):
        return
    result = subprocess.run([sys.executable, path, '--help'],
                            capture_output=True,
                            text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    unknown = [
        f for f in flags if not re.search(rf'{f}(?![\w-])', result.stdout)
    ]
    assert unknown == []


@functools.lru_cache()
def rendered() -> str:
    """What ``run_all.py --render`` makes of the committed records."""
    return run_all.render(
        osp.join(ROOT, 'benchmarks', 'results'), out_dir=tempfile.mkdtemp())


@pytest.mark.parametrize('doc', DOCS, ids=IDS)
def test_quoted_result_tables_are_the_rendered_ones(doc):
    """Each table quoted with its when-and-where is a rendered table as it
    is now (``run_all.py --render --requote`` makes it so)."""
    tables = _quote.tables(rendered())
    for quoted in _quote.tables(read(doc)):
        assert _quote.counterpart(quoted, tables) == quoted, \
            f'{quoted[0]} is not what the record renders'


def test_a_stale_quoted_table_is_found():
    """Of two tables with one caption the one naming the same rows is the
    counterpart, so an older copy of it is found stale."""
    amp = [
        'step (2026-12-03, cpu)', '| v | s |', '| --- | ---: |',
        '| ours | 11.74 |', '| ours:amp | 6.55 |'
    ]
    compiled = [
        'step (2026-11-30, cpu)', '| v | s |', '| --- | ---: |',
        '| ours | 12.44 |', '| ours:compile | 11.54 |'
    ]
    old = amp[:3] + ['| ours | 11.54 |', '| ours:amp | 6.26 |']
    old[0] = 'step, 2 rounds (2026-11-28, cpu)'
    assert _quote.counterpart(old, [compiled, amp]) == amp
    assert _quote.tables('\n'.join(old) + '\n\ntext') == [old]


# A ratio in prose: 1.22x, **2.13x**, 60.89× (not a size such as 128×256)
RATIO = re.compile(r'(?<![\w.×])(\d+\.\d+|\d+)(?:x|×)(?![\w×])')


def without_code(text: str) -> str:
    """``text`` without code blocks and inline code."""
    return re.sub(r'```.*?```|`[^`\n]*`', '', text, flags=re.S)


def prose(text: str) -> str:
    """``text`` without code, table rows and table captions."""
    text = without_code(text)
    blocks = [b for b in text.split('\n\n') if '\n| ' not in b]
    return '\n'.join(line for b in blocks for line in b.splitlines()
                     if not line.startswith('|'))


def unbacked_ratios(text: str, rendered: str) -> list:
    """Ratios in the prose of ``text`` that are not a rendered table's cell
    to two significant figures (as ``f'{cell:.2g}'`` prints it): prose
    claims no more precision than a noisy 2-core machine gives; the tables
    keep the medians and the rounds' range."""
    cells = {
        f'{float(c):.2g}'
        for c in re.findall(r'(?<![\w.])(\d+\.\d+)x(?!\w)', rendered)
    }
    return [r for r in RATIO.findall(prose(text)) if r not in cells]


@pytest.mark.parametrize('doc', DOCS, ids=IDS)
def test_ratios_in_prose_are_in_rendered_tables(doc):
    """A measured ratio in a sentence is a cell of a table that run_all.py
    renders from the records, to two significant figures."""
    assert unbacked_ratios(read(doc), rendered()) == []


def test_a_wrong_ratio_in_prose_is_found():
    rendered = '| ours | 1.00x |\n| mmseg | 1.22x | 57.38x |'
    text = ('It is 1.2x and 57× faster, 128×256 images, N×HW×K×C.\n\n'
            'caption\n| a | 9.99x |\n\nBut 1.22x (too precise), **2.13x** '
            'and 61× are not.')
    assert unbacked_ratios(text, rendered) == ['1.22', '2.13', '61']


# A measured figure to two decimals: 20.31 mIoU, 75.10% (not a version)
FIGURE = re.compile(r'(?<![\w.])(\d{2,}\.\d\d)(?![\d.])')


def unbacked_figures(text: str, tables: str) -> list:
    """Two-decimal figures outside code in ``text`` that no cell of
    ``tables`` holds."""
    cells = set(re.findall(r'(?<![\w.])(\d+\.\d+)(?![\d])', tables))
    return [f for f in FIGURE.findall(without_code(text)) if f not in cells]


@pytest.mark.parametrize('doc', DOCS, ids=IDS)
def test_figures_are_in_rendered_or_published_tables(doc):
    """A mIoU or accuracy quoted to two decimals, in a sentence or a table
    of the docs, is a cell of a table run_all.py renders from the records
    or of a model zoo's table of published results (configs/*/README.md)."""
    zoo = [
        read(d)
        for d in glob.glob(osp.join(ROOT, 'configs', '*', 'README.md'))
    ]
    tables = '\n\n'.join([rendered()] + zoo)
    assert unbacked_figures(read(doc), tables) == []


def test_a_wrong_figure_is_found():
    tables = '| encnet | 20.31 | 19.65-20.82 |'
    text = ('mIoU 20.31 (19.65–20.82) with torch 2.13 and mmengine 0.10.7;\n'
            '| ours | 20.30 |\n\nbut 75.14 is not, nor `in code 12.34`.')
    assert unbacked_figures(text, tables) == ['20.30', '75.14']


def test_config_count_in_readme_is_the_trees():
    found = re.search(r'(\d+) configs in \[configs/encnet/\]',
                      read(osp.join(ROOT, 'README.md')))
    assert int(found.group(1)) == len(
        glob.glob(osp.join(ROOT, 'configs', 'encnet', '*.py')))
