"""Tests of the server package; ``rss_mb`` is how they measure what a refused input kept."""
import os


def rss_mb() -> float:
    """This process's resident set (/proc/self/statm: pages)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
