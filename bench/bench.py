"""mailbot benchmarks: print the figures of issue 7 in one run (never a timed test).

    .venv/bin/python bench/bench.py                  # everything, N=2000, 3 runs each
    .venv/bin/python bench/bench.py --n 5000 --runs 3 --only limit,e2e

Starts the project's own rig (tests/rig: Dovecot on loopback, aiosmtpd sink), seeds mailboxes with
IMAP MULTIAPPEND (RFC 3502) and prints, for each figure, the median of ``--runs`` runs and the spread:

- limit:    raw FETCH of the mailbox + mail-parser ``parse_from_bytes`` + one SMTP reply per message
- e2e:      ``mailbot poll --once`` on the same backlog (fetch → parse → classify → judge → store →
            receipts sent), msg/s and the ratio to the limit
- latency:  the daemon idling (IDLE); APPEND a report → its receipt at the sink (median, p95, max)
- rss:      peak RSS of ``mailbot poll --once`` on a message with a 40 MB attachment, and on a
            backlog of 10,000 messages
- digest:   digest build time over a year of synthetic data (100,000 submissions, 120 units),
            when ``mailbot.digest`` is available
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.rig.dovecot import Dovecot  # noqa: E402
from tests.rig.smtpsink import SmtpSink  # noqa: E402

CST = ZoneInfo("Asia/Shanghai")
UNITS_CSV = ROOT / "examples" / "units.csv"
UNITS = ["wlmqzjj", "cjzjj", "ylzjj", "kszjj", "klmyzjj", "hmzjj", "bzzjj", "akszjj", "tczjj", "htzjj"]


# --------------------------------------------------------------------------- mail


def mixed_mail(i: int, rng: random.Random) -> bytes:
    """A realistic report of 5–200 KB: Chinese text, sometimes a Word-sized or PDF-sized attachment."""
    sent = datetime(2026, 11, 2, 9, 0, tzinfo=CST) + timedelta(minutes=7 * i)
    unit = UNITS[i % len(UNITS)]
    urgent = i % 9 == 0
    event = sent - (timedelta(minutes=40) if urgent else timedelta(days=1))
    subject = (
        f"【紧急】{unit}关于辖区一起锅炉泄漏事故的报告（{i}）"
        if urgent
        else f"{unit}开展冬季特种设备安全专项检查工作情况（{i}）"
    )
    para = (
        f"{event.month}月{event.day}日{event.hour}时{event.minute}分许，我局组织开展冬季特种设备安全专项检查，"
        "共检查使用单位十二家，电梯二十五台，锅炉八台，发现并督促整改隐患六处，约谈使用单位负责人三人。"
    )
    body = (
        "区局办公室：\n"
        + "\n".join(para for _ in range(rng.randint(3, 30)))
        + f"\n\n{unit}\n{sent:%Y年%m月%d日}\n"
    )
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{unit}@xjzj.gov.cn"
    msg["To"] = "jbgs@xjzj.gov.cn"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = f"<bench-{i}-{rng.getrandbits(40):x}@bench.xjzj.gov.cn>"
    msg.set_content(body, charset="utf-8")
    roll = rng.random()
    if roll < 0.25:
        size = rng.randint(40_000, 150_000)
        msg.add_attachment(
            rng.randbytes(size), maintype="application", subtype="pdf", filename=f"附件{i}.pdf"
        )
    elif roll < 0.30:
        msg.add_attachment(
            rng.randbytes(180_000),
            maintype="application",
            subtype="octet-stream",
            filename=f"现场照片{i}.jpg",
        )
    return msg.as_bytes()


def big_mail(megabytes: int) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "wlmqzjj@xjzj.gov.cn"
    msg["To"] = "jbgs@xjzj.gov.cn"
    msg["Subject"] = "乌鲁木齐市质监局报送检查现场视频资料"
    msg["Date"] = format_datetime(datetime(2026, 11, 20, 10, 0, tzinfo=CST))
    msg["Message-ID"] = f"<big-{megabytes}@bench.xjzj.gov.cn>"
    msg.set_content("11月19日，我局开展电梯安全检查，现场视频见附件。", charset="utf-8")
    msg.add_attachment(
        os.urandom(megabytes * 1024 * 1024), maintype="video", subtype="mp4", filename="现场视频.mp4"
    )
    return msg.as_bytes()


# --------------------------------------------------------------------------- helpers


def summary(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.1f}"
    med = statistics.median(values)
    return f"{med:.1f} (runs {', '.join(f'{v:.1f}' for v in values)}; spread ±{(max(values) - min(values)) / 2:.1f})"


def env_for(dovecot: Dovecot, user: str, sink: SmtpSink, db: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MAILBOT_DATABASE_URL": f"sqlite:///{db}",
        "MAILBOT_IMAP_URL": dovecot.url(user),
        "MAILBOT_SMTP_URL": f"smtp://127.0.0.1:{sink.port}?tls=none",
    }


def bench_config(folder: Path) -> Path:
    path = folder / "bench.toml"
    path.write_text(
        '[general]\nlog_level = "WARNING"\n'
        '[[imap]]\nname = "main"\nurl = "imap://x@127.0.0.1/INBOX?tls=none"\nbatch_size = 200\n'
        "poll_interval = 1\n"
        "[office]\nalert_recipients = []\nnotify = []\n"
        "[replies]\nrate_limit_count = 1000000\n"
        "[outbox]\ninterval_seconds = 0.2\n",
        encoding="utf-8",
    )
    return path


CHILD_CPU: list[float] = []  # CPU seconds (user + sys) of each run_child, its own reaped children included


def run_child(args: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """(seconds, exit code, peak RSS in KB) of a child process (its own VmHWM when run through bench/peak.py).
    Its CPU time (with the children it waited for, e.g. the prepare worker) is appended to CHILD_CPU."""
    peak_file = Path(tempfile.mkstemp(prefix="mailbot-peak-")[1])
    env = {**env, "MAILBOT_BENCH_PEAK_FILE": str(peak_file)}
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    CHILD_CPU.append(usage.ru_utime + usage.ru_stime)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        print(f"   child failed ({proc.returncode}): {err[-2000:]}")
    if proc.stderr:
        proc.stderr.close()
    # wait4's ru_maxrss includes this (parent) process's high-water mark, carried over vfork + exec on Linux
    peak = peak_file.read_text().strip()
    peak_file.unlink()
    return elapsed, proc.returncode, int(peak) if peak else usage.ru_maxrss


def import_units(config: Path, env: dict[str, str]) -> None:
    """The sample registry (examples/units.csv, which holds every bench sender) before the timed run: an
    address of no registered unit gets the short receipt and the loop guard's stranger limits."""
    subprocess.run(
        [sys.executable, "-m", "mailbot.cli", "--config", str(config), "units", "import", str(UNITS_CSV)],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        check=True,
    )


def mailbot_cmd(config: Path, *args: str) -> list[str]:
    return [sys.executable, str(ROOT / "bench" / "peak.py"), "--config", str(config), *args]


# --------------------------------------------------------------------------- figures


LIMIT_CPU: list[float] = []  # CPU seconds of each limit run (this process: the SMTP sink's thread included)


def limit_once(dovecot: Dovecot, user: str, sink: SmtpSink) -> float:
    import mailparser
    from imapclient import IMAPClient

    start = time.perf_counter()
    cpu = time.process_time()
    client = IMAPClient("127.0.0.1", dovecot.port, ssl=False)
    client._imap.debug = 0
    client.login(user, dovecot.password(user))
    client.select_folder("INBOX", readonly=True)
    uids = client.search("ALL")
    smtp = smtplib.SMTP("127.0.0.1", sink.port)
    n = 0
    for i in range(0, len(uids), 200):
        data = client.fetch(uids[i : i + 200], ["BODY.PEEK[]", "INTERNALDATE"])
        for item in data.values():
            mail = mailparser.parse_from_bytes(item[b"BODY[]"])
            reply = EmailMessage(policy=SMTP)
            reply["From"] = "jbgs@xjzj.gov.cn"
            reply["To"] = mail.from_[0][1] if mail.from_ else "x@y"
            reply["Subject"] = "回执 " + (mail.subject or "")
            reply.set_content("已收到。")
            smtp.send_message(reply)
            n += 1
    smtp.quit()
    client.logout()
    LIMIT_CPU.append(time.process_time() - cpu)
    return n / (time.perf_counter() - start)


def fig_limit_and_e2e(
    n: int, runs: int, rng: random.Random, tmp: Path, profile: str | None = None
) -> tuple[list[float], list[float]]:
    mails = [mixed_mail(i, rng) for i in range(n)]
    total = sum(len(m) for m in mails)
    print(f"   mailbox: {n} mixed messages, {total / 1e6:.0f} MB ({total / n / 1024:.0f} KB average)")
    limits, e2e = [], []
    with Dovecot() as dovecot, SmtpSink() as sink:
        for r in range(runs):
            user = dovecot.add_user()
            t = time.perf_counter()
            dovecot.multiappend(user, mails)
            if r == 0:
                print(f"   seeding with MULTIAPPEND: {n / (time.perf_counter() - t):.0f} msg/s")
            sink.clear()
            limits.append(limit_once(dovecot, user, sink))
            sink.clear()
            db = tmp / f"e2e-{r}.db"
            config = bench_config(tmp)
            import_units(config, env_for(dovecot, user, sink, db))
            env = env_for(dovecot, user, sink, db)
            if profile and r == 0:
                env["MAILBOT_BENCH_PROFILE"] = profile  # the first run under cProfile (slower)
            seconds, rc, _ = run_child(mailbot_cmd(config, "poll", "--once"), env)
            got = sum(1 for m in sink.messages)
            if rc != 0 or got < n:
                print(f"   run {r}: poll exited {rc}, {got} receipts for {n} messages")
            e2e.append(n / seconds)
    return limits, e2e


def fig_latency(count: int, tmp: Path) -> list[float]:
    latencies = []
    with Dovecot() as dovecot, SmtpSink() as sink:
        user = dovecot.add_user()
        config = bench_config(tmp)
        env = env_for(dovecot, user, sink, tmp / "latency.db")
        import_units(config, env)
        proc = subprocess.Popen(
            mailbot_cmd(config, "run"),
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            dovecot.append(user, mixed_mail(0, random.Random(1)))
            sink.wait_for(1, timeout=30)  # warmed up, idling
            time.sleep(1)
            for i in range(1, count + 1):
                raw = mixed_mail(i, random.Random(i))
                start = time.perf_counter()
                dovecot.append(user, raw)
                sink.wait_for(i + 1, timeout=30)
                latencies.append(time.perf_counter() - start)
                time.sleep(0.3)
        finally:
            proc.terminate()
            proc.wait(30)
    return latencies


def fig_rss(tmp: Path, backlog: int, rng: random.Random) -> tuple[int, int, int]:
    with Dovecot() as dovecot, SmtpSink() as sink:
        config = bench_config(tmp)
        user = dovecot.add_user()
        raw = big_mail(40)
        dovecot.append(user, raw)
        import_units(config, env_for(dovecot, user, sink, tmp / "big.db"))
        _, _, rss_big = run_child(
            mailbot_cmd(config, "poll", "--once"), env_for(dovecot, user, sink, tmp / "big.db")
        )
        user2 = dovecot.add_user()
        dovecot.multiappend(user2, [mixed_mail(i, rng) for i in range(backlog)])
        import_units(config, env_for(dovecot, user2, sink, tmp / "backlog.db"))
        _, _, rss_backlog = run_child(
            mailbot_cmd(config, "poll", "--once"), env_for(dovecot, user2, sink, tmp / "backlog.db")
        )
    return len(raw), rss_big, rss_backlog


def fig_digest(tmp: Path) -> float | None:
    try:
        from bench.digest_data import seed_year  # type: ignore[import-not-found]
        from mailbot import digest  # noqa: F401
    except ImportError as exc:
        print(f"   digest benchmark not available: {exc}")
        return None
    return float(seed_year(tmp))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="messages in the throughput mailbox")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--latency-count", type=int, default=20)
    ap.add_argument("--backlog", type=int, default=10_000)
    ap.add_argument("--only", default="limit,e2e,latency,rss,digest")
    ap.add_argument("--profile", help="write a cProfile of the first end-to-end run to this file")
    args = ap.parse_args()
    only = set(args.only.split(","))
    rng = random.Random(2026)
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="mailbot-bench-") as d:
        tmp = Path(d)
        if only & {"limit", "e2e"}:
            print(f"== throughput ({args.runs} runs)")
            limits, e2e = fig_limit_and_e2e(args.n, args.runs, rng, tmp, args.profile)
            print(f"   limit (FETCH + mail-parser + 1 SMTP reply): {summary(limits)} msg/s")
            print(f"   mailbot poll --once end to end:             {summary(e2e)} msg/s")
            print(f"   ratio to the limit: {statistics.median(e2e) / statistics.median(limits):.0%}")
            print(
                f"   ratio per run: {', '.join(f'{e / lim:.0%}' for e, lim in zip(e2e, limits, strict=True))}"
            )
            cpu_e2e = CHILD_CPU[-len(e2e) :]
            print(
                "   CPU ms per message: limit (bench process, SMTP sink included) "
                f"{summary([c * 1000 / args.n for c in LIMIT_CPU])}; mailbot (with its worker) "
                f"{summary([c * 1000 / args.n for c in cpu_e2e])}"
            )
            print(f"   load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if "latency" in only:
            print(f"== receipt latency, daemon idling (IDLE), {args.latency_count} messages")
            lat = sorted(fig_latency(args.latency_count, tmp))
            p95 = lat[max(0, round(0.95 * len(lat)) - 1)]
            print(f"   median {statistics.median(lat):.3f} s, p95 {p95:.3f} s, max {lat[-1]:.3f} s")
        if "rss" in only:
            print("== peak RSS")
            size, big, backlog = fig_rss(tmp, args.backlog, rng)
            print(
                f"   one message of {size / 1e6:.1f} MB (40 MB attachment): {big / 1024:.0f} MB "
                f"(target ≤ 3×{size / 1e6:.0f}+100 = {3 * size / 1e6 + 100:.0f} MB)"
            )
            print(f"   backlog of {args.backlog} messages: {backlog / 1024:.0f} MB")
        if "digest" in only:
            print("== digest over a year (100,000 submissions, 120 units)")
            seconds = fig_digest(tmp)
            if seconds is not None:
                print(f"   build time: {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
