"""A private Dovecot 2.3 on loopback: ``dovecot -F -c FILE`` with its own config, users and mail.

Usage::

    with Dovecot(tls=True) as dc:
        dc.append(dc.user, raw_bytes)
        settings = dc.settings(dc.user, tls="starttls")   # an ImapSettings for mailbot
        dc.fetch_flags(dc.user)                            # {uid: frozenset({"\\\\Seen", ...})}

Everything lives in a 0755 folder under /tmp (not pytest's ``tmp_path``: Dovecot's mail user ``nobody``
could not enter it) and is removed by ``close()``.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from imapclient import IMAPClient

from mailbot.config.settings import ImapSettings
from tests.rig import RigError, TLSFiles, free_port, kill_process_group, make_self_signed, register_cleanup

DOVECOT = "/usr/sbin/dovecot"
DOVECOT_LDA = "/usr/lib/dovecot/dovecot-lda"
MAIL_UID = "nobody"
MAIL_GID = "nogroup"

TLSChoice = Literal["none", "starttls", "implicit"]

DEFAULT_USERS: dict[str, str] = {
    "jbgs@xjzj.gov.cn": "jbgs-Secret-2024",
    "zwxx@xjzj.gov.cn": "zwxx-Secret-2024",
}


class Dovecot:
    """A standalone Dovecot serving IMAP on 127.0.0.1.

    ``tls=False``: ``ssl = no`` (no STARTTLS offered), plaintext logins allowed.
    ``tls=True``: STARTTLS on :attr:`port` and implicit TLS on :attr:`imaps_port` with a self-signed
    certificate (:attr:`ca_file`); plaintext logins stay allowed on :attr:`port` so ``tls="none"``
    clients work too.
    """

    def __init__(self, *, tls: bool = False, users: dict[str, str] | None = None) -> None:
        if not Path(DOVECOT).exists():
            raise RigError(f"{DOVECOT} not found: install dovecot-imapd (scripts/test does)")
        self.tls = tls
        self.users: dict[str, str] = dict(users or DEFAULT_USERS)
        self.user = next(iter(self.users))  # the main account, jbgs@xjzj.gov.cn by default
        self.root = Path(tempfile.mkdtemp(prefix="mailbot-dovecot-", dir="/tmp"))
        self.root.chmod(0o755)
        self.instance_name = f"mailbot-test-{uuid.uuid4().hex[:10]}"
        self.config_file = self.root / "dovecot.conf"
        self.log_file = self.root / "dovecot.log"
        self.mail_root = self.root / "mail"
        self.mail_root.mkdir()
        shutil.chown(self.mail_root, MAIL_UID, MAIL_GID)
        self.tls_files: TLSFiles | None = make_self_signed(self.root) if tls else None
        self.port = 0
        self.imaps_port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._counter = 0
        self._write_passwd()
        self._unregister = register_cleanup(self, self.close)

    # ------------------------------------------------------------------ lifecycle

    @property
    def ca_file(self) -> Path | None:
        return self.tls_files.cert if self.tls_files else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def auth_socket(self) -> Path:
        """The auth listener an MTA uses for SASL (``service auth { unix_listener auth-postfix }``)."""
        return self.root / "run" / "auth-postfix"

    def start(self, timeout: float = 15.0) -> Dovecot:
        """Start (or start again after :meth:`stop`, on the same ports with the same mail)."""
        if self.running:
            return self
        first = self.port == 0
        for attempt in range(5):
            if first:
                self.port = free_port()
                self.imaps_port = free_port() if self.tls else 0
            self._write_config()
            with open(self.root / "stderr.log", "ab") as stderr:  # the child keeps its own descriptor
                self._proc = subprocess.Popen(
                    [DOVECOT, "-F", "-c", str(self.config_file)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    start_new_session=True,
                )
            if self._wait_greeting(timeout):
                return self
            kill_process_group(self._proc, term_timeout=3)
            self._proc = None
            busy = "Address already in use" in self.read_log()
            if not busy:
                break
            if not first:  # a restart must keep its port: wait for it to come free
                time.sleep(0.5 * (attempt + 1))
        raise RigError(f"Dovecot did not start on 127.0.0.1:{self.port}; log:\n{self.read_log()[-3000:]}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL of its process group). Mail and ports are kept."""
        if self._proc is not None:
            kill_process_group(self._proc, term_timeout=8)
            self._proc = None

    def close(self) -> None:
        """Kill the server (no graceful shutdown needed: its mail goes too) and remove every file."""
        if self._proc is not None:
            kill_process_group(self._proc, term_timeout=0.2)
            self._proc = None
        self._unregister()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read_log(self) -> str:
        text = ""
        for name in ("dovecot.log", "stderr.log"):
            with contextlib.suppress(OSError):
                text += (self.root / name).read_text(errors="replace")
        return text

    # ------------------------------------------------------------------ accounts and URLs

    def add_user(self, user: str | None = None, password: str | None = None) -> str:
        """Create a fresh account (Dovecot re-reads the passwd file on change); return its name."""
        with self._lock:
            self._counter += 1
            user = user or f"u{self._counter}-{uuid.uuid4().hex[:6]}@xjzj.gov.cn"
            self.users[user] = password or f"pw-{uuid.uuid4().hex[:12]}"
            self._write_passwd()
        return user

    def password(self, user: str) -> str:
        return self.users[user]

    def url(self, user: str | None = None, tls: TLSChoice = "none", folder: str = "INBOX") -> str:
        """``imap://user:pass@127.0.0.1:PORT/INBOX?tls=none`` (``imap://`` = STARTTLS, ``imaps://``)."""
        user = user or self.user
        cred = f"{quote(user, safe='')}:{quote(self.users[user], safe='')}"
        path = quote(folder, safe="/")
        if tls == "implicit":
            return f"imaps://{cred}@127.0.0.1:{self._tls_port('implicit')}/{path}"
        if tls == "starttls":
            return f"imap://{cred}@127.0.0.1:{self._tls_port('starttls')}/{path}"
        return f"imap://{cred}@127.0.0.1:{self.port}/{path}?tls=none"

    def settings(self, user: str | None = None, tls: TLSChoice = "none", **overrides: Any) -> ImapSettings:
        """An :class:`ImapSettings` for ``user`` (CA file set for TLS); ``overrides`` replace fields."""
        user = user or self.user
        values: dict[str, Any] = dict(
            name="main",
            host="127.0.0.1",
            port=self._tls_port(tls) if tls != "none" else self.port,
            user=user,
            password=self.users[user],
            tls=tls,
            ca_file=self.ca_file if tls != "none" else None,
            timeout=10.0,
        )
        values.update(overrides)
        return ImapSettings(**values)

    def _tls_port(self, tls: TLSChoice) -> int:
        if not self.tls:
            if tls == "starttls":  # allowed on purpose: tests that STARTTLS is refused, not skipped
                return self.port
            raise RigError("this Dovecot was started without TLS (use Dovecot(tls=True))")
        return self.imaps_port if tls == "implicit" else self.port

    # ------------------------------------------------------------------ mail

    @contextlib.contextmanager
    def client(self, user: str | None = None) -> Iterator[IMAPClient]:
        """A logged-in plaintext IMAPClient for assertions and seeding (not the code under test)."""
        user = user or self.user
        c = IMAPClient("127.0.0.1", self.port, ssl=False, timeout=15)
        c._imap.debug = 0
        c.normalise_times = False
        try:
            c.login(user, self.users[user])
            yield c
        finally:
            with contextlib.suppress(Exception):
                c.logout()
            with contextlib.suppress(Exception):
                c.shutdown()

    def append(
        self,
        user: str | None,
        raw: bytes,
        flags: Iterable[str | bytes] = (),
        internaldate: datetime | None = None,
        folder: str = "INBOX",
    ) -> int:
        """APPEND one message; return its UID (from APPENDUID)."""
        with self.client(user) as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            resp = c.append(folder, raw, flags=tuple(flags), msg_time=internaldate)
        return _appenduid(resp)

    def multiappend(
        self, user: str | None, raws: Sequence[bytes], folder: str = "INBOX", batch: int = 200
    ) -> None:
        """Seed many messages fast with IMAP MULTIAPPEND (RFC 3502), ``batch`` per command."""
        with self.client(user) as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            for i in range(0, len(raws), batch):
                c.multiappend(folder, list(raws[i : i + batch]))

    def deliver(self, user: str | None, raw: bytes, folder: str | None = None) -> None:
        """A real local delivery through dovecot-lda (wakes IDLE like an MTA delivery would)."""
        user = user or self.user
        cmd = [DOVECOT_LDA, "-c", str(self.config_file), "-d", user]
        if folder:
            cmd += ["-m", folder]
        res = subprocess.run(cmd, input=raw, capture_output=True, timeout=30)
        if res.returncode != 0:
            raise RigError(f"dovecot-lda exited {res.returncode}: {res.stderr.decode(errors='replace')}")

    def fetch_flags(self, user: str | None = None, folder: str = "INBOX") -> dict[int, frozenset[str]]:
        """``{uid: frozenset of flags and keywords}`` of every message in ``folder``."""
        with self.client(user) as c:
            c.select_folder(folder, readonly=True)
            uids = c.search("ALL")
            data = c.fetch(uids, ["FLAGS"]) if uids else {}
        return {uid: frozenset(_s(f) for f in item[b"FLAGS"]) - {"\\Recent"} for uid, item in data.items()}

    def uids(self, user: str | None = None, folder: str = "INBOX") -> list[int]:
        with self.client(user) as c:
            c.select_folder(folder, readonly=True)
            return sorted(c.search("ALL"))

    def folders(self, user: str | None = None) -> set[str]:
        with self.client(user) as c:
            return {name for _flags, _delim, name in c.list_folders()}

    def fetch_raw(self, user: str | None = None, folder: str = "INBOX") -> dict[int, bytes]:
        with self.client(user) as c:
            c.select_folder(folder, readonly=True)
            uids = c.search("ALL")
            data = c.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
        return {uid: item[b"BODY[]"] for uid, item in data.items()}

    def uidvalidity(self, user: str | None = None, folder: str = "INBOX") -> int:
        with self.client(user) as c:
            return int(c.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    # ------------------------------------------------------------------ internals

    def _write_passwd(self) -> None:
        """One passwd-file per user (``users/<user>``): Dovecot sees a new account at once, whereas
        it re-reads a changed shared passwd-file at most once a second."""
        folder = self.root / "users"
        folder.mkdir(exist_ok=True)
        for user, password in self.users.items():
            if any(c in user for c in ":/\n") or user.startswith(".") or any(c in password for c in ":\n"):
                raise RigError("users of the rig may not hold ':', '/' or newlines; passwords no ':'")
            path = folder / user
            if not path.exists():
                path.write_text(f"{user}:{{PLAIN}}{password}::::::\n")
                path.chmod(0o644)

    def _write_config(self) -> None:
        r = self.root
        for sub in ("run", "state"):
            (r / sub).mkdir(exist_ok=True)
        if self.tls_files:
            ssl_block = (
                "ssl = yes\n"
                f"ssl_cert = <{self.tls_files.cert}\n"
                f"ssl_key = <{self.tls_files.key}\n"
                "ssl_min_protocol = TLSv1.2\n"
            )
            imaps = f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {self.imaps_port}\n  }}\n"
        else:
            ssl_block = "ssl = no\n"
            imaps = "  inet_listener imaps {\n    port = 0\n  }\n"
        self.config_file.write_text(
            f"""# written by tests/rig/dovecot.py
instance_name = {self.instance_name}
base_dir = {r}/run
state_dir = {r}/state
log_path = {self.log_file}
info_log_path = {self.log_file}
protocols = imap
listen = 127.0.0.1
default_login_user = dovenull
default_internal_user = dovecot
{ssl_block}disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
mail_fsync = never
postmaster_address = postmaster@xjzj.gov.cn
lda_mailbox_autocreate = yes
first_valid_uid = 1
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {r}/users/%u
}}
userdb {{
  driver = passwd-file
  args = {r}/users/%u
  override_fields = uid={MAIL_UID} gid={MAIL_GID} home={self.mail_root}/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
{imaps}}}
# SASL for the rig's Postfix (tests/rig/postfix.py: smtpd_sasl_type = dovecot, path auth_socket)
service auth {{
  unix_listener auth-postfix {{
    mode = 0666
  }}
}}
# no growing "auth penalty" (up to 15 s per login from 127.0.0.1) after wrong-password tests
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""
        )

    def _wait_greeting(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(200).startswith(b"* OK"):
                        return True
            except OSError:
                pass
            time.sleep(0.03)
        return False


def _s(flag: bytes | str) -> str:
    return flag.decode() if isinstance(flag, bytes) else flag


def _appenduid(resp: bytes | str) -> int:
    text = _s(resp)
    # b'[APPENDUID 1700000000 5] Append completed.'
    if "APPENDUID" in text:
        return int(text.split("APPENDUID", 1)[1].split("]", 1)[0].split()[1])
    raise RigError(f"server did not report APPENDUID: {text!r}")


def ssl_context_for(dovecot: Dovecot) -> ssl.SSLContext:
    """A client context that trusts the rig's self-signed certificate."""
    return ssl.create_default_context(cafile=str(dovecot.ca_file) if dovecot.ca_file else None)
