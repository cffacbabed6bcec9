"""Result tables quoted in the docs, matched to the rendered ones.

Used by ``run_all.py --requote`` (rewrite the quoted tables after a
re-measurement) and ``tests/test_docs.py`` (every quoted table is the
rendered one). A quoted table is a caption line ending in its
when-and-where, ``(2026-12-03, AMD EPYC, 2 threads, ...)``, the ``|`` rows
below it and the lines the renderer puts under them, up to a blank line.
Its rendered counterpart has the same caption once the rounds and the
when-and-where are taken off (they change with a re-measurement); where
several have, the one whose rows name the same variants, configs or modes
(first column) most nearly.
"""
import glob
import os.path as osp
import re
from typing import List, Optional

WHERE = re.compile(r' \(\d{4}-\d\d-\d\d.*\)$')
ROUNDS = re.compile(r', (?:median of \d+ |\d+ |one )(?:alternating )?'
                    r'(?:rounds?|runs?)\b.*')


def documents(root: str) -> List[str]:
    """The files that may quote a table: README.md, docs/*.md, the model
    zoo's READMEs and the GPU benchmark's."""
    return sorted([osp.join(root, 'README.md')] +
                  glob.glob(osp.join(root, 'docs', '*.md')) +
                  glob.glob(osp.join(root, 'configs', '*', 'README.md')) +
                  [osp.join(root, 'benchmarks', 'gpu', 'README.md')])


def tables(text: str) -> List[List[str]]:
    """Each caption line of ``text`` with the rows and notes below it."""
    lines, found = text.split('\n'), []
    for i, line in enumerate(lines[:-1]):
        if WHERE.search(line) and lines[i + 1].startswith('|'):
            rows = [line]
            for row in lines[i + 1:]:
                if not row.strip():
                    break
                rows.append(row)
            found.append(rows)
    return found


def _caption(table: List[str]) -> str:
    return ROUNDS.sub('', WHERE.sub('', table[0]))


def _names(table: List[str]) -> set:
    """The first cells of the body rows (after caption, header, rule)."""
    return {row.split('|')[1].strip() for row in table[3:] if row[:1] == '|'}


def counterpart(quoted: List[str],
                rendered: List[List[str]]) -> Optional[List[str]]:
    """The rendered table ``quoted`` is a (maybe older) copy of, if any."""
    same = [t for t in rendered if _caption(t) == _caption(quoted)]

    def overlap(table: List[str]) -> float:
        names, mine = _names(table), _names(quoted)
        return len(names & mine) / max(len(names | mine), 1)

    same = [t for t in same if overlap(t) > 0]
    return max(same, key=overlap) if same else None


def requote(text: str, rendered: List[List[str]]) -> str:
    """``text`` with each quoted table replaced by its rendered one."""
    for quoted in tables(text):
        new = counterpart(quoted, rendered)
        if new is not None:
            text = text.replace('\n'.join(quoted), '\n'.join(new))
    return text
