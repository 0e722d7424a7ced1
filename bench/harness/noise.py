"""How busy the machine was with other work while we timed: cores used by processes other than the
measuring ones (this client and, when the server runs on this machine, its backend), from /proc."""
import os
import time

HZ = os.sysconf("SC_CLK_TCK")


def _machine_busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v[:3]) + sum(v[5:8])  # user nice system, irq softirq steal (not idle, iowait)


def _process_cpu(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime (all threads)
    except (OSError, IndexError, ValueError):
        return 0  # not on this machine: its CPU counts as other work


def parse_schedstat(text):
    """Nanoseconds on a CPU, the first field of /proc/<pid>/schedstat."""
    return int(text.split()[0])


def run_ns(pid):
    """Nanoseconds the process has run on a CPU, or None when it is not on this machine (or /proc hides it).
    Finer than /proc/<pid>/stat's clock ticks, so it can time a pass of a few hundred queries."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return parse_schedstat(f.read())
    except (OSError, IndexError, ValueError):
        return None


class OtherCpu:
    """with OtherCpu([pids]) as o: ...; then o.cores = average cores busy with anything else."""

    def __init__(self, pids):
        self.pids = [p for p in pids if p]
        self.cores = None

    def __enter__(self):
        self.t0, self.m0 = time.perf_counter(), _machine_busy()
        self.p0 = sum(_process_cpu(p) for p in self.pids)
        return self

    def __exit__(self, *exc):
        elapsed = time.perf_counter() - self.t0
        other = (_machine_busy() - self.m0) - (sum(_process_cpu(p) for p in self.pids) - self.p0)
        self.cores = max(0.0, other / HZ / elapsed) if elapsed > 0 else None
