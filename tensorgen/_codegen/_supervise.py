"""Run the C compiler as a process group that dies with the Python process that started it.

Usage: ``python -I -S _supervise.py PARENT_PID MEMORY_BYTES COMMAND...`` (by build.py, in a
new session, so this process leads a group holding the compiler and nothing else).

It caps the address space of the command and of everything the command starts (RLIMIT_AS
is inherited: the compiler driver, cc1, as, ld), runs it and exits with its status. If the
Python process PARENT_PID dies, even by SIGKILL, Linux sends this process SIGTERM
(PR_SET_PDEATHSIG) and it kills its whole group. PR_SET_PDEATHSIG set on the compiler
driver alone would not do: the driver's own children (cc1 doing the work) would run on.
Standard library only, as it runs without site-packages.
"""

import ctypes
import os
import resource
import signal
import sys
from typing import NoReturn

PR_SET_PDEATHSIG = 1


def _kill_group(*_: object) -> None:
    os.killpg(0, signal.SIGKILL)


def main(parent: int, memory: int, command: list[str]) -> NoReturn:
    if os.getpgrp() != os.getpid():  # never take down the group of whoever started this
        os.setpgid(0, 0)
    signal.signal(signal.SIGTERM, _kill_group)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before prctl
        _kill_group()
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        memory = min(memory, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ValueError, OSError):  # a system that does not support it: run uncapped
        pass
    try:
        pid = os.posix_spawnp(command[0], command, os.environ)
    except OSError as exc:
        sys.exit(f"{command[0]}: {exc}")
    status = os.waitpid(pid, 0)[1]
    if os.WIFSIGNALED(status):  # die the same way, so the parent sees the signal
        if os.WTERMSIG(status) != signal.SIGKILL:
            signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:])
