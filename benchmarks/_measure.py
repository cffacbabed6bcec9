"""Measurement shared by the benchmark scripts.

Every comparison runs each implementation in a process of its own (so one's
allocations cannot hide the other's and the RSS high-water mark is its own),
alternating between them when asked for several rounds. A worker prints one
JSON line as its last line of output; :func:`run_worker` returns it.
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List

import torch

IMPLS = ('mmseg', 'ours')


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


def median_time(fn: Callable[[], object], steps: int,
                device: torch.device) -> float:
    """Median wall time of ``steps`` calls of ``fn`` in seconds."""
    times = []
    for _ in range(steps):
        if device.type == 'cuda':
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == 'cuda':
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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


def compare(script: str, args: List[str], rounds: int = 1) -> Dict[str, dict]:
    """Run the worker for mmseg and ours, alternating, ``rounds`` times.

    Returns, per implementation, the result of the round with the median
    ``seconds`` (its other fields come from that same round).
    """
    runs: Dict[str, list] = {impl: [] for impl in IMPLS}
    for _ in range(rounds):
        for impl in IMPLS:
            runs[impl].append(run_worker(script, ['--impl', impl, *args]))
    return {
        impl: sorted(results, key=lambda r: r['seconds'])[len(results) // 2]
        for impl, results in runs.items()
    }


def ratio_row(label: str, results: Dict[str, dict], keys: List[str]) -> str:
    """A Markdown row ``mmseg / ours`` for each key."""
    cells = [
        f"{results['mmseg'][k] / max(results['ours'][k], 1e-12):.2f}x"
        for k in keys
    ]
    return f"| {label} | {' | '.join(cells)} |"
