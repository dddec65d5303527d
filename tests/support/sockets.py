"""The TCP sockets a process tree listens on, read from /proc (Linux), as `ss -ltnp` shows them.

``/proc/net/tcp`` and ``/proc/net/tcp6`` list every socket of the network
namespace with its inode; ``/proc/<pid>/fd`` links name the inodes a process
holds (``socket:[INODE]``). Parsing is in plain functions so it is tested on
fixed text; :func:`listeners` is the I/O edge.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

_LISTEN = "0A"  # TCP_LISTEN in the kernel's st column
_SOCKET_LINK = re.compile(r"socket:\[(\d+)\]")


@dataclass(frozen=True)
class Listener:
    pid: int
    command: str
    address: str
    port: int

    @property
    def loopback(self) -> bool:
        ip = ipaddress.ip_address(self.address)
        mapped = getattr(ip, "ipv4_mapped", None)
        return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port} (pid {self.pid}, {self.command})"


def decode_address(hex_address: str) -> tuple[str, int]:
    """``0100007F:1F90`` -> ``("127.0.0.1", 8080)``; IPv6 as four host-order 32-bit words."""
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    packed = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(packed)), int(port, 16)


def listening_inodes(table: str) -> dict[int, tuple[str, int]]:
    """Inode -> (address, port) of the LISTEN sockets in the text of /proc/net/tcp or tcp6."""
    out: dict[int, tuple[str, int]] = {}
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 9 and fields[3] == _LISTEN:
            out[int(fields[9])] = decode_address(fields[1])
    return out


def children_of(parents: dict[int, int], root: int) -> set[int]:
    """``root`` and every process descending from it, given pid -> parent pid."""
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return tree


def parent_pids(proc: Path = Path("/proc")) -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            # pid (comm) state ppid ...: comm may hold spaces and parentheses.
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    return parents


def _command(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    return " ".join(a.decode(errors="replace") for a in argv if a)[:160]


def _fd_links(pid: int) -> list[str]:
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        fds = os.listdir(fd_dir)
    except OSError:  # exited meanwhile
        return []
    links: list[str] = []
    for fd in fds:
        try:
            links.append(os.readlink(fd_dir / fd))
        except OSError:  # closed meanwhile (e.g. the descriptor listdir used)
            continue
    return links


def listeners(root_pid: int) -> list[Listener]:
    """Every TCP socket in LISTEN state held by ``root_pid`` or a descendant."""
    tables: dict[int, tuple[str, int]] = {}
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if path.exists():
            tables.update(listening_inodes(path.read_text()))
    found: list[Listener] = []
    for pid in sorted(children_of(parent_pids(), root_pid)):
        for link in _fd_links(pid):
            match = _SOCKET_LINK.fullmatch(link)
            if match and int(match.group(1)) in tables:
                address, port = tables[int(match.group(1))]
                found.append(Listener(pid, _command(pid), address, port))
    return sorted(set(found), key=lambda item: (item.pid, item.port, item.address))
