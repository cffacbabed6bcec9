"""Measurement and raw records shared by the benchmark scripts.

Every comparison runs each variant in a process of its own (so one's
allocations cannot hide the other's and the RSS high-water mark is its own),
alternating between the variants round after round. A worker prints one JSON
line as its last line of output; :func:`compare` collects them, every round
of every variant, into a raw record that a script writes with ``--json`` and
renders as Markdown (``run_all.py`` renders ``results.md`` from those files
alone).
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional

import torch

from mmseg_encnet.engine.optim_wrapper import cpu_has_bf16_units


def _rss_bytes() -> int:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * resource.getpagesize()


class MemoryMeter:
    """Growth of peak memory from the moment of construction.

    On CUDA: peak allocated bytes. On CPU: peak resident set size (the
    kernel's high-water mark for the process) minus the resident size at
    construction.
    """

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == 'cuda'
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.start = torch.cuda.memory_allocated()
        else:
            self.start = _rss_bytes()

    def peak(self) -> int:
        """Peak bytes: since the process started (CPU), the meter (CUDA)."""
        if self.cuda:
            torch.cuda.synchronize()
            return torch.cuda.max_memory_allocated()
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def growth(self) -> int:
        return max(self.peak() - self.start, 0)


def step_times(fn: Callable[[], object], steps: int,
               device: torch.device) -> List[float]:
    """Time in seconds of each of ``steps`` calls of ``fn``: wall time on
    the CPU, CUDA events around each call on a GPU."""
    times = []
    for _ in range(steps):
        if device.type == 'cuda':
            start, end = (
                torch.cuda.Event(enable_timing=True) for _ in range(2))
            torch.cuda.synchronize()
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end) / 1e3)
        else:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return times


def measurement(times: List[float], memory: int, **extra) -> str:
    """A worker's JSON line: its step times, their median, its memory."""
    return json.dumps(
        dict(
            seconds=statistics.median(times),
            times=times,
            memory=memory,
            **extra))


def default_device() -> str:
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def run_worker(script: str, args: List[str]) -> dict:
    """Run ``python script *args`` and return its last output line as JSON."""
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    result = subprocess.run([sys.executable, script, *args],
                            capture_output=True,
                            text=True,
                            env=env)
    if result.returncode != 0:
        raise RuntimeError(f'{script} {" ".join(args)} failed:\n'
                           f'{result.stderr[-3000:]}')
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare(script: str, variants: Dict[str, List[str]],
            rounds: int) -> Dict[str, List[dict]]:
    """Run the worker once per variant (its own arguments), alternating,
    ``rounds`` times; every round's result per variant."""
    runs: Dict[str, List[dict]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, args in variants.items():
            runs[name].append(run_worker(script, args))
    return runs


def odd_rounds(value: str) -> int:
    """``--rounds``: an odd number, so a median round exists; at least 3 for
    a figure, 1 for a smoke run (its caption says so)."""
    rounds = int(value)
    if rounds < 1 or rounds % 2 == 0:
        raise argparse.ArgumentTypeError(
            f'--rounds must be odd (a median round): 3 or more for a figure, '
            f'1 for a smoke run; got {rounds}')
    return rounds


def add_rounds_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        '--rounds',
        type=odd_rounds,
        default=3,
        help='alternating rounds (odd; the median round is reported; '
        'default 3, 1 for a smoke run)')


def rounds_label(rounds: int, what: str = 'rounds') -> str:
    """How the reported round was chosen, for captions: the median of an odd
    count; records of an even count say what they report instead."""
    if rounds >= 3 and rounds % 2:
        return f'median of {rounds} alternating {what}'
    if rounds == 1:
        return f'one {what[:-1]} only (re-measure with --rounds 3)'
    return (f'{rounds} alternating {what}, the lower middle one reported '
            '(an even count: re-measure with --rounds 3)')


def median_round(rounds: List[dict]) -> dict:
    """The round with the median ``seconds`` (lower median for even counts),
    so that its other fields come from the same round."""
    return sorted(rounds, key=lambda r: r['seconds'])[(len(rounds) - 1) // 2]


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else the platform's."""
    try:
        with open('/proc/cpuinfo') as f:
            return next(
                line.split(':', 1)[1].strip() for line in f
                if line.startswith('model name'))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def cpu_machine(threads: int) -> str:
    """The CPU, its vector ISA, whether it has bfloat16 units, and the
    threads a measurement used."""
    units = '' if cpu_has_bf16_units() else ', no bfloat16 units'
    return (f'{cpu_name()} ({torch.backends.cpu.get_cpu_capability()}'
            f'{units}), {threads} threads')


def machine(device: str) -> str:
    if device == 'cuda':
        return (f'{torch.cuda.get_device_name()}, CUDA {torch.version.cuda}'
                f', {os.cpu_count()} CPU cores')
    return cpu_machine(torch.get_num_threads())


def make_record(benchmark: str, settings: dict, results: dict) -> dict:
    """A raw record: what was measured, where, when and every round."""
    return dict(
        benchmark=benchmark,
        settings=settings,
        machine=machine(settings.get('device', 'cpu')),
        torch=torch.__version__,
        date=time.strftime('%Y-%m-%d'),
        results=results)


def save(record: dict, path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(record, f, indent=1)


def report(record: dict, path: Optional[str], render: Callable[[dict],
                                                               str]) -> None:
    """Save the record at ``path`` (``--json``) if given; print its tables.
    """
    if path:
        save(record, path)
    print(render(record))


def spread(rounds: List[dict],
           key: str = 'seconds',
           scale: float = 1.0) -> str:
    """``min-max`` of ``key`` times ``scale`` over the rounds (the median
    step of each round), for the tables."""
    values = [r[key] * scale for r in rounds]
    return f'{min(values):.4g}-{max(values):.4g}'


def header(record: dict, what: str) -> str:
    s = record['settings']
    return (f"{what}, {s['device']}, median of {s['steps']} steps, "
            f"{rounds_label(s['rounds'])} ({record['date']}, "
            f"{record['machine']}, torch {record['torch']})")
