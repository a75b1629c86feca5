"""Alert channels against real receivers on loopback: aiosmtpd and an http.server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest
from alert_servers import (
    LOOPBACK,
    LocalCA,
    WebhookReceiver,
    authenticator,
    free_port,
    make_local_ca,
    smtp_server,
)

from domainwatch.alerts import (
    MARKDOWN_LIMIT,
    AlertConfig,
    AlertConfigError,
    AlertItem,
    ChannelError,
    Digest,
    EmailChannel,
    WebhookChannel,
    contact_addresses,
    digest_subject,
    parse_alert_config,
    render_markdown,
    render_text,
    route,
    send,
    webhook_request,
)
from domainwatch.settings import Secret

RUN = 42
GENERATED = "2026-11-26T02:00:00Z"
PASSWORD = "pa55-w0rd-never-shown"
SECRET = "SEC0123456789abcdef-never-shown"
HOSTILE = ("x <script>alert(1)</script> **bold** [phish](http://evil.example) `code`"
           " \x1b[31mred\x1b[0m\r\nBcc: victim@attacker.example\r\nSubject: pwned\x07")


def item(finding_id: int, owner: str, contact: str, *, severity: str = "high",
         transition: str = "opened", name: str = "gsj.jiuquan.gov.cn",
         display: str | None = None, rule: str = "unused.offline_still_resolving",
         summary: str = "offline in the register but still resolves") -> AlertItem:
    return AlertItem(finding_id=finding_id, name=name, display_name=display or name, rule=rule,
                     severity=severity, transition=transition, summary=summary,
                     evidence={"state": "offline", "addresses": ["192.0.2.10", "192.0.2.11"]},
                     first_seen="2026-11-20T02:00:00Z", owner=owner, contact=contact)


GSJ = item(1, "酒泉市市场监督管理局", "张三 0937-1234567 zhangsan＠gsj.jiuquan.gov.cn")
PORTAL = item(2, "酒泉市人民政府", "办公室 0937-2612345", severity="medium",
              transition="resolved", name="www.jiuquan.gov.cn", rule="unused.no_dns")
OLD = item(3, "酒泉市人民政府", "办公室 0937-2612345", severity="critical",
           name="old.jiuquan.gov.cn", rule="dangling.cname")
IDN = item(4, "甘肃省人民政府", "webadmin@gansu.gov.cn；李四 lisi@gansu.gov.cn.",
           severity="info", transition="reopened", name="xn--bww729e.xn--zfr164b",
           display="酒泉.政务", rule="register.naming")
ITEMS = [GSJ, PORTAL, OLD, IDN]


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                     "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return make_local_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def digest_for(channel: EmailChannel | WebhookChannel, items: list[AlertItem],
               recipient: str = "webadmin@gansu.gov.cn", retries: int = 2) -> Digest:
    return Digest(channel=channel, recipient=recipient, items=items, run_id=RUN,
                  generated=GENERATED, retries=retries, backoff=0.01)


# --- routing -------------------------------------------------------------------------------

def test_contact_addresses_from_free_text() -> None:
    assert contact_addresses("张三 0937-1234567 zhangsan＠gsj.jiuquan.gov.cn") == [
        "zhangsan@gsj.jiuquan.gov.cn"]
    assert contact_addresses("邮箱:Li.Si@GanSu.gov.cn，电话 0931-1；mailto:li.si@gansu.gov.cn"
                             " 王五<wangwu@x.gov.cn>.") == ["Li.Si@gansu.gov.cn",
                                                          "wangwu@x.gov.cn"]
    assert contact_addresses("办公室 0937-2612345") == []
    assert contact_addresses("a@b\r\nBcc: c@d.cn") == ["c@d.cn"]


def test_route_by_contact_defaults_and_owner_filter() -> None:
    email = EmailChannel(LOOPBACK)
    everyone = WebhookChannel("全省", "json", Secret("http://127.0.0.1/all"))
    jiuquan = WebhookChannel("酒泉", "wecom", Secret("http://127.0.0.1/jq"),
                             owners=["酒泉市人民政府", " 酒泉市市场监督管理局 "])
    nobody = WebhookChannel("兰州", "json", Secret("http://127.0.0.1/lz"),
                            owners=["兰州市人民政府"])
    config = AlertConfig(email=email, default_recipients=["webadmin@gansu.gov.cn"],
                         webhooks=[everyone, jiuquan, nobody], retries=3, backoff=0.5)
    digests = route([*ITEMS, GSJ, replace(OLD, evidence={"other": 1})], config, RUN, GENERATED)
    by_recipient = {d.recipient: [i.finding_id for i in d.items] for d in digests}
    assert by_recipient == {
        "lisi@gansu.gov.cn": [4],
        "webadmin@gansu.gov.cn": [2, 3, 4],
        "zhangsan@gsj.jiuquan.gov.cn": [1],
        "全省": [1, 2, 3, 4],
        "酒泉": [1, 2, 3],
    }
    assert [d.recipient for d in digests][-2:] == ["全省", "酒泉"]
    assert all(d.retries == 3 and d.backoff == 0.5 and d.run_id == RUN for d in digests)
    assert all(d.channel is email for d in digests[:3])


def test_route_without_contact_routing_or_email() -> None:
    config = AlertConfig(email=EmailChannel(LOOPBACK), route_by_contact=False,
                         default_recipients=["a@gansu.gov.cn", "A@gansu.gov.cn"])
    digests = route(ITEMS, config, RUN, GENERATED)
    assert [(d.recipient, len(d.items)) for d in digests] == [("a@gansu.gov.cn", 4)]
    assert route(ITEMS, AlertConfig(default_recipients=["a@gansu.gov.cn"]), RUN, GENERATED) == []
    assert route([], config, RUN, GENERATED) == []
    with pytest.raises(ValueError, match="transition"):
        route([replace(GSJ, transition="closed")], config, RUN, GENERATED)


# --- rendering -----------------------------------------------------------------------------

def test_text_grouped_by_owner_then_severity() -> None:
    text = render_text(digest_for(EmailChannel(LOOPBACK), ITEMS))
    lines = text.splitlines()
    assert lines[0] == "domainwatch 域名巡检 — run 42, 2026-11-26T02:00:00Z"
    assert lines[1] == ("新发现 opened: 2   再次出现 reopened: 1   升级 escalated: 0   "
                        "已解决 resolved: 1")
    headings = [line for line in lines if line.startswith(("==", "--"))]
    assert headings == ["== 酒泉市人民政府 (2) ==", "-- 严重 critical --", "-- 中 medium --",
                        "== 酒泉市市场监督管理局 (1) ==", "-- 高 high --",
                        "== 甘肃省人民政府 (1) ==", "-- 提示 info --"]
    assert ("  * 再次出现 reopened | info | register.naming | 酒泉.政务 (xn--bww729e.xn--zfr164b)"
            in lines)
    assert "    since 2026-11-20T02:00:00Z" in lines
    assert "    addresses: 192.0.2.10, 192.0.2.11" in lines


def test_hostile_text_is_neutralised() -> None:
    hostile = replace(GSJ, summary=HOSTILE, evidence={"title": HOSTILE * 20, "a": 1, "b": 2,
                                                     "c": 3, "d": 4},
                      owner="恶意**单位**\x1b[2J")
    digest = digest_for(WebhookChannel("g", "dingtalk", Secret("http://127.0.0.1/")), [hostile])
    text = render_text(digest)
    assert "\x1b" not in text and "\r" not in text and "\x07" not in text
    assert all(len(line) <= 240 for line in text.splitlines())
    assert "(+1 more evidence fields)" in text
    assert "\n    x <script>alert(1)</script>" in text
    markdown = render_markdown(digest)
    assert "\x1b" not in markdown and "\r" not in markdown
    assert "<script" not in markdown and "&lt;script&gt;" in markdown
    assert r"\*\*bold\*\*" in markdown and r"\[phish\]\(http://evil.example\)" in markdown
    assert r"\`code\`" in markdown and r"#### 恶意\*\*单位\*\*" in markdown
    benign = render_markdown(replace(digest, items=[GSJ]))
    assert markdown.count("**") == benign.count("**")


def test_markdown_is_capped_with_a_count_of_the_rest() -> None:
    many = [item(n, f"单位{n % 7}", "", summary="很长的说明" * 40) for n in range(200)]
    markdown = render_markdown(digest_for(WebhookChannel("g", "wecom", Secret("http://x/")), many))
    assert len(markdown.encode()) <= MARKDOWN_LIMIT
    shown = sum(line.startswith("- ") for line in markdown.splitlines())
    assert 0 < shown < 200
    assert markdown.rstrip().endswith(f"… and {200 - shown} more (另有 {200 - shown} 条未列出)")


# --- e-mail --------------------------------------------------------------------------------

@pytest.mark.world
def test_plain_smtp_delivers_digest_with_json_attachment() -> None:
    with smtp_server() as (port, recorder):
        channel = EmailChannel(LOOPBACK, port, sender="domainwatch@gansu.gov.cn", timeout=5)
        config = AlertConfig(email=channel, default_recipients=["webadmin@gansu.gov.cn"])
        digests = route(ITEMS, config, RUN, GENERATED)
        for digest in digests:
            send(digest)
    assert sorted(tuple(mail.rcpt_tos) for mail in recorder.mails) == [
        ("lisi@gansu.gov.cn",), ("webadmin@gansu.gov.cn",), ("zhangsan@gsj.jiuquan.gov.cn",)]
    mail = next(m for m in recorder.mails if m.rcpt_tos == ["webadmin@gansu.gov.cn"])
    message = mail.message
    assert mail.mail_from == "domainwatch@gansu.gov.cn"
    assert message["Subject"] == "[domainwatch] 1 new, 1 reopened, 1 resolved — run 42"
    assert message["To"] == "webadmin@gansu.gov.cn"
    assert message["From"] == "domainwatch@gansu.gov.cn"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert text == render_text(digests[1])
    assert text.index("== 酒泉市人民政府 (2) ==") < text.index("== 甘肃省人民政府 (1) ==")
    attachments = list(message.iter_attachments())
    assert [a.get_content_type() for a in attachments] == ["application/json"]
    assert attachments[0].get_filename() == "domainwatch-run-42.json"
    document = json.loads(attachments[0].get_content())
    assert document == {"run_id": RUN, "generated": GENERATED,
                        "items": [asdict(i) for i in digests[1].items],
                        "counts": {"opened": 1, "reopened": 1, "escalated": 0, "resolved": 1}}


@pytest.mark.world
def test_starttls_verified_against_local_ca(ca: LocalCA) -> None:
    with smtp_server(tls_context=ca.server_context(), require_starttls=True) as (port, recorder):
        channel = EmailChannel(LOOPBACK, port, security="starttls", ca_file=str(ca.ca_file),
                               timeout=5)
        send(digest_for(channel, [GSJ]))
        with pytest.raises(ChannelError, match="not trusted"):
            send(digest_for(replace(channel, ca_file=None), [GSJ]))
        plain = replace(channel, security="none")
        with pytest.raises(ChannelError, match="530"):
            send(digest_for(plain, [GSJ]))
    assert len(recorder.mails) == 1
    assert recorder.mails[0].message["Subject"] == "[domainwatch] 1 new — run 42"


@pytest.mark.world
def test_ssl_verified_against_local_ca(ca: LocalCA) -> None:
    with smtp_server(ssl_context=ca.server_context()) as (port, recorder):
        send(digest_for(EmailChannel(LOOPBACK, port, security="ssl", ca_file=str(ca.ca_file),
                                     timeout=5), [PORTAL]))
    assert recorder.mails[0].message["Subject"] == "[domainwatch] 1 resolved — run 42"


@pytest.mark.world
def test_auth_login_and_refusal_without_leaking_the_password(ca: LocalCA) -> None:
    with smtp_server(tls_context=ca.server_context(), require_starttls=True,
                     authenticator=authenticator("dw", PASSWORD), auth_required=True,
                     auth_require_tls=True) as (port, recorder):
        channel = EmailChannel(LOOPBACK, port, security="starttls", username="dw",
                               password=Secret(PASSWORD), ca_file=str(ca.ca_file), timeout=5)
        send(digest_for(channel, [GSJ]))
        wrong = replace(channel, password=Secret(PASSWORD + "x"))
        with pytest.raises(ChannelError) as refused:
            send(digest_for(wrong, [GSJ]))
    assert len(recorder.mails) == 1
    assert refused.value.attempts == 1 and not refused.value.transient
    assert "535" in str(refused.value) and PASSWORD not in str(refused.value)


@pytest.mark.world
def test_hostile_summary_cannot_inject_headers() -> None:
    hostile = replace(GSJ, summary=HOSTILE, owner="单位\r\nBcc: victim@attacker.example")
    with smtp_server() as (port, recorder):
        send(digest_for(EmailChannel(LOOPBACK, port, timeout=5), [hostile],
                        recipient="zhangsan@gsj.jiuquan.gov.cn"))
    mail = recorder.mails[0]
    assert mail.rcpt_tos == ["zhangsan@gsj.jiuquan.gov.cn"]
    message = mail.message
    assert message["Bcc"] is None and message.get_all("Subject") == [
        "[domainwatch] 1 new — run 42"]
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content().replace("\r\n", "\n")
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "red Bcc: victim@attacker.example Subject: pwned" in text
    document = json.loads(next(message.iter_attachments()).get_content())
    assert document["items"][0]["summary"] == HOSTILE


@pytest.mark.world
def test_recipient_that_is_not_an_address_is_refused() -> None:
    with smtp_server() as (port, recorder):
        for recipient in ("a@gansu.gov.cn\r\nBcc: victim@attacker.example", "a@gansu.gov.cn\n"):
            with pytest.raises(ChannelError, match="is not an e-mail address"):
                send(digest_for(EmailChannel(LOOPBACK, port, timeout=5), [GSJ],
                                recipient=recipient))
    assert recorder.mails == []


def test_smtp_server_down_names_the_channel_not_the_password(
        monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    port = free_port()
    channel = EmailChannel(LOOPBACK, port, security="ssl", username="dw",
                           password=Secret(PASSWORD), timeout=1)
    with pytest.raises(ChannelError) as failed:
        send(digest_for(channel, [GSJ], retries=2))
    message = str(failed.value)
    assert message.startswith(f"e-mail via 127.0.0.1:{port}: delivery to webadmin@gansu.gov.cn "
                              "failed after 3 attempt(s): ")
    assert "refused" in message, "a closed port is refused at once, not waited for"
    assert waits == [0.01, 0.02], "the back-off between the attempts, doubling"
    assert PASSWORD not in message and failed.value.attempts == 3 and failed.value.transient


def test_a_secret_from_the_environment_is_read_when_a_digest_is_sent(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DW_TEST_SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("DW_TEST_HOOK_URL", raising=False)
    # nothing listens on the port: the variable is missed before any connection is tried
    email = EmailChannel(LOOPBACK, free_port(), security="ssl", username="dw", timeout=1,
                         password=Secret(variable="DW_TEST_SMTP_PASSWORD",
                                         setting="dw.toml: [alerts.email] password_env:"))
    with pytest.raises(ChannelError) as failed:
        send(digest_for(email, [GSJ], retries=2))
    assert failed.value.attempts == 1 and not failed.value.transient
    assert str(failed.value).endswith(
        "failed after 1 attempt(s): dw.toml: [alerts.email] password_env: names the "
        "environment variable DW_TEST_SMTP_PASSWORD, which is not set")
    hook = WebhookChannel("群", "dingtalk", Secret(
        variable="DW_TEST_HOOK_URL", setting="dw.toml: [[alerts.webhook]] #1 url_env:"))
    with pytest.raises(ChannelError) as failed:
        send(digest_for(hook, [GSJ], recipient=hook.name))
    assert failed.value.channel == "webhook '群' (dingtalk, URL from DW_TEST_HOOK_URL)"
    assert "DW_TEST_HOOK_URL, which is not set" in failed.value.reason
    monkeypatch.setenv("DW_TEST_HOOK_URL", "http://127.0.0.1/send?access_token=T0K3N")
    url, _ = webhook_request(digest_for(hook, [GSJ], recipient=hook.name), hook)
    assert url == "http://127.0.0.1/send?access_token=T0K3N"


# --- webhooks ------------------------------------------------------------------------------

@pytest.mark.world
def test_dingtalk_signed_markdown(receiver: WebhookReceiver) -> None:
    url = receiver.url("/robot/send?access_token=T0K")
    channel = WebhookChannel("省政务公开群", "dingtalk", Secret(url), secret=Secret(SECRET))
    digest = digest_for(channel, ITEMS, recipient=channel.name)
    before = int(time.time() * 1000)
    send(digest)
    [request] = receiver.requests
    assert request.path == "/robot/send"
    assert set(request.query) == {"access_token", "timestamp", "sign"}
    assert request.query["access_token"] == "T0K"
    timestamp = request.query["timestamp"]
    assert before <= int(timestamp) <= int(time.time() * 1000)
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert request.query["sign"] == expected
    assert request.body == {"msgtype": "markdown",
                            "markdown": {"title": digest_subject(digest),
                                         "text": render_markdown(digest)}}
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "#### 酒泉市人民政府 (2)" in request.body["markdown"]["text"]


@pytest.mark.world
def test_dingtalk_refusal_is_not_retried(receiver: WebhookReceiver) -> None:
    receiver.default = (200, {"errcode": 310000, "errmsg": "sign not match"})
    channel = WebhookChannel("群", "dingtalk",
                             Secret(receiver.url("/robot/send?access_token=T0K3N")),
                             secret=Secret(SECRET))
    with pytest.raises(ChannelError) as failed:
        send(digest_for(channel, [GSJ], recipient="群"))
    assert len(receiver.requests) == 1
    message = str(failed.value)
    assert f"webhook '群' (dingtalk, http://127.0.0.1:{receiver.port})" in message
    assert "errcode 310000 sign not match" in message
    assert SECRET not in message and "T0K3N" not in message


@pytest.mark.world
def test_wecom_markdown_and_retry_after_http_500(receiver: WebhookReceiver) -> None:
    receiver.script = [(500, {"error": "busy"})]
    channel = WebhookChannel("企业微信", "wecom",
                             Secret(receiver.url("/cgi-bin/webhook/send?key=K3Y")))
    digest = digest_for(channel, [GSJ, OLD], recipient=channel.name)
    send(digest)
    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body == {
        "msgtype": "markdown", "markdown": {"content": render_markdown(digest)}}
    assert receiver.requests[1].query == {"key": "K3Y"}


@pytest.mark.world
def test_feishu_signed_text(receiver: WebhookReceiver) -> None:
    receiver.default = (200, {"code": 0, "msg": "success", "data": {}})
    channel = WebhookChannel("飞书", "feishu",
                             Secret(receiver.url("/open-apis/bot/v2/hook/abc")),
                             secret=Secret(SECRET))
    digest = digest_for(channel, [IDN], recipient=channel.name)
    before = int(time.time())
    send(digest)
    after = int(time.time())
    [request] = receiver.requests
    timestamp = request.body["timestamp"]
    assert before <= int(timestamp) <= after
    expected = base64.b64encode(hmac.new(f"{timestamp}\n{SECRET}".encode(), b"",
                                         hashlib.sha256).digest()).decode()
    assert request.body == {"timestamp": timestamp, "sign": expected, "msg_type": "text",
                            "content": {"text": render_text(digest)}}


@pytest.mark.world
def test_feishu_status_code_failure(receiver: WebhookReceiver) -> None:
    receiver.default = (200, {"StatusCode": 19021, "StatusMessage": "sign match fail"})
    channel = WebhookChannel("飞书", "feishu", Secret(receiver.url()), secret=Secret(SECRET))
    with pytest.raises(ChannelError, match="StatusCode 19021 sign match fail"):
        send(digest_for(channel, [IDN], recipient="飞书"))


@pytest.mark.world
def test_generic_json(receiver: WebhookReceiver) -> None:
    receiver.default = (204, None)
    channel = WebhookChannel("soc", "json", Secret(receiver.url("/ingest")))
    digest = digest_for(channel, [GSJ, PORTAL], recipient="soc")
    send(digest)
    [request] = receiver.requests
    assert request.body == {
        "run_id": RUN, "generated": GENERATED, "items": [asdict(GSJ), asdict(PORTAL)],
        "counts": {"opened": 1, "reopened": 0, "escalated": 0, "resolved": 1}}


@pytest.mark.world
def test_timeout_retried_then_channel_error(receiver: WebhookReceiver) -> None:
    receiver.script = ["hang", "hang"]
    channel = WebhookChannel("soc", "json", Secret(receiver.url()), timeout=0.3)
    with pytest.raises(ChannelError, match=r"after 2 attempt\(s\): no answer within 0.3 s"):
        send(digest_for(channel, [GSJ], recipient="soc", retries=1))
    # The receiver holds each request until the test ends: the client's timeout ended both
    # attempts (had it waited, the receiver's hang would end in a dropped connection).
    assert len(receiver.requests) == 2


@pytest.mark.world
def test_webhook_down_and_persistent_errors() -> None:
    channel = WebhookChannel("群", "dingtalk", Secret(f"http://127.0.0.1:{free_port()}/send"),
                             secret=Secret(SECRET))
    with pytest.raises(ChannelError, match="refused") as failed:
        send(digest_for(channel, [GSJ], recipient="群", retries=1))
    assert failed.value.attempts == 2 and SECRET not in str(failed.value)
    with WebhookReceiver() as receiver:
        receiver.default = (503, {})
        with pytest.raises(ChannelError, match="HTTP 503"):
            send(digest_for(replace(channel, url=Secret(receiver.url())), [GSJ], retries=2))
        assert len(receiver.requests) == 3


@pytest.mark.world
def test_https_webhook_verified_against_local_ca(ca: LocalCA) -> None:
    with WebhookReceiver(tls=ca.server_context()) as receiver:
        channel = WebhookChannel("soc", "json", Secret(receiver.url()), ca_file=str(ca.ca_file))
        send(digest_for(channel, [GSJ], recipient="soc"))
        with pytest.raises(ChannelError, match="not trusted"):
            send(digest_for(replace(channel, ca_file=None), [GSJ], recipient="soc"))
        with pytest.raises(ChannelError, match="No such file"):
            send(digest_for(replace(channel, ca_file="/nonexistent.pem"), [GSJ], retries=0))
        assert len(receiver.requests) == 1


# --- configuration -------------------------------------------------------------------------

def test_parse_full_config(ca: LocalCA) -> None:
    config = parse_alert_config({
        "default_recipients": ["webadmin@gansu.gov.cn"], "route_by_contact": False,
        "retries": 1, "backoff": 0.5,
        "email": {"host": "smtp.gansu.gov.cn", "security": "starttls", "username": "dw",
                  "password": PASSWORD, "sender": "domainwatch@gansu.gov.cn",
                  "ca_file": str(ca.ca_file)},
        "webhook": [{"name": "省政务公开群", "kind": "dingtalk",
                     "url": "https://oapi.dingtalk.com/robot/send?access_token=x",
                     "secret": SECRET, "owners": ["酒泉市人民政府"], "timeout": 5}],
    }, "dw.toml")
    assert config == AlertConfig(
        email=EmailChannel("smtp.gansu.gov.cn", 587, "starttls", "dw", Secret(PASSWORD),
                           "domainwatch@gansu.gov.cn", 10.0, str(ca.ca_file)),
        default_recipients=["webadmin@gansu.gov.cn"], route_by_contact=False,
        webhooks=[WebhookChannel("省政务公开群", "dingtalk",
                                 Secret("https://oapi.dingtalk.com/robot/send?access_token=x"),
                                 Secret(SECRET), ["酒泉市人民政府"], 5.0)],
        retries=1, backoff=0.5)
    assert parse_alert_config({}, "dw.toml") == AlertConfig()


MAIL = {"host": "smtp.gansu.gov.cn"}
RCPT = ["webadmin@gansu.gov.cn"]
HOOK = {"name": "群", "kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send"}


@pytest.mark.parametrize(("table", "setting"), [
    ({"recipients": RCPT}, "[alerts] has no setting 'recipients'"),
    ({"default_recipients": "webadmin@gansu.gov.cn", "email": MAIL},
     "[alerts] default_recipients: must be a list, not a string"),
    ({"default_recipients": ["webadmin at gansu"], "email": MAIL},
     "[alerts] default_recipients: 'webadmin at gansu' is not an e-mail address"),
    ({"email": MAIL}, "[alerts] default_recipients: must name at least one address"),
    ({"default_recipients": RCPT}, "[alerts] default_recipients: is set but there is no"),
    ({"route_by_contact": "yes"}, "[alerts] route_by_contact: must be true or false, not a string"),
    ({"retries": -1}, "[alerts] retries: must be 0 or more"),
    ({"default_recipients": RCPT, "email": {}}, "[alerts.email] host: is required"),
    ({"default_recipients": RCPT, "email": {**MAIL, "security": "tls"}},
     "[alerts.email] security: 'tls' is not one of none, starttls, ssl"),
    ({"default_recipients": RCPT, "email": {**MAIL, "port": 70000}}, "[alerts.email] port:"),
    ({"default_recipients": RCPT, "email": {**MAIL, "port": "25"}},
     "[alerts.email] port: must be an integer, not a string"),
    ({"default_recipients": RCPT, "email": {**MAIL, "user": "dw"}},
     "[alerts.email] has no setting 'user'"),
    ({"default_recipients": RCPT, "email": {**MAIL, "username": "dw", "security": "ssl"}},
     "[alerts.email] password: username and password go together"),
    ({"default_recipients": RCPT, "email": {**MAIL, "username": "dw", "password": "p"}},
     "[alerts.email] security: \"starttls\" or \"ssl\" is needed"),
    ({"default_recipients": RCPT, "email": {**MAIL, "sender": "domainwatch"}},
     "[alerts.email] sender: 'domainwatch' is not an e-mail address"),
    ({"default_recipients": RCPT, "email": {**MAIL, "ca_file": "/nonexistent/ca.pem"}},
     "[alerts.email] ca_file: /nonexistent/ca.pem is not a readable file"),
    ({"default_recipients": RCPT, "email": {"host": "smtp\r\nRCPT TO:<x@y.cn>"}},
     "[alerts.email] host: must be non-empty text without control characters"),
    ({"default_recipients": RCPT, "email": {**MAIL, "timeout": 0}},
     "[alerts.email] timeout: must be greater than 0"),
    ({"webhook": HOOK}, "[alerts] webhook: must be an array of tables"),
    ({"webhook": [{**HOOK, "kind": "slack"}]},
     "[[alerts.webhook]] #1 kind: 'slack' is not one of dingtalk, wecom, feishu, json"),
    ({"webhook": [{**HOOK, "url": "ftp://oapi.dingtalk.com/"}]}, "[[alerts.webhook]] #1 url:"),
    ({"webhook": [{**HOOK, "url": "javascript:alert(1)"}]}, "[[alerts.webhook]] #1 url:"),
    ({"webhook": [{**HOOK, "kind": "wecom", "secret": SECRET}]},
     "[[alerts.webhook]] #1 secret: kind wecom is not signed"),
    ({"webhook": [{**HOOK, "owners": "酒泉市人民政府"}]},
     "[[alerts.webhook]] #1 owners: must be a list"),
    ({"webhook": [{"kind": "json", "url": "http://127.0.0.1/"}]},
     "[[alerts.webhook]] #1 name: is required"),
    ({"webhook": [HOOK, HOOK]}, "[[alerts.webhook]] #2 name: '群' is used by an earlier"),
    ({"webhook": ["https://oapi.dingtalk.com/"]}, "[[alerts.webhook]] #1 must be a table"),
])
def test_bad_config_names_the_setting(table: dict[str, Any], setting: str) -> None:
    with pytest.raises(AlertConfigError) as failed:
        parse_alert_config(table, "dw.toml")
    message = str(failed.value)
    assert message.startswith("dw.toml: ") and setting in message, message
    assert "\n" not in message and SECRET not in message


def test_config_file_round_trip(tmp_path: Path) -> None:
    import tomllib

    document = tomllib.loads("""
        [alerts]
        default_recipients = ["webadmin@gansu.gov.cn"]
        [alerts.email]
        host = "127.0.0.1"
        port = 2525
        [[alerts.webhook]]
        name = "省政务公开群"
        kind = "json"
        url = "http://127.0.0.1:8080/hook"
    """)
    config = parse_alert_config(document["alerts"], "dw.toml")
    assert config.email == EmailChannel("127.0.0.1", 2525)
    assert [w.name for w in config.webhooks] == ["省政务公开群"]
