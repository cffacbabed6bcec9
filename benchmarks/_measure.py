"""Time and memory measurement shared by the benchmark scripts."""
import resource
import statistics
import time
from typing import Callable

import torch


def _rss_bytes() -> int:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * resource.getpagesize()


class MemoryMeter:
    """Growth of peak memory from the moment of construction.

    On CUDA: peak allocated bytes. On CPU: peak resident set size (the
    kernel's high-water mark) minus the resident size at construction.
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
        """Peak bytes since the process (CPU) or the meter (CUDA) started."""
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
