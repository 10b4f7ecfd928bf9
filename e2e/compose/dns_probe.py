"""Run inside a service container: how soon name lookups finish once the container's DNS answers again.

Prints one JSON object: `started` and `ended`, the probe's own times; `lookups`, the [start, end]
times of getaddrinfo() calls for HOST made by two threads in a loop; and `answered`, the
times at which a plain DNS query to the first nameserver of /etc/resolv.conf was answered (every
20 ms, with a 20 ms timeout). Usage: `python -c "$(cat dns_probe.py)" HOST SECONDS`.
"""

import contextlib
import json
import random
import socket
import struct
import sys
import threading
import time

host, seconds = sys.argv[1], float(sys.argv[2])
started = time.monotonic()
until = started + seconds
lookups: list[list[float]] = []
answered: list[float] = []


def look_up() -> None:
    while time.monotonic() < until:
        started = time.monotonic()
        with contextlib.suppress(OSError):
            socket.getaddrinfo(host, 80)
        lookups.append([started, time.monotonic()])
        time.sleep(0.05)


def ask_the_nameserver() -> None:
    with open("/etc/resolv.conf") as resolv:
        server = next(line.split()[1] for line in resolv if line.startswith("nameserver"))
    labels = b"".join(bytes([len(part)]) + part.encode() for part in host.split("."))
    while time.monotonic() < until:
        query = struct.pack(">HHHHHH", random.randint(0, 65535), 0x0100, 1, 0, 0, 0) + labels + b"\0\0\1\0\1"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.settimeout(0.02)
            try:
                udp.sendto(query, (server, 53))
                udp.recv(512)
                answered.append(time.monotonic())
            except OSError:
                pass
        time.sleep(0.02)


# A few lookups a second from two threads: enough to meet every silence of the server (they last
# seconds), not so many that the probe itself loads the DNS server the other containers use.
threads = [threading.Thread(target=look_up) for _ in range(2)] + [threading.Thread(target=ask_the_nameserver)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"started": started, "ended": time.monotonic(), "lookups": lookups, "answered": answered}))
