"""How many processes (or threads) training and batch labelling spread their work over by default."""

from __future__ import annotations

import os

from classifier.errors import ConfigError

#: Environment variable that caps the default: e.g. ``TENSION_JOBS=1`` on a shared server.
JOBS_VARIABLE = "TENSION_JOBS"


def usable_cpus() -> int:
    """``$TENSION_JOBS`` when set, else the number of CPUs this process may run on.

    The CPUs are those of the process's affinity mask where the system has one (Linux), else all of the
    machine's (macOS, Windows). Commands given an explicit ``--jobs`` use that instead.

    Raises
    ------
    ConfigError
        ``$TENSION_JOBS`` is set to anything but a whole number of at least 1.
    """
    value = os.environ.get(JOBS_VARIABLE, "").strip()
    if value:
        jobs = int(value) if value.isdigit() else 0
        if jobs < 1:
            raise ConfigError(
                f"{JOBS_VARIABLE} must be a whole number of processes, 1 or more; got {value!r}. Fix: set it to "
                f"e.g. {JOBS_VARIABLE}=2, or unset it to use every CPU."
            )
        return jobs
    affinity = getattr(os, "sched_getaffinity", None)
    return max(1, len(affinity(0)) if affinity is not None else (os.cpu_count() or 1))
