"""Test instrument, imported at interpreter start-up when this folder is on PYTHONPATH: every attempt to
reach a host other than this machine (a DNS lookup or a connect) is refused and logged to $REFERAT_NETLOG.

Referat is offline: a served or ingesting process under this guard must leave the log empty.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

_LOG = os.environ.get("REFERAT_NETLOG")
_LOCAL_NAMES = {None, "", "localhost", "localhost.localdomain", socket.gethostname()}


def _is_local(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host in _LOCAL_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def _refuse(what: str) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(what + "\n")
    raise OSError(f"network access refused by the test guard: {what}")


_getaddrinfo = socket.getaddrinfo
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_local(host):
        _refuse(f"getaddrinfo {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


def _target_ok(sock: socket.socket, address: Any) -> bool:
    return sock.family not in (socket.AF_INET, socket.AF_INET6) or _is_local(address[0])


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _target_ok(self, address):
        _refuse(f"connect {address!r}")
    return _connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if not _target_ok(self, address):
        _refuse(f"connect_ex {address!r}")
    return _connect_ex(self, address)


if _LOG:
    socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
