"""Loaded by every Python process the tests start (kernels included): no network access.

Loopback stays open, because Jupyter kernels talk to their client over 127.0.0.1.
"""

import socket

_connect = socket.socket.connect
_LOCAL = ("127.", "::1", "localhost", "0.0.0.0")


def _guarded_connect(self, address, *args, **kwargs):
    host = address[0] if isinstance(address, tuple) else ""
    if self.family in (socket.AF_INET, socket.AF_INET6) and not str(host).startswith(_LOCAL):
        raise OSError(f"network access is disabled in the course's tests (tried {host})")
    return _connect(self, address, *args, **kwargs)


socket.socket.connect = _guarded_connect
_getaddrinfo = socket.getaddrinfo


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host is not None and not str(host).startswith(_LOCAL):
        raise OSError(f"network access is disabled in the course's tests (looked up {host})")
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _guarded_getaddrinfo
