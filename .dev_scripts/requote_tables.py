"""Replace result tables quoted in the docs by their rendered versions.

    python benchmarks/run_all.py --render && python .dev_scripts/requote_tables.py

A quoted table is a caption line and the table rows below it. It is
replaced by the table of ``benchmarks/results.md`` whose caption names the
same thing: the caption without its rounds and its when-and-where, which
change with a re-measurement (and, where captions are alike, the first
cell of the first row). ``tests/test_docs.py`` checks that every quoted
table is the rendered one; this script makes it so after a deliberate
re-measurement.
"""
import glob
import os.path as osp
import re
import sys
from typing import List, Tuple

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
WHERE = re.compile(r' \(\d{4}-\d\d-\d\d.*\)$')
ROUNDS = re.compile(r', (?:median of \d+ |\d+ |one )(?:alternating )?'
                    r'(?:rounds?|runs?)\b.*')


def key(table: List[str]) -> Tuple[str, str]:
    """What a table shows: its caption without rounds and when-and-where,
    and the first cell of its first row."""
    return (ROUNDS.sub('', WHERE.sub('', table[0])),
            table[3].split('|')[1] if len(table) > 3 else '')


def tables(text: str) -> List[List[str]]:
    """Each caption line with the ``|`` rows that follow it."""
    lines, found = text.split('\n'), []
    for i, line in enumerate(lines[:-1]):
        if WHERE.search(line) and lines[i + 1].startswith('|'):
            rows = [line]
            for row in lines[i + 1:]:
                if not row.startswith('|'):
                    break
                rows.append(row)
            found.append(rows)
    return found


def requote(text: str, rendered: List[List[str]]) -> str:
    for quoted in tables(text):
        same = [t for t in rendered if key(t)[0] == key(quoted)[0]]
        if len(same) > 1:
            same = [t for t in same if key(t) == key(quoted)]
        if len(same) == 1:
            text = text.replace('\n'.join(quoted), '\n'.join(same[0]))
    return text


def main() -> None:
    with open(osp.join(ROOT, 'benchmarks', 'results.md')) as f:
        rendered = tables(f.read())
    docs = [osp.join(ROOT, 'README.md')] + sorted(
        glob.glob(osp.join(ROOT, 'docs', '*.md')))
    for doc in docs:
        with open(doc) as f:
            text = f.read()
        new = requote(text, rendered)
        if new != text:
            with open(doc, 'w') as f:
                f.write(new)
            print(f'requoted tables in {osp.relpath(doc, ROOT)}',
                  file=sys.stderr)


if __name__ == '__main__':
    main()
