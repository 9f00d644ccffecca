"""Run ``python -m mailbot.cli ARGS`` and write its peak RSS (VmHWM, KB) to $MAILBOT_BENCH_PEAK_FILE at exit.

Why not ``wait4``'s ``ru_maxrss``: Linux carries the parent's high-water mark over ``vfork`` + ``exec``
(``signal->maxrss``), so a child started by a benchmark that holds a 57 MB message reports the
benchmark's own peak. ``VmHWM`` in /proc/self/status belongs to the process's own address space.
"""

from __future__ import annotations

import atexit
import os
import runpy
import sys


def _write_peak() -> None:
    """VmHWM of this process plus the peak of its largest reaped child (the prepare worker, which the
    poll has shut down and joined by now): a conservative figure for the two processes together."""
    target = os.environ.get("MAILBOT_BENCH_PEAK_FILE")
    if not target:
        return
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KB on Linux
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                with open(target, "w", encoding="ascii") as out:
                    out.write(str(int(line.split()[1]) + children))
                return


if __name__ == "__main__":
    # the checkout this script belongs to first: a `git archive` snapshot measures its own mailbot, not
    # the one the virtualenv's editable install points to
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    atexit.register(_write_peak)
    sys.argv = ["mailbot", *sys.argv[1:]]
    profile = os.environ.get("MAILBOT_BENCH_PROFILE")  # bench.py --profile FILE: cProfile of the run
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        atexit.register(lambda: profiler.dump_stats(profile))
        profiler.enable()
    runpy.run_module("mailbot.cli", run_name="__main__", alter_sys=True)
