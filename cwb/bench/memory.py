"""Resident memory of the running process, as benchmarks read it (Linux ``/proc``, else rusage)."""

from __future__ import annotations

import resource
import sys


def status_kb(field_name: str) -> float | None:
    """A ``kB`` field of /proc/self/status (VmRSS, VmHWM), or None off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field_name + ":"):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak() -> bool:
    """Reset this process's peak RSS counter; False when the OS does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def maxrss_kb() -> float:
    """The peak RSS of the whole process in kB (rusage; macOS reports bytes)."""
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage / 1024 if sys.platform == "darwin" else float(usage)
