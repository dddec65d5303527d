"""The /proc parsing behind the listening-sockets e2e test (tests/support/sockets.py), on fixed text."""

from __future__ import annotations

import ipaddress
import os
import socket

from tests.support.sockets import Listener, children_of, decode_address, listeners, listening_inodes

MAPPED = str(ipaddress.ip_address("::ffff:127.0.0.1"))  # spelled ::ffff:7f00:1 before Python 3.13
# Lines as the kernel writes them (header, a LISTEN socket, an ESTABLISHED one).
TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0 100 0 0 10 0
   1: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0 20 4 30 10 -1
   2: 00000000:238C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0 100 0 0 10 0
"""
_TCP6_ROW = (
    "   {n}: {local} " + "0" * 32 + ":0000 0A 00000000:00000000 00:00000000 00000000  1000 0 {inode} 1 0 100 0 0 10 0"
)
TCP6 = "\n".join(
    [
        "  sl  local_address remote_address st tx_queue rx_queue tr tm->when retrnsmt uid timeout inode",
        _TCP6_ROW.format(n=0, local="0" * 32 + ":1F91", inode=5151),
        _TCP6_ROW.format(n=1, local="0" * 24 + "01000000:1F92", inode=5252),
        _TCP6_ROW.format(n=2, local="0000000000000000FFFF00000100007F:1F93", inode=5353),
    ]
)


def test_decode_ipv4_and_ipv6_addresses() -> None:
    assert decode_address("0100007F:1F90") == ("127.0.0.1", 8080)
    assert decode_address("00000000000000000000000001000000:1F92") == ("::1", 8082)
    assert decode_address("0000000000000000FFFF00000100007F:1F93") == (MAPPED, 8083)


def test_only_listening_sockets_are_kept() -> None:
    assert listening_inodes(TCP) == {4242: ("127.0.0.1", 8080), 4444: ("0.0.0.0", 9100)}
    assert listening_inodes(TCP6) == {5151: ("::", 8081), 5252: ("::1", 8082), 5353: (MAPPED, 8083)}


def test_loopback_includes_ipv6_and_mapped_ipv4() -> None:
    def listener(address: str) -> Listener:
        return Listener(1, "x", address, 1)

    assert [listener(a).loopback for a in ("127.0.0.1", "::1", MAPPED, "0.0.0.0", "::", "10.0.0.5")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert str(listener("::")) == "[::]:1 (pid 1, x)"


def test_process_tree() -> None:
    parents = {1: 0, 10: 1, 11: 10, 12: 11, 20: 1, 13: 10}
    assert children_of(parents, 10) == {10, 11, 12, 13}
    assert children_of(parents, 12) == {12}


def test_listeners_finds_this_process_socket() -> None:
    """The /proc reading itself, on a socket this test opens (and one it does not listen on)."""
    with socket.socket() as server, socket.socket() as idle:
        server.bind(("127.0.0.1", 0))
        server.listen()
        idle.bind(("127.0.0.1", 0))
        port, idle_port = server.getsockname()[1], idle.getsockname()[1]
        found = [item for item in listeners(os.getpid()) if item.pid == os.getpid()]
    assert [(item.address, item.port) for item in found if item.port in (port, idle_port)] == [("127.0.0.1", port)]
