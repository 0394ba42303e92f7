#!/usr/bin/env python3
"""Hostile connections against a running `sandbox serve`, and a real client timed beside them.

Holds SILENT TCP connections that never start TLS, and SLOW clients that complete the mutual
TLS handshake, send basic searches over and over and read almost nothing (a 4 KB receive
buffer, 1 KB read buffer, reading paused once it is full). Whatever the sandbox closes is
opened again, so the numbers stay up for the whole run. Meanwhile a real client (curl, a new
TLS connection each time) makes a basic search every half second; the script prints its
times, the sandbox's peak resident size (VmHWM from /proc/PID/status) and the most the
kernel held in the buffers of the sandbox's side of its connections meanwhile (`ss -m`).

Used by `MODE=hostile benches/loadtest.sh BINARY`; can be run alone:
    benches/hostile_clients.py --port 18443 --certs DIR --pid PID [--silent 1100 --slow 200]
"""

import argparse
import re
import asyncio
import socket
import ssl
import statistics
import subprocess
import time

NHS = "9990548609"
PATH = f"/mm/prescriptions?nhsNumber={NHS}&format=trace-summary"
HEADERS = {
    "Spine-From-Asid": "200000000001",
    "Spine-UserId": "555555555555",
    "Spine-RoleProfileId": "555555555556",
    "Accept": "application/json",
}


def request_bytes() -> bytes:
    lines = [f"GET {PATH} HTTP/1.1", "Host: localhost"]
    lines += [f"{name}: {value}" for name, value in HEADERS.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Counts:
    def __init__(self) -> None:
        self.silent_open = 0
        self.slow_open = 0
        self.reopened = 0


async def hold_silent(host: str, port: int, counts: Counts, stop: asyncio.Event,
                      delay: float) -> None:
    await asyncio.sleep(delay)
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.2)
            continue
        counts.silent_open += 1
        try:
            # Says nothing; returns when the sandbox closes the connection.
            await asyncio.wait(
                [asyncio.ensure_future(reader.read(1)), asyncio.ensure_future(stop.wait())],
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            counts.silent_open -= 1
            writer.close()
        if not stop.is_set():
            counts.reopened += 1


async def hold_slow(host: str, port: int, context: ssl.SSLContext, counts: Counts,
                    stop: asyncio.Event, delay: float) -> None:
    await asyncio.sleep(delay)
    request = request_bytes() * 20
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, (host, port))
            # limit: the stream stops reading the socket once 1 KB is buffered, unread.
            _reader, writer = await asyncio.open_connection(
                sock=sock, ssl=context, server_hostname="localhost", limit=1024)
        except (OSError, ssl.SSLError):
            sock.close()
            await asyncio.sleep(0.2)
            continue
        counts.slow_open += 1
        try:
            while not stop.is_set():
                writer.write(request)
                drained = asyncio.ensure_future(writer.drain())
                waiting = asyncio.ensure_future(stop.wait())
                done, pending = await asyncio.wait(
                    [drained, waiting], return_when=asyncio.FIRST_COMPLETED)
                for task in pending:
                    task.cancel()
                if drained in done and drained.exception() is not None:
                    break
        except (OSError, ssl.SSLError):
            pass
        finally:
            counts.slow_open -= 1
            writer.close()
        if not stop.is_set():
            counts.reopened += 1


def real_client(port: int, certs: str) -> float:
    """One basic search by curl on a new connection; its total time in milliseconds."""
    args = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "--max-time", "30",
            "--cacert", f"{certs}/ca.pem", "--cert", f"{certs}/client.pem",
            "--key", f"{certs}/client.key"]
    for name, value in HEADERS.items():
        args += ["-H", f"{name}: {value}"]
    args.append(f"https://127.0.0.1:{port}{PATH}")
    out = subprocess.run(args, capture_output=True, text=True, check=False).stdout.split()
    if len(out) != 2 or out[0] != "200":
        return float("nan")
    return float(out[1]) * 1000


def memory(pid: int) -> list[str]:
    """The process's peak and current resident sizes."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return [" ".join(line.split()) for line in status
                if line.startswith(("VmHWM", "VmRSS"))]


def sandbox_socket_memory_mb(port: int) -> float:
    """What the kernel holds for the sandbox's side of its connections (requests received
    and not yet read, answers written and not yet sent: `ss -m`'s r and w), in MB. A client
    that does not read makes the kernel hold this, which RSS does not show."""
    out = subprocess.run(["ss", "-tmnH", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True, check=False).stdout
    total = 0
    for match in re.finditer(r"skmem:\(r(\d+),.*?,w(\d+),", out):
        total += int(match.group(1)) + int(match.group(2))
    return total / 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--certs", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--silent", type=int, default=1100)
    parser.add_argument("--slow", type=int, default=200)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--ramp", type=float, default=3.0,
                        help="seconds over which the connections are first opened, so that "
                        "the sandbox's deadlines close (and this reopens) them spread out")
    args = parser.parse_args()
    host = "127.0.0.1"

    context = ssl.create_default_context(cafile=f"{args.certs}/ca.pem")
    context.load_cert_chain(f"{args.certs}/client.pem", f"{args.certs}/client.key")

    print("before:", "; ".join(memory(args.pid)))
    print(f"real client alone: {real_client(args.port, args.certs):.1f} ms")
    counts = Counts()
    stop = asyncio.Event()
    holders = [asyncio.ensure_future(
        hold_silent(host, args.port, counts, stop, args.ramp * n / args.silent))
        for n in range(args.silent)]
    holders += [asyncio.ensure_future(
        hold_slow(host, args.port, context, counts, stop, args.ramp * n / args.slow))
        for n in range(args.slow)]
    await asyncio.sleep(args.ramp + 0.5)
    times = []
    kernel = 0.0
    for _ in range(args.samples):
        kernel = max(kernel, sandbox_socket_memory_mb(args.port))
        ms = await asyncio.to_thread(real_client, args.port, args.certs)
        times.append(ms)
        print(f"real client: {ms:7.1f} ms  (held: {counts.silent_open} silent, "
              f"{counts.slow_open} slow; reopened so far {counts.reopened})")
        await asyncio.sleep(0.5)
    answered = [t for t in times if t == t]
    print(f"real client over {len(times)} tries: answered {len(answered)}, "
          f"median {statistics.median(answered):.1f} ms, max {max(answered):.1f} ms"
          if answered else "real client: never answered")
    print("sandbox:", "; ".join(memory(args.pid)),
          f"; kernel buffers of its connections at most {kernel:.1f} MB")
    stop.set()
    await asyncio.gather(*holders, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main())
