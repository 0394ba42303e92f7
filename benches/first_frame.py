#!/usr/bin/env python3
"""Launch to first frame of the terminal app, through a pseudo-terminal (120x40).

Starts the binary N times (default 8) and prints, for each launch, when its first byte
reached the terminal and when the sign-in screen's key hint line ("Tab: switch field") had
been written, then the median. The first launch in a new home also makes the sandbox's
certificates and hashes the demo accounts' password; run once before measuring to see
the usual launch.

Usage: benches/first_frame.py BINARY [ARGS...]
  N=8 benches/first_frame.py target/release/eps-tracker --home /tmp/h --sandbox
"""

import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import sys
import termios
import time

MARKER = b"Tab: switch field"


def launch(argv):
    """(first byte, sign-in drawn) in seconds since the fork, None when not seen in 10 s."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen, first, drawn = b"", None, None
    while time.perf_counter() - started < 10:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if first is None:
            first = time.perf_counter() - started
        seen += chunk
        if MARKER in seen:
            drawn = time.perf_counter() - started
            break
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)
    return first, drawn


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    runs = [launch(sys.argv[1:]) for _ in range(int(os.environ.get("N", "8")))]
    for first, drawn in runs:
        shown = f"{drawn * 1000:.1f} ms" if drawn else "not seen"
        print(f"first byte {first * 1000 if first else -1:.1f} ms, sign-in drawn {shown}")
    drawn = [d for _, d in runs if d]
    if drawn:
        print(f"median launch to sign-in screen: {statistics.median(drawn) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
