"""Reading CPU, memory and limits from the kernel, for the load generator and the runner.

Why separate: the numbers beside every figure (client CPU, server CPU, the CPU
everyone else used, server RSS) all come from /proc and getrusage, read the same
way by `bench.loadgen`, `bench.run` and the servers in `bench/`.
"""

from __future__ import annotations

import math
import os
import resource

__all__ = [
    "percentile",
    "proc_cpu_seconds",
    "proc_rss_bytes",
    "raise_nofile_limit",
    "self_cpu_seconds",
    "stolen_seconds",
    "system_busy_seconds",
]

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def raise_nofile_limit() -> int:
    """Raise RLIMIT_NOFILE to its hard limit (10,000 sockets need it); return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its threads (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        stat = f.read()
    fields = stat[stat.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def proc_rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc/PID/status."""
    with open(f"/proc/{pid}/status", "rb") as f:
        for line in f:
            if line.startswith(b"VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def system_busy_seconds() -> float:
    """CPU seconds all processes of the machine spent busy (/proc/stat), summed over cores.

    Includes the time the hypervisor gave our virtual CPUs to someone else
    (`steal`): it is lost to us as surely as another process's use.
    """
    with open("/proc/stat", "rb") as f:
        fields = f.readline().split()[1:9]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields)
    return (user + nice + system + irq + softirq + steal) / _CLK_TCK


def stolen_seconds() -> float:
    """CPU seconds the hypervisor took from this virtual machine (/proc/stat `steal`)."""
    with open("/proc/stat", "rb") as f:
        return int(f.readline().split()[8]) / _CLK_TCK


def self_cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile (0..1) of `values` by nearest rank, or None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[idx]
