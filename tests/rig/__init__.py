"""A rig of real servers on loopback for the integration tests.

Each server is a context manager that starts on free high ports under a private folder in /tmp and is
always stopped: on ``stop()``, on leaving the ``with`` block, and at interpreter exit (``atexit``) for
anything a crashed test left running.

- :class:`tests.rig.dovecot.Dovecot`   — IMAP (plaintext, STARTTLS, IMAPS), dovecot-lda delivery.
- :class:`tests.rig.smtpsink.SmtpSink` — aiosmtpd sink that records every message, can answer 4xx/5xx.
- :class:`tests.rig.postgres.Postgres` — throwaway PostgreSQL cluster.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "RigError",
    "TLSFiles",
    "free_port",
    "kill_process_group",
    "make_self_signed",
    "register_cleanup",
    "wait_until",
]


class RigError(RuntimeError):
    """A test server could not be started. Never turned into a skip: the test command installs them."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (from the kernel's ephemeral range)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds have passed; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def kill_process_group(proc: subprocess.Popen[bytes], term_timeout: float = 5.0) -> None:
    """SIGTERM a process started with ``start_new_session=True``, then SIGKILL its whole group."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=term_timeout)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


@dataclass(frozen=True)
class TLSFiles:
    cert: Path  # self-signed, CN/SAN 127.0.0.1 + localhost; also the CA file clients trust
    key: Path


def make_self_signed(folder: Path) -> TLSFiles:
    """A throwaway self-signed certificate for 127.0.0.1 and localhost (EC P-256: fast to make)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    cmd = [
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "3", "-subj", "/CN=127.0.0.1",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-addext", "basicConstraints=critical,CA:TRUE",
    ]  # fmt: skip
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=30)
    except FileNotFoundError as e:
        raise RigError("openssl is not installed (scripts/test installs it)") from e
    except subprocess.CalledProcessError as e:
        raise RigError(f"openssl failed: {e.stderr.decode(errors='replace')}") from e
    key.chmod(0o644)  # read by Dovecot's config parser as root; it is a throwaway test key
    return TLSFiles(cert=cert, key=key)


_cleanups: dict[int, Callable[[], None]] = {}
_cleanups_lock = threading.Lock()


def register_cleanup(obj: object, fn: Callable[[], None]) -> Callable[[], None]:
    """Run ``fn`` at interpreter exit unless the returned ``unregister`` was called first."""
    key = id(obj)
    with _cleanups_lock:
        _cleanups[key] = fn

    def unregister() -> None:
        with _cleanups_lock:
            _cleanups.pop(key, None)

    return unregister


@atexit.register
def _run_cleanups() -> None:
    with _cleanups_lock:
        fns = list(_cleanups.values())
        _cleanups.clear()
    for fn in fns:
        with contextlib.suppress(Exception):
            fn()
