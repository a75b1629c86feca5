"""Alert channels: a run's finding transitions as digests, delivered by e-mail and webhooks.

:func:`route` makes one :class:`Digest` per recipient (an e-mail address or a webhook),
:func:`send` delivers one, retrying transport failures and raising :class:`ChannelError` in
the end. Summaries and evidence can carry hostile text from scanned sites: every channel gets
it sanitised for its own format (control characters gone, lines capped, markdown escaped,
nothing reaching a mail header).

Delivery uses only the standard library (``smtplib``, ``urllib.request``) because the
group-bot services must be reachable at an administrator-given URL (a company proxy, the
loopback test receivers), which notification libraries that hard-code the vendors' hosts
(e.g. apprise's DingTalk/WeCom/Feishu plugins) do not allow.

The ``[alerts]`` table of the configuration file::

    [alerts]
    default_recipients = ["webadmin@gansu.gov.cn"]  # items whose entry names no e-mail address
    route_by_contact = true     # each item also to the addresses in its entry's contact
    retries = 2                 # attempts after the first, per delivery
    backoff = 1.0               # seconds before the first retry, doubling

    [alerts.email]
    host = "smtp.gansu.gov.cn"
    port = 587                  # default: 25, 587 with starttls, 465 with ssl
    security = "starttls"       # none | starttls | ssl
    username = "domainwatch"
    password = "…"              # or password_env = "VAR" / password_file = "/path"
    sender = "domainwatch@gansu.gov.cn"
    timeout = 10.0
    ca_file = "/etc/ssl/gansu-ca.pem"              # default: the system's CAs

    [[alerts.webhook]]
    name = "省政务公开群"
    kind = "dingtalk"           # dingtalk | wecom | feishu | json
    url = "https://oapi.dingtalk.com/robot/send?access_token=…"
    secret = "SEC…"             # dingtalk and feishu signing (url and secret: also _env/_file)
    owners = ["酒泉市人民政府"]   # default: every owning unit
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import re
import smtplib
import ssl
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from domainwatch import __version__
from domainwatch.config import AlertConfigError as AlertConfigError
from domainwatch.config import parse_alert_config as parse_alert_config
from domainwatch.output import render_json
from domainwatch.safety import line_safe
from domainwatch.settings import (
    EMAIL_ADDRESS,
    AlertConfig,
    EmailChannel,
    SecretUnavailable,
    WebhookChannel,
    checked_address,
    owner_key,
)

TRANSITIONS = ("opened", "reopened", "escalated", "resolved")
SEVERITIES = ("critical", "high", "medium", "low", "info")

MARKDOWN_LIMIT = 4000     # bytes; DingTalk and WeCom take about 4096 bytes of markdown
FEISHU_TEXT_LIMIT = 16000  # bytes; Feishu refuses request bodies over 20 KB
MAX_LINE = 240
EVIDENCE_FIELDS = 4
EVIDENCE_VALUE = 120
RESPONSE_LIMIT = 65536

_TRANSITION_WORDS = {"opened": "new", "reopened": "reopened", "escalated": "escalated",
                     "resolved": "resolved"}
_TRANSITION_LABELS = {"opened": "新发现 opened", "reopened": "再次出现 reopened",
                      "escalated": "升级 escalated", "resolved": "已解决 resolved"}
_SEVERITY_LABELS = {"critical": "严重 critical", "high": "高 high", "medium": "中 medium",
                    "low": "低 low", "info": "提示 info"}
NO_OWNER = "（未填写主办单位）"

_MARKDOWN_ACTIVE = re.compile(r"([\\`*_\[\]()!|~])")
_ADDRESS_IN_TEXT = re.compile(
    r"[A-Za-z0-9%+_-]+(?:\.[A-Za-z0-9%+_-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?)+")


@dataclass(frozen=True)
class AlertItem:
    finding_id: int
    name: str
    display_name: str
    rule: str
    severity: str
    transition: str
    summary: str
    evidence: dict[str, Any] = field(hash=False)
    first_seen: str
    owner: str
    contact: str


class ChannelError(Exception):
    """A delivery that failed after its retries. Never carries a password or secret.

    ``transient`` is true when the channel itself failed (unreachable, timed out, HTTP error),
    so that other deliveries through it in this run will most likely fail too; false when the
    service refused this message (bad credentials or signature, refused recipient).
    """

    def __init__(self, channel: str, recipient: str, reason: str, attempts: int,
                 transient: bool = False) -> None:
        self.channel = channel
        self.recipient = recipient
        self.reason = reason
        self.attempts = attempts
        self.transient = transient
        super().__init__(f"{channel}: delivery to {recipient} failed after {attempts} "
                         f"attempt(s): {reason}")


@dataclass
class Digest:
    channel: EmailChannel | WebhookChannel
    recipient: str
    items: list[AlertItem]
    run_id: int
    generated: str
    retries: int = 2
    backoff: float = 1.0


def contact_addresses(contact: str) -> list[str]:
    """The e-mail addresses in a register entry's free-text contact, in order, once each."""
    found: dict[str, str] = {}
    for match in _ADDRESS_IN_TEXT.finditer(unicodedata.normalize("NFKC", contact)):
        address = checked_address(match.group())
        if address is not None:
            found.setdefault(address.lower(), address)
    return list(found.values())


# --- routing -------------------------------------------------------------------------------

def route(items: list[AlertItem], config: AlertConfig, run_id: int,
          generated: str) -> list[Digest]:
    """One digest per recipient: e-mail addresses (sorted), then the webhooks in config order.

    With ``route_by_contact``, an item goes to the addresses in its entry's contact, or to
    ``default_recipients`` when the contact names none; without it, every item goes to
    ``default_recipients``. Each webhook gets the items of the owning units it covers.
    Digests without items are left out.
    """
    for item in items:
        if item.transition not in TRANSITIONS:
            raise ValueError(f"finding {item.finding_id}: unknown transition {item.transition!r}")
        if item.severity not in SEVERITIES:
            raise ValueError(f"finding {item.finding_id}: unknown severity {item.severity!r}")
    unique = list({(item.finding_id, item.transition): item for item in items}.values())

    def digest(channel: EmailChannel | WebhookChannel, recipient: str,
               chosen: Iterable[AlertItem]) -> Digest:
        return Digest(channel=channel, recipient=recipient,
                      items=list({(i.finding_id, i.transition): i for i in chosen}.values()),
                      run_id=run_id, generated=generated, retries=config.retries,
                      backoff=config.backoff)

    digests: list[Digest] = []
    if config.email is not None:
        mailboxes: dict[str, tuple[str, list[AlertItem]]] = {}
        for item in unique:
            targets = contact_addresses(item.contact) if config.route_by_contact else []
            for address in targets or config.default_recipients:
                mailboxes.setdefault(address.lower(), (address, []))[1].append(item)
        for key in sorted(mailboxes):
            address, chosen = mailboxes[key]
            digests.append(digest(config.email, address, chosen))
    for webhook in config.webhooks:
        owners = {owner_key(owner) for owner in webhook.owners}
        chosen = [item for item in unique if not owners or owner_key(item.owner) in owners]
        if chosen:
            digests.append(digest(webhook, webhook.name, chosen))
    return digests


# --- rendering -----------------------------------------------------------------------------

def escape_markdown(text: object, limit: int | None = MAX_LINE) -> str:
    """``text`` cleaned, with no character left that markdown or HTML would act on."""
    escaped = _MARKDOWN_ACTIVE.sub(r"\\\1", line_safe(text, limit))
    return escaped.replace("<", "&lt;").replace(">", "&gt;")


def counts(items: Iterable[AlertItem]) -> dict[str, int]:
    tally = dict.fromkeys(TRANSITIONS, 0)
    for item in items:
        tally[item.transition] += 1
    return tally


def _headline(digest: Digest) -> str:
    parts = [f"{count} {_TRANSITION_WORDS[transition]}"
             for transition, count in counts(digest.items).items() if count]
    return f"{', '.join(parts) or 'no changes'} — run {int(digest.run_id)}"


def digest_subject(digest: Digest) -> str:
    """``[domainwatch] 3 new, 1 resolved — run 42``: made of numbers only, never of item text."""
    return f"[domainwatch] {_headline(digest)}"


def digest_payload(digest: Digest) -> dict[str, Any]:
    """The digest for programs: the ``json`` webhook's body and the e-mail's attachment."""
    return {"run_id": digest.run_id, "generated": digest.generated,
            "items": [asdict(item) for item in digest.items], "counts": counts(digest.items)}


def _grouped(items: list[AlertItem]) -> list[tuple[str, str, AlertItem]]:
    """(owner, severity, item), by owning unit (the one with the worst finding first)."""
    rank = {severity: number for number, severity in enumerate(SEVERITIES)}
    worst: dict[str, int] = {}
    for item in items:
        owner = owner_key(item.owner)
        worst[owner] = min(worst.get(owner, len(SEVERITIES)), rank[item.severity])
    ordered = sorted(items, key=lambda item: (
        worst[owner_key(item.owner)], not owner_key(item.owner), owner_key(item.owner),
        rank[item.severity], TRANSITIONS.index(item.transition), item.name, item.finding_id))
    return [(owner_key(item.owner), item.severity, item) for item in ordered]


def _pack(digest: Digest, head: list[str], owner_line: Callable[[str, int], list[str]],
          severity_line: Callable[[str], list[str]], item_lines: Callable[[AlertItem], list[str]],
          more_line: Callable[[int], str], limit: int | None) -> str:
    lines = list(head)
    size = len("\n".join(lines).encode())
    reserve = len(more_line(len(digest.items)).encode()) + 2
    grouped = _grouped(digest.items)
    per_owner: dict[str, int] = {}
    for owner, _, _ in grouped:
        per_owner[owner] = per_owner.get(owner, 0) + 1
    owner_now: str | None = None
    severity_now: str | None = None
    for shown, (owner, severity, item) in enumerate(grouped):
        block: list[str] = []
        if owner != owner_now:
            block += owner_line(owner, per_owner[owner])
        if owner != owner_now or severity != severity_now:
            block += severity_line(severity)
        block += item_lines(item)
        added = len("\n".join(["", *block]).encode())
        if limit is not None and size + added + reserve > limit and shown:
            lines.append(more_line(len(grouped) - shown))
            break
        lines += block
        size += added
        owner_now, severity_now = owner, severity
    return "\n".join(lines) + "\n"


def _evidence_lines(evidence: dict[str, Any], indent: str) -> list[str]:
    lines = []
    for key, value in list(evidence.items())[:EVIDENCE_FIELDS]:
        if isinstance(value, list | tuple):
            shown = ", ".join(str(part) for part in value)
        elif isinstance(value, dict):
            shown = json.dumps(value, ensure_ascii=False, sort_keys=True)
        else:
            shown = "" if value is None else str(value)
        lines.append(f"{indent}{line_safe(key, 40)}: {line_safe(shown, EVIDENCE_VALUE)}")
    if len(evidence) > EVIDENCE_FIELDS:
        lines.append(f"{indent}(+{len(evidence) - EVIDENCE_FIELDS} more evidence fields)")
    return lines


def _shown_name(item: AlertItem) -> str:
    if item.display_name and item.display_name != item.name:
        return f"{item.display_name} ({item.name})"
    return item.name


def _count_line(digest: Digest, separator: str, number: Callable[[int], str]) -> str:
    return separator.join(f"{_TRANSITION_LABELS[transition]}: {number(count)}"
                          for transition, count in counts(digest.items).items())


def render_text(digest: Digest, max_bytes: int | None = None) -> str:
    """Plain text by owning unit, then severity; cut to ``max_bytes`` with "… and N more"."""
    head = [f"domainwatch 域名巡检 — run {digest.run_id}, {line_safe(digest.generated, 40)}",
            _count_line(digest, "   ", str)]

    def item_lines(item: AlertItem) -> list[str]:
        return [f"  * {_TRANSITION_LABELS[item.transition]} | {item.severity} | "
                f"{line_safe(item.rule, 80)} | {line_safe(_shown_name(item), 200)}",
                f"    {line_safe(item.summary, MAX_LINE)}",
                f"    since {line_safe(item.first_seen, 40)}",
                *_evidence_lines(item.evidence, "    ")]

    return _pack(digest, head,
                 lambda owner, n: ["", f"== {line_safe(owner or NO_OWNER, 120)} ({n}) =="],
                 lambda severity: [f"-- {_SEVERITY_LABELS[severity]} --"],
                 item_lines, lambda n: f"\n… and {n} more (另有 {n} 条未列出)", max_bytes)


def render_markdown(digest: Digest, max_bytes: int = MARKDOWN_LIMIT) -> str:
    """Markdown for the group bots, hostile text escaped, at most ``max_bytes`` bytes."""
    head = [f"### domainwatch: {_headline(digest)}",
            "", _count_line(digest, " · ", lambda n: f"**{n}**")]

    def item_lines(item: AlertItem) -> list[str]:
        return [f"- {_TRANSITION_LABELS[item.transition]} · {escape_markdown(item.rule, 80)} · "
                f"**{escape_markdown(_shown_name(item), 200)}**: "
                f"{escape_markdown(item.summary, 300)} (since "
                f"{escape_markdown(item.first_seen, 40)})"]

    return _pack(digest, head,
                 lambda owner, n: ["", f"#### {escape_markdown(owner or NO_OWNER, 120)} ({n})"],
                 lambda severity: ["", f"**{_SEVERITY_LABELS[severity]}**", ""],
                 item_lines, lambda n: f"\n… and {n} more (另有 {n} 条未列出)", max_bytes)


# --- delivery ------------------------------------------------------------------------------

class _Failure(Exception):
    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


def describe_channel(channel: EmailChannel | WebhookChannel) -> str:
    """The channel as an error message names it: no password, secret or URL token."""
    if isinstance(channel, EmailChannel):
        return f"e-mail via {channel.host}:{channel.port}"
    url = channel.url.peek()
    if url is None:
        return f"webhook {channel.name!r} ({channel.kind}, URL from {channel.url.variable})"
    parts = urllib.parse.urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"webhook {channel.name!r} ({channel.kind}, {parts.scheme}://{parts.hostname}{port})"


def _secrets(channel: EmailChannel | WebhookChannel) -> list[str]:
    if isinstance(channel, EmailChannel):
        password = channel.password.peek() if channel.password else None
        return [password] if password else []
    signing = channel.secret.peek() if channel.secret else None
    url = channel.url.peek()
    if url is None:
        return [signing] if signing else []
    parts = urllib.parse.urlsplit(url)
    tokens = [value for _, value in urllib.parse.parse_qsl(parts.query) if len(value) >= 6]
    tokens += [segment for segment in parts.path.split("/") if len(segment) >= 16]
    return ([signing] if signing else []) + tokens


def send(digest: Digest) -> None:
    """Deliver ``digest``, retrying transport failures; :class:`ChannelError` in the end."""
    channel = digest.channel
    attempts = 0
    while True:
        attempts += 1
        try:
            if isinstance(channel, EmailChannel):
                _send_email(digest, channel)
            else:
                _post_webhook(digest, channel)
            return
        except SecretUnavailable as error:  # a setting to fix: no retry would help
            raise ChannelError(describe_channel(channel), digest.recipient,
                               line_safe(str(error)), attempts) from None
        except _Failure as failure:
            if not failure.transient or attempts > digest.retries:
                reason = line_safe(failure.reason, 300)
                for secret in sorted(_secrets(channel), key=len, reverse=True):
                    reason = reason.replace(secret, "***")
                raise ChannelError(describe_channel(channel), digest.recipient, reason,
                                   attempts, failure.transient) from None
        time.sleep(digest.backoff * 2 ** (attempts - 1))


def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_file)


def email_message(digest: Digest, channel: EmailChannel) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = digest_subject(digest)
    message["From"] = channel.sender
    message["To"] = digest.recipient
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid("domainwatch", domain=channel.sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"
    message["X-Domainwatch-Run"] = str(int(digest.run_id))
    message.set_content(render_text(digest), charset="utf-8")
    attachment = render_json(digest_payload(digest)).encode()
    message.add_attachment(attachment, maintype="application", subtype="json",
                           filename=f"domainwatch-run-{int(digest.run_id)}.json")
    return message


def _send_email(digest: Digest, channel: EmailChannel) -> None:
    if not EMAIL_ADDRESS.fullmatch(digest.recipient):
        raise _Failure(f"{line_safe(digest.recipient, 80)!r} is not an e-mail address",
                       transient=False)
    message = email_message(digest, channel)
    password = channel.password.reveal() if channel.password is not None else ""
    try:
        if channel.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(channel.host, channel.port,
                                                    timeout=channel.timeout,
                                                    context=_tls_context(channel.ca_file))
        else:
            client = smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout)
        with client:
            if channel.security == "starttls":
                client.starttls(context=_tls_context(channel.ca_file))
            if channel.username is not None:
                client.login(channel.username, password)
            client.send_message(message, from_addr=channel.sender, to_addrs=[digest.recipient])
    except smtplib.SMTPNotSupportedError as error:
        raise _Failure(f"the server does not support it: {error}", transient=False) from None
    except smtplib.SMTPRecipientsRefused as error:
        code, answer = next(iter(error.recipients.values()), (0, b""))
        raise _Failure(f"recipient refused: {code} {answer.decode(errors='replace')}",
                       transient=400 <= code < 500) from None
    except smtplib.SMTPResponseException as error:
        answer = error.smtp_error.decode(errors="replace") if isinstance(
            error.smtp_error, bytes) else str(error.smtp_error)
        raise _Failure(f"server answered {error.smtp_code} {answer}",
                       transient=400 <= error.smtp_code < 500) from None
    except ssl.SSLCertVerificationError as error:
        raise _Failure(f"TLS certificate not trusted: {error.verify_message}",
                       transient=False) from None
    except TimeoutError:
        raise _Failure(f"no answer within {channel.timeout:g} s", transient=True) from None
    except (smtplib.SMTPException, OSError) as error:
        raise _Failure(str(error) or type(error).__name__, transient=True) from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def webhook_request(digest: Digest, channel: WebhookChannel,
                    now: float | None = None) -> tuple[str, dict[str, Any]]:
    """The URL (signed where the kind signs) and the JSON body for ``channel``."""
    now = time.time() if now is None else now
    url = channel.url.reveal()
    secret = channel.secret.reveal() if channel.secret is not None else None
    payload: dict[str, Any]
    if channel.kind == "dingtalk":
        payload = {"msgtype": "markdown", "markdown": {"title": digest_subject(digest),
                                                       "text": render_markdown(digest)}}
        if secret:
            timestamp = str(int(now * 1000))
            signature = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(),
                                 hashlib.sha256).digest()
            query = urllib.parse.urlencode({"timestamp": timestamp,
                                            "sign": base64.b64encode(signature).decode()})
            url += ("&" if urllib.parse.urlsplit(url).query else "?") + query
    elif channel.kind == "wecom":
        payload = {"msgtype": "markdown", "markdown": {"content": render_markdown(digest)}}
    elif channel.kind == "feishu":
        payload = {}
        if secret:
            timestamp = str(int(now))
            signature = hmac.new(f"{timestamp}\n{secret}".encode(), b"",
                                 hashlib.sha256).digest()
            payload = {"timestamp": timestamp, "sign": base64.b64encode(signature).decode()}
        payload |= {"msg_type": "text",
                    "content": {"text": render_text(digest, max_bytes=FEISHU_TEXT_LIMIT)}}
    else:
        payload = digest_payload(digest)
    return url, payload


def _post_webhook(digest: Digest, channel: WebhookChannel) -> None:
    url, payload = webhook_request(digest, channel)
    request = urllib.request.Request(
        url, data=json.dumps(payload, ensure_ascii=False).encode(), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8",
                 "User-Agent": f"domainwatch/{__version__}"})
    try:
        opener = urllib.request.build_opener(
            _NoRedirect, urllib.request.HTTPSHandler(context=_tls_context(channel.ca_file)))
        with opener.open(request, timeout=channel.timeout) as response:
            body = response.read(RESPONSE_LIMIT)
    except urllib.error.HTTPError as error:
        error.close()
        if error.code < 400:
            raise _Failure(f"HTTP {error.code}: redirected; configure the final URL",
                           transient=False) from None
        raise _Failure(f"HTTP {error.code} {error.reason}", transient=True) from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, ssl.SSLCertVerificationError):
            raise _Failure(f"TLS certificate not trusted: {error.reason.verify_message}",
                           transient=False) from None
        if isinstance(error.reason, TimeoutError):
            raise _Failure(f"no answer within {channel.timeout:g} s", transient=True) from None
        raise _Failure(str(error.reason), transient=True) from None
    except TimeoutError:
        raise _Failure(f"no answer within {channel.timeout:g} s", transient=True) from None
    except (OSError, http.client.HTTPException) as error:
        raise _Failure(str(error) or type(error).__name__, transient=True) from None
    if channel.kind == "json":
        return
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise _Failure(f"the answer is not a JSON object: {body[:120]!r}", transient=True)
    keys = ("code", "StatusCode") if channel.kind == "feishu" else ("errcode",)
    codes = [answer[key] for key in keys if key in answer]
    if not codes or any(code != 0 for code in codes):
        message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or ""
        shown = ", ".join(f"{key} {answer[key]}" for key in keys if key in answer)
        raise _Failure(f"{channel.kind} refused the message: {shown or 'no status code'} "
                       f"{message}".rstrip(), transient=False)
