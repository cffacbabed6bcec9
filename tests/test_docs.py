"""The docs cannot rot: README.md, docs/*.md and the other READMEs.

Every relative link and repository path they name exists, every config they
name builds (a ``_base_`` runtime without a model loads), every
``tools/``/``benchmarks/`` command they show names a script that exists and
accepts the flags shown (its ``--help`` lists them),
and every results table they quote from a record is what the renderer makes
of that record.
"""
import glob
import os.path as osp
import re
import subprocess
import sys

import pytest
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmseg.registry import MODELS

from helpers import ROOT  # noqa: E402

DOCS = sorted([osp.join(ROOT, 'README.md')] +
              glob.glob(osp.join(ROOT, 'docs', '*.md')) +
              glob.glob(osp.join(ROOT, 'configs', '*', 'README.md')) +
              [osp.join(ROOT, 'benchmarks', 'gpu', 'README.md')])
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


def rendered_tables() -> list:
    """The tables ``run_all.py --render`` makes from the committed records,
    each with its caption line."""
    sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
    import run_all
    text = run_all.render(
        osp.join(ROOT, 'benchmarks', 'results'), out_dir=str(_tmp_dir()))
    return [
        block for block in text.split('\n\n')
        if '\n| ' in block and not block.startswith('#')
    ]


def _tmp_dir():
    import tempfile
    return tempfile.mkdtemp()


@pytest.mark.parametrize('doc', DOCS, ids=IDS)
def test_quoted_result_tables_are_the_rendered_ones(doc):
    text = read(doc)
    for table in rendered_tables():
        caption = table.split('\n', 1)[0]
        if caption in text:
            assert table in text, f'{caption} differs from the record'


# A ratio in prose: 1.22x, **2.13x**, 60.89× (not a size such as 128×256)
RATIO = re.compile(r'(?<![\w.×])(\d+\.\d+|\d+)(?:x|×)(?![\w×])')


def prose(text: str) -> str:
    """``text`` without code, table rows and table captions."""
    text = re.sub(r'```.*?```|`[^`\n]*`', '', text, flags=re.S)
    blocks = [b for b in text.split('\n\n') if '\n| ' not in b]
    return '\n'.join(line for b in blocks for line in b.splitlines()
                     if not line.startswith('|'))


def unbacked_ratios(text: str, rendered: str) -> list:
    """Ratios in the prose of ``text`` that no rendered table holds (to the
    digit as printed there)."""
    cells = set(re.findall(r'(?<![\w.])(\d+\.\d+)x(?!\w)', rendered))
    return [r for r in RATIO.findall(prose(text)) if r not in cells]


@pytest.mark.parametrize('doc', DOCS, ids=IDS)
def test_ratios_in_prose_are_in_rendered_tables(doc):
    """A measured ratio in a sentence is a cell of a table that run_all.py
    renders from the records, with the same digits, never a ratio of
    rounded cells."""
    assert unbacked_ratios(read(doc), '\n\n'.join(rendered_tables())) == []


def test_a_wrong_ratio_in_prose_is_found():
    rendered = '| ours | 1.00x |\n| mmseg | 1.22x |'
    text = ('It is 1.22x faster, 128×256 images, N×HW×K×C.\n\n'
            'caption\n| a | 9.99x |\n\nBut **2.13x** and 61× are not.')
    assert unbacked_ratios(text, rendered) == ['2.13', '61']


def test_config_count_in_readme_is_the_trees():
    found = re.search(r'(\d+) configs in \[configs/encnet/\]',
                      read(osp.join(ROOT, 'README.md')))
    assert int(found.group(1)) == len(
        glob.glob(osp.join(ROOT, 'configs', 'encnet', '*.py')))
