"""Tests for mailbot.judge.olddomain: the retired xjnewqi.gov.cn domain (新质监办发〔2012〕24号)."""

from __future__ import annotations

import pytest

from mailbot.judge.olddomain import DEFAULT_POLICY, DomainPolicy, find_old_domain, is_old_domain, new_address
from mailbot.model import ParsedMail


def _mail(
    *,
    from_addr: str = "bgs@bz.xjzj.gov.cn",
    to: tuple[str, ...] = ("jbgs@xjzj.gov.cn",),
    cc: tuple[str, ...] = (),
    delivered_to: tuple[str, ...] = (),
) -> ParsedMail:
    return ParsedMail(
        message_id="m1@example",
        subject="政务信息",
        from_addr=from_addr,
        from_name="",
        to=to,
        cc=cc,
        delivered_to=delivered_to,
        reply_to=(),
        return_path=None,
        date=None,
        in_reply_to=None,
        references=(),
        headers={},
        text="",
        html=None,
        attachments=(),
    )


@pytest.mark.parametrize(
    ("addr", "expected"),
    [
        ("jbgs@xjnewqi.gov.cn", "jbgs@xjzj.gov.cn"),  # the notice's own example
        ("JBGS@XJNEWQI.GOV.CN", "JBGS@xjzj.gov.cn"),  # case-insensitive domain, local part kept
        ("<tjc@xjnewqi.gov.cn>", "tjc@xjzj.gov.cn"),
        ("bzzj@xjnewqi.gov.cn.", "bzzj@xjzj.gov.cn"),  # trailing root dot
        ("jbgs@xjzj.gov.cn", "jbgs@xjzj.gov.cn"),  # already new: unchanged
        ("a@mail.xjnewqi.gov.cn", "a@mail.xjnewqi.gov.cn"),  # subdomain: not the old domain
        ("zjxc12365@163.com", "zjxc12365@163.com"),
        ("not-an-address", "not-an-address"),
    ],
)
def test_new_address(addr: str, expected: str) -> None:
    assert new_address(addr) == expected


def test_is_old_domain_exact_only() -> None:
    assert is_old_domain("x@xjnewqi.gov.cn")
    assert is_old_domain("x@XjNewQi.Gov.Cn")
    assert not is_old_domain("x@sub.xjnewqi.gov.cn")
    assert not is_old_domain("x@xjnewqi.gov.cn.evil.com")
    assert not is_old_domain("xjnewqi.gov.cn")  # no local part
    assert not is_old_domain("@xjnewqi.gov.cn")


def test_clean_mail_has_no_hit() -> None:
    assert find_old_domain(_mail()) is None


def test_hit_in_to_only() -> None:
    hit = find_old_domain(_mail(to=("jbgs@xjnewqi.gov.cn",)))
    assert hit is not None
    assert hit.addresses == (("to", "jbgs@xjnewqi.gov.cn"),)
    assert hit.places == ("to",)
    assert hit.sender_on_old_domain is False
    assert hit.suggested_sender_address is None


def test_hit_in_every_place_in_order() -> None:
    mail = _mail(
        from_addr="bzzj@xjnewqi.gov.cn",
        to=("JBGS@XJNEWQI.GOV.CN", "jbgs@xjzj.gov.cn"),
        cc=("tjc@xjnewqi.gov.cn",),
        delivered_to=("jbgs@xjnewqi.gov.cn",),
    )
    hit = find_old_domain(mail)
    assert hit is not None
    assert hit.addresses == (
        ("to", "jbgs@xjnewqi.gov.cn"),
        ("cc", "tjc@xjnewqi.gov.cn"),
        ("delivered_to", "jbgs@xjnewqi.gov.cn"),
        ("from", "bzzj@xjnewqi.gov.cn"),
    )
    assert hit.places == ("to", "cc", "delivered_to", "from")
    assert hit.sender_on_old_domain is True
    assert hit.suggested_sender_address == "bzzj@xjzj.gov.cn"


def test_sender_only() -> None:
    hit = find_old_domain(_mail(from_addr="Bzzj@xjnewqi.gov.cn"))
    assert hit is not None
    assert hit.places == ("from",)
    assert hit.suggested_sender_address == "bzzj@xjzj.gov.cn"


def test_duplicates_are_listed_once() -> None:
    hit = find_old_domain(_mail(to=("jbgs@xjnewqi.gov.cn", "JBGS@xjnewqi.gov.cn")))
    assert hit is not None
    assert hit.addresses == (("to", "jbgs@xjnewqi.gov.cn"),)


def test_subdomain_is_not_matched() -> None:
    assert find_old_domain(_mail(to=("jbgs@mail.xjnewqi.gov.cn",), from_addr="a@www.xjnewqi.gov.cn")) is None


def test_custom_policy() -> None:
    policy = DomainPolicy(old_domains=("xjnewqi.gov.cn", "mail.xjnewqi.gov.cn"), new_domain="xjzj.gov.cn")
    hit = find_old_domain(_mail(to=("jbgs@mail.xjnewqi.gov.cn",)), policy)
    assert hit is not None and hit.places == ("to",)
    assert new_address("jbgs@mail.xjnewqi.gov.cn", policy) == "jbgs@xjzj.gov.cn"
    other = DomainPolicy(old_domains=("old.example",), new_domain="new.example")
    assert find_old_domain(_mail(to=("jbgs@xjnewqi.gov.cn",)), other) is None
    assert new_address("a@OLD.example", other) == "a@new.example"


def test_default_policy_matches_the_notice() -> None:
    assert DEFAULT_POLICY.old_domains == ("xjnewqi.gov.cn",)
    assert DEFAULT_POLICY.new_domain == "xjzj.gov.cn"
