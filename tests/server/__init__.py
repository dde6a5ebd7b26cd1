"""Tests of the server package; ``rss_mb`` is how they measure what a refused input kept."""
import ctypes
import os

try:
    _LIBC = ctypes.CDLL("libc.so.6")  # glibc's malloc_trim: hand freed heap pages back to the system
except OSError:  # not glibc: the resident set as it is
    _LIBC = None


def rss_mb() -> float:
    """This process's resident set (/proc/self/statm: pages), after glibc has returned what it freed: the figure is
    what the process still holds, not what its allocator kept at hand (which varies with the tests run before)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
