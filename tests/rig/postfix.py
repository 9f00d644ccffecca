"""A private, strict Postfix 3.7 on loopback in front of the rig's Dovecot and aiosmtpd sink.

Usage::

    with Postfix(dovecot, sink) as mta:
        settings = mta.settings("jbgs@xjzj.gov.cn")     # SmtpSettings: STARTTLS, SASL, the rig's CA
        ...                                            # mail to @xjzj.gov.cn lands in Dovecot's Maildirs,
        mta.wait_delivered(...)                        # everything else is relayed to ``sink``

What a real submission server does, and mailbot's replies must pass:

- its own config directory (``postfix -c DIR start``), queue and data folders under /tmp, ``chroot = n``,
  listening on 127.0.0.1 and one free port (the "submission" service);
- STARTTLS required (``smtpd_tls_security_level = encrypt``) with a throwaway certificate (:attr:`ca_file`),
  AUTH only after TLS, SASL checked by the rig's Dovecot (its ``auth-postfix`` listener);
- ``reject_sender_login_mismatch``: a login may only send as its own address (:attr:`sender_owners`
  adds more), else ``553 5.7.1 … Sender address rejected: not owned by user`` (at RCPT: Postfix delays
  rejections by default);
- ``strict_rfc821_envelopes``, ``strict_8bitmime``, ``smtpd_forbid_bare_newline``, a required and valid
  HELO; ``smtputf8_enable`` as asked (``smtputf8=False``: no SMTPUTF8 offered; with it, 8-bit headers
  are allowed, as RFC 6532 requires, and only 8-bit bodies are checked);
- recipients whose local part starts with ``refused`` get ``550 5.1.1`` at RCPT (a regexp
  ``check_recipient_access`` map);
- ``rate_limit=N``: the N+1st MAIL FROM within a minute gets ``450 4.7.1 Error: too much mail from …``
  (``smtpd_client_message_rate_limit`` through anvil; loopback is not exempt);
- ``connection_rate_limit=N``: the N+1st connection within a minute is greeted with ``421 4.7.0 …
  Error: too many connections from …`` (``smtpd_client_connection_rate_limit``; the start-up greeting
  probe counts as one).

Start-up traps measured on Debian 12 (see /work/shared/RIG-NOTES.md): ``maillog_file`` must be covered by
``maillog_file_prefixes`` (else ``postfix start`` exits 1 silently), ``data_directory`` must be owned
by ``postfix``.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from mailbot.config.settings import SmtpSettings
from tests.rig import RigError, TLSFiles, free_port, make_self_signed, register_cleanup, wait_until
from tests.rig.dovecot import MAIL_GID, MAIL_UID, Dovecot
from tests.rig.smtpsink import SmtpSink

POSTFIX = "/usr/sbin/postfix"
DEBIAN_MASTER_CF = Path("/etc/postfix/master.cf")
LOCAL_DOMAIN = "xjzj.gov.cn"
REFUSED_PREFIX = "refused"  # refused@…, refused-2@…: 550 5.1.1 at RCPT
RATE_LIMIT_REPLY = "450 4.7.1"


class Postfix:
    """A standalone Postfix serving SMTP (STARTTLS + SASL) on 127.0.0.1:``port``."""

    def __init__(
        self,
        dovecot: Dovecot,
        sink: SmtpSink,
        *,
        smtputf8: bool = True,
        rate_limit: int | None = None,
        connection_rate_limit: int | None = None,
        sender_owners: dict[str, str] | None = None,
    ) -> None:
        if not Path(POSTFIX).exists():
            raise RigError(f"{POSTFIX} not found: install postfix (scripts/test does)")
        if not dovecot.running:
            raise RigError("the rig's Postfix needs a started Dovecot (SASL and the Maildirs)")
        self.dovecot = dovecot
        self.sink = sink
        self.smtputf8 = smtputf8
        self.rate_limit = rate_limit
        self.connection_rate_limit = connection_rate_limit
        self.sender_owners: dict[str, str] = dict(sender_owners or {})  # address → the login owning it
        self.root = Path(tempfile.mkdtemp(prefix="mailbot-postfix-", dir="/tmp"))
        self.root.chmod(0o755)
        self.config_dir = self.root / "etc"
        self.queue_dir = self.root / "queue"
        self.data_dir = self.root / "data"
        self.log_file = self.root / "log" / "postfix.log"
        for d in (self.config_dir, self.queue_dir, self.data_dir, self.log_file.parent):
            d.mkdir()
        shutil.chown(self.data_dir, "postfix", "postfix")
        self.tls_files: TLSFiles = make_self_signed(self.config_dir)
        self.syslog_name = f"mailbot-postfix-{uuid.uuid4().hex[:8]}"
        self.port = 0
        self.started_in: float | None = None  # seconds `postfix start` took until the greeting
        self._started = False
        self._unregister = register_cleanup(self, self.close)

    # ------------------------------------------------------------------ lifecycle

    @property
    def ca_file(self) -> Path:
        return self.tls_files.cert

    @property
    def running(self) -> bool:
        return self._started

    def start(self, timeout: float = 20.0) -> Postfix:
        if self._started:
            return self
        t0 = time.monotonic()
        for _attempt in range(3):
            self.port = free_port()
            self._write_config()
            res = self._postfix("start")
            if res.returncode == 0 and self._wait_greeting(timeout):
                self._started = True
                self.started_in = time.monotonic() - t0
                return self
            self._postfix("stop")
            if "Address already in use" not in self.read_log():
                break
        raise RigError(
            f"Postfix did not start on 127.0.0.1:{self.port} (exit {res.returncode}): "
            f"{res.stdout}{res.stderr}\nlog:\n{self.read_log()[-3000:]}"
        )

    def reload(self) -> None:
        """Re-read the maps and main.cf (after :meth:`add_mailbox` or a change of the settings)."""
        self._write_config()
        res = self._postfix("reload")
        if res.returncode != 0:
            raise RigError(f"postfix reload failed: {res.stdout}{res.stderr}")

    def stop(self) -> None:
        if self._started:
            self._postfix("stop")
            self._started = False

    def close(self) -> None:
        self.stop()
        # `postfix stop` returns before every child is gone; give them a moment, then kill by master pid
        pid_file = self.queue_dir / "pid" / "master.pid"
        with contextlib.suppress(OSError, ValueError):
            pid = int(pid_file.read_text().strip())
            if not wait_until(lambda: not _alive(pid), timeout=5):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 9)
        self._unregister()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Postfix:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read_log(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_file.read_text(errors="replace")
        return ""

    # ------------------------------------------------------------------ clients

    def settings(
        self, user: str | None = None, password: str | None = None, **overrides: Any
    ) -> SmtpSettings:
        """:class:`SmtpSettings` for mailbot: STARTTLS on :attr:`port`, login ``user`` (a Dovecot account)."""
        user = user or self.dovecot.user
        values: dict[str, Any] = dict(
            host="127.0.0.1",
            port=self.port,
            user=user,
            password=password if password is not None else self.dovecot.password(user),
            tls="starttls",
            ca_file=self.ca_file,
            timeout=15.0,
        )
        values.update(overrides)
        return SmtpSettings(**values)

    def wait_queue_empty(self, timeout: float = 15.0) -> bool:
        """True once Postfix has delivered or bounced everything it accepted (``postqueue -p`` empty)."""

        def empty() -> bool:
            res = subprocess.run(
                ["postqueue", "-c", str(self.config_dir), "-j"], capture_output=True, text=True, timeout=10
            )
            return res.returncode == 0 and not res.stdout.strip()

        return wait_until(empty, timeout, interval=0.1)

    def log_lines(self, pattern: str) -> list[str]:
        rx = re.compile(pattern)
        return [line for line in self.read_log().splitlines() if rx.search(line)]

    # ------------------------------------------------------------------ internals

    def _postfix(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [POSTFIX, "-c", str(self.config_dir), *args],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )

    def _write_config(self) -> None:
        c = self.config_dir
        users = list(self.dovecot.users)
        # virtual(8) delivers into Dovecot's Maildirs (mail_location = maildir:~/Maildir, home mail/<user>)
        (c / "vmailbox").write_text("".join(f"{u} {u}/Maildir/\n" for u in users))
        owners = {u: u for u in users} | {a: login for a, login in self.sender_owners.items()}
        (c / "sender_logins").write_text("".join(f"{a} {login}\n" for a, login in owners.items()))
        (c / "recipient_access").write_text(
            f"/^{REFUSED_PREFIX}([-+.][^@]*)?@/ 550 5.1.1 no such user (mailbot rig)\n"
        )
        uid, gid = pwd.getpwnam(MAIL_UID).pw_uid, grp.getgrnam(MAIL_GID).gr_gid
        rate = "".join(
            (
                f"smtpd_client_message_rate_limit = {self.rate_limit}\n"
                if self.rate_limit is not None
                else "",
                f"smtpd_client_connection_rate_limit = {self.connection_rate_limit}\n"
                if self.connection_rate_limit is not None
                else "",
            )
        )
        if rate:
            rate += "anvil_rate_time_unit = 60s\nsmtpd_client_event_limit_exceptions =\n"
        # SMTPUTF8 mail has 8-bit headers by definition (RFC 6532; Postfix's own Received: too), so a
        # server offering it checks only 8-bit bodies; without it, strict_8bitmime covers headers too
        strict_8bit = (
            "strict_8bitmime_body = yes\nstrict_7bit_headers = no"
            if self.smtputf8
            else "strict_8bitmime = yes"
        )
        (c / "main.cf").write_text(
            f"""# written by tests/rig/postfix.py
compatibility_level = 3.6
config_directory = {c}
queue_directory = {self.queue_dir}
data_directory = {self.data_dir}
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
syslog_name = {self.syslog_name}
maillog_file = {self.log_file}
maillog_file_prefixes = {self.root}
import_environment = MAIL_CONFIG MAIL_DEBUG LANG=C TZ
myhostname = mx.{LOCAL_DOMAIN}
mydomain = {LOCAL_DOMAIN}
myorigin = $mydomain
mydestination =
local_recipient_maps =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
biff = no
alias_maps =
alias_database =

# local domain → Dovecot's Maildirs; the rest → the aiosmtpd sink
virtual_mailbox_domains = {LOCAL_DOMAIN}
virtual_mailbox_base = {self.dovecot.mail_root}
virtual_mailbox_maps = texthash:{c}/vmailbox
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
virtual_minimum_uid = 1
relayhost = [127.0.0.1]:{self.sink.port}
smtp_tls_security_level = none

# a strict submission server
smtpd_banner = $myhostname ESMTP mailbot rig
smtputf8_enable = {"yes" if self.smtputf8 else "no"}
smtpd_tls_security_level = encrypt
smtpd_tls_auth_only = yes
smtpd_tls_cert_file = {self.tls_files.cert}
smtpd_tls_key_file = {self.tls_files.key}
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {self.dovecot.auth_socket}
smtpd_sender_login_maps = texthash:{c}/sender_logins
smtpd_helo_required = yes
smtpd_helo_restrictions = reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname
smtpd_sender_restrictions = reject_sender_login_mismatch, reject_non_fqdn_sender
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access regexp:{c}/recipient_access, reject_non_fqdn_recipient
strict_rfc821_envelopes = yes
{strict_8bit}
smtpd_forbid_bare_newline = yes
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
{rate}"""
        )
        (c / "master.cf").write_text(_master_cf(self.port))

    def _wait_greeting(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    if s.recv(200).startswith(b"220 "):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False


def _master_cf(port: int) -> str:
    """Debian's master.cf with every service unchrooted and smtpd on 127.0.0.1:``port`` only."""
    lines = [f"127.0.0.1:{port} inet n - n - - smtpd"]
    for line in DEBIAN_MASTER_CF.read_text().splitlines():
        if not line or line[0] in "# \t":
            continue
        cols = line.split()
        if len(cols) < 8 or cols[1] == "inet" or cols[7] == "pipe":  # no other listener, no pipes
            continue
        cols[4] = "n"
        lines.append(" ".join(cols))
    return "\n".join(lines) + "\n"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
