"""The rule catalogue: every finding domainwatch raises, once.

Each :class:`Rule` says what a check family emits (its id, its severity and when that
varies), what it means in one line in English and in Chinese, when it holds (the README's
table is generated from it: ``make docs``), and which stage judges it. The families'
rule tuples, the command line's choices and the configuration's checks of rule ids all come
from here; ``tests/test_rules.py`` holds the code, the README and the tests to it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

Severity = Literal["critical", "high", "medium", "low", "info"]
#: The check family that judges a rule (``domainwatch/checks/<family>.py``), named as the
#: scan's stages are: ``dns`` (each entry's own answer), ``register`` (the register against
#: its naming rules and the zones), ``delegations`` (name servers, mail servers, cloud
#: services), ``registration`` (WHOIS), ``web``, ``tls`` and ``links`` (the hosts a site's
#: pages refer to).
Stage = Literal["dns", "register", "delegations", "registration", "web", "tls", "links"]
STAGES: tuple[Stage, ...] = get_args(Stage)


class UnknownRule(KeyError):
    """A rule id that is not in the catalogue."""


@dataclass(frozen=True)
class Category:
    name: str
    description_en: str
    description_zh: str


@dataclass(frozen=True)
class Rule:
    """One rule. ``severity`` is what it is raised with by default; ``also`` the other
    severities some cases get, which ``severity_note`` then explains (the README's cell)."""

    id: str
    stage: Stage
    severity: Severity
    description_en: str
    description_zh: str
    holds_when: str
    also: tuple[Severity, ...] = ()
    severity_note: str = ""
    #: Compared with the accepted baseline: ``domainwatch accept`` resolves it.
    baseline: bool = False

    @property
    def category(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def severities(self) -> tuple[Severity, ...]:
        return (self.severity, *self.also)

    @property
    def severity_text(self) -> str:
        return self.severity_note or self.severity


CATEGORIES: tuple[Category, ...] = (
    Category("unused", "allocated but not in use, or closed but still resolving",
             "已分配但未使用，或已关停仍在解析"),
    Category("unregistered", "depends on a domain that anyone could register",
             "所依赖的域名可被任何人注册"),
    Category("dangling", "points at a name, server or service that is gone",
             "指向已不存在的域名、服务器或云服务"),
    Category("hijacked", "shows the signs of a takeover", "呈现被劫持、被篡改的迹象"),
    Category("link", "its pages send visitors to hosts that are gone or taken over",
             "网页链接指向已失效或被劫持的站点"),
    Category("register", "the register against its naming rules and the zones",
             "登记台账与命名规范、区数据不符"),
    Category("tls", "the certificate and TLS of the site", "网站证书与 TLS 配置问题"),
)

CATALOGUE: tuple[Rule, ...] = (
    Rule(
        id="unused.no_dns", stage="dns", severity="medium",
        description_en="An active entry does not resolve.",
        description_zh="登记为在用的域名无法解析",
        holds_when="an active entry does not exist (NXDOMAIN) or has no A/AAAA record",
    ),
    Rule(
        id="unused.offline_still_resolving", stage="dns", severity="high",
        description_en="An offline or deregistered entry still resolves.",
        description_zh="已关停或已注销的域名仍能解析，应注销",
        holds_when=(
            "the register says offline or deregistered, yet the name still resolves "
            "(deregistration owed)"),
    ),
    Rule(
        id="dangling.cname", stage="dns", severity="high", also=("medium",),
        severity_note="high (a loop, or a target nobody else can claim: medium)",
        description_en="A CNAME chain ends at a name that does not exist or has no address, "
                       "or loops.",
        description_zh="CNAME 链指向不存在或无地址的域名，或成环",
        holds_when=(
            "a CNAME chain ends in NXDOMAIN or in a name without an address, or loops; the "
            "subject is the dead target. Raised whatever the entry's state"),
    ),
    Rule(
        id="dangling.ns", stage="delegations", severity="high", also=("critical",),
        severity_note=(
            "high; critical when the servers are at a DNS host where anyone can create the zone"),
        description_en="A zone the name lives in is lamely delegated.",
        description_zh="域名所在区的授权失效（跛脚授权）",
        holds_when=(
            "the delegation of a zone the name lives in is lame: one of its name servers refuses "
            "the zone, answers SERVFAIL or not authoritatively, does not answer, or its host name "
            "does not resolve. The subject is the zone; the evidence says what each server did"),
    ),
    Rule(
        id="dangling.mx", stage="delegations", severity="high",
        description_en="A mail server (MX host) of the name does not resolve.",
        description_zh="域名的邮件服务器（MX）无法解析",
        holds_when="an MX host of the name does not exist or has no address",
    ),
    Rule(
        id="dangling.service", stage="delegations", severity="critical",
        also=("high", "medium"),
        severity_note="by the signature's confidence: high → critical, medium → high, low → medium",
        description_en="The name's CNAME enters a cloud service where anyone could claim it.",
        description_zh="CNAME 指向可被他人认领的云服务资源",
        holds_when=(
            "the name's CNAME chain enters a hosting or cloud service that answers \"no such "
            'bucket / site / app" for it, so anyone could claim it there '
            "(`data/cloud-services.json`, 125 services: see [Cloud "
            "services](#cloud-services-danglingservice-danglingcname)). A match needs the chain "
            "to really enter the service (one of its suffixes or fixed hosts) *and* the service's "
            "answer (status, body text, title, header, TLS failure or NXDOMAIN); a body text "
            "alone never matches, negative answers rule a match out, and a page that could not be "
            "fetched judges nothing"),
    ),
    Rule(
        id="unregistered.domain", stage="registration", severity="critical", also=("high",),
        severity_note="critical (an MX host: high)",
        description_en="A domain the name depends on is not registered.",
        description_zh="所依赖的域名未注册，任何人均可注册接管",
        holds_when=(
            "a domain the entry depends on is not registered: anyone can register it and take the "
            "name over"),
    ),
    Rule(
        id="unregistered.expiring", stage="registration", severity="medium", also=("high",),
        severity_note="high within 7 days, else medium",
        description_en="A domain the name depends on expires soon.",
        description_zh="所依赖的域名即将到期",
        holds_when="its registration expires within the window (30 days)",
    ),
    Rule(
        id="unregistered.owner_changed", stage="registration", severity="high", baseline=True,
        description_en="A domain the name depends on changed registrar, registrant or name "
                       "servers, or was registered anew.",
        description_zh="所依赖域名的注册商、注册人或域名服务器发生变化，或被重新注册",
        holds_when=(
            "its registrar, registrant, name servers or creation date (a new registration) "
            "differ from when monitoring began (or from the accepted record), field by field: "
            "each compared with the first registered record that showed it; a field left "
            "empty or withheld (`REDACTED FOR PRIVACY`, `不公开`) is not compared"),
    ),
    Rule(
        id="unused.no_web", stage="web", severity="medium",
        description_en="An active entry resolves but no web server answers.",
        description_zh="在用域名能解析，但没有网站响应",
        holds_when=(
            "an active entry resolves but neither HTTP nor HTTPS answers; the evidence says why "
            "for each (`refused`, `timeout`, `reset`, `tls: …`) and at which address"),
    ),
    Rule(
        id="unused.placeholder", stage="web", severity="medium",
        description_en="An active entry's site shows a default, parked or under-construction "
                       "page.",
        description_zh="在用网站显示默认页、停放页或建设中页面",
        holds_when=(
            "an active entry's site shows a web server's or hosting panel's default page (nginx, "
            "Apache, IIS, Tomcat, OpenResty, Tengine, 宝塔, phpStudy, 护卫神, …), a parked or "
            'for-sale page, an "under construction / 网站建设中 / 维护中" page, a hosting '
            "provider's \"not bound / no ICP filing / expired\" page, or an empty page. "
            "Signatures, each with a test page: `data/placeholder-pages.json`; every signature "
            'needs a title or a short page, so an article that quotes "It works!" or a headline '
            "about 网站建设 never matches"),
    ),
    Rule(
        id="unused.stale", stage="web", severity="low",
        description_en="An active entry's page has not changed for longer than allowed.",
        description_zh="在用网站长期未更新",
        holds_when=(
            "the visible text of an active entry's page has not changed for longer than "
            "`stale_after` (14 days: the national spot checks' \"home page not updated for two "
            'weeks"), from the observation history'),
    ),
    Rule(
        id="hijacked.content", stage="web", severity="critical", also=("high",),
        severity_note="critical (subject `scripts`: high)",
        description_en="The page carries illicit content or injected links.",
        description_zh="网页含有违法违规内容或被植入的链接",
        holds_when=(
            "the page carries gambling, lottery, pornography, private-server game, fake-document, "
            "black-hat SEO or similar signals (`data/illicit-lexicon.json`: weighted terms and "
            "patterns in Chinese and English, read in zones — title 4×, keywords and description "
            "3×, headings 2×, hidden and script-written text 2× — after undoing traditional, "
            "full-width and spaced-out spellings; weak words and the words of protective contexts "
            "such as an official lottery centre or a crackdown report never flag on their own), "
            "or carries an injected block of links to commercial hosts (hidden, written by a "
            "script, or shown with spam anchors or spam host names). The evidence names the "
            "techniques: see [How hijacks are recognised](#how-hijacks-are-recognised). Judged "
            "whatever the entry's state: the Subei case is an offline site. Subject `scripts` "
            "(high): scripts loaded from a commercial host that the accepted baseline did not "
            "load. The pages the crawl reads beyond the home page (active entries) are judged the "
            "same way: one finding per site, subject `pages`, with up to ten of the pages (URL, "
            "title, signals, hidden block) in its evidence; a crawl cut short by the run's budget "
            "that finds none leaves it as it was"),
    ),
    Rule(
        id="hijacked.cloaking", stage="web", severity="critical",
        description_en="The site answers search engines and their visitors differently.",
        description_zh="对搜索引擎及其访客显示不同的内容",
        holds_when=(
            "the page differs materially for a search-engine crawler or for a visitor from a "
            "search engine: redirected off-site, illicit content only there, or another page "
            "(similarity below 0.5 and another title). The evidence names the request that showed "
            "it"),
    ),
    Rule(
        id="hijacked.redirect", stage="web", severity="critical",
        description_en="The site redirects its visitors off the government's domains.",
        description_zh="网站将访客跳转到政府域名以外的站点",
        holds_when=(
            "an HTTP, meta-refresh or script redirect leaves `gov.cn`, `.政务`, the entry's own "
            "`hosts` and `allowed_hosts`; one finding per destination host, with the chain and, "
            "when it was reached, the destination page's own signals"),
    ),
    Rule(
        id="hijacked.content_changed", stage="web", severity="high", baseline=True,
        description_en="The page departs from its accepted baseline.",
        description_zh="网页内容与基线相比发生重大变化",
        holds_when=(
            "the page's similarity to the baseline is below 0.3 and its title changed or illicit "
            "signals appeared that the baseline did not have"),
    ),
    Rule(
        id="hijacked.dns_changed", stage="dns", severity="high", baseline=True,
        description_en="The name's addresses or name servers moved outside the declared or "
                       "baseline ones.",
        description_zh="解析地址或域名服务器偏离登记或基线",
        holds_when=(
            "an address is outside the entry's declared `networks` (without them: outside the "
            "baseline's /24 or /48 blocks), or the name servers moved to another provider than "
            "declared or than the baseline's"),
    ),
    Rule(
        id="hijacked.cert_changed", stage="tls", severity="high", baseline=True,
        description_en="The certificate's key or issuer differs from the baseline.",
        description_zh="证书密钥或签发机构与基线不同",
        holds_when="the certificate's key (SPKI) or issuer differs from the baseline",
    ),
    Rule(
        id="tls.expiring", stage="tls", severity="medium", also=("high",),
        severity_note="medium; high within 7 days",
        description_en="An active entry's certificate expires soon.",
        description_zh="在用网站的证书即将过期",
        holds_when="an active entry's certificate expires within `tls_expiry_window`",
    ),
    Rule(
        id="tls.invalid", stage="tls", severity="high", also=("medium",),
        severity_note="high; medium when only the chain is untrusted",
        description_en="An active entry's certificate is not valid.",
        description_zh="在用网站的证书无效",
        holds_when=(
            "expired, not yet valid, not for this name, self-signed (unless the baseline was "
            "too), or not chaining to a trusted root (the summary suggests `--ca-file` for a "
            "domestic CA)"),
    ),
    Rule(
        id="tls.weak", stage="tls", severity="low",
        description_en="The server speaks only TLS 1.0 or 1.1.",
        description_zh="服务器仅支持 TLS 1.0 或 1.1",
        holds_when="the server speaks only TLS 1.0 or 1.1 (added to the catalogue)",
    ),
    Rule(
        id="link.dead", stage="links", severity="medium",
        description_en="An active entry's page links to a host that is gone.",
        description_zh="在用网站链接到已失效的站点",
        holds_when=(
            "an active entry's page links to a host that does not resolve or has no web server "
            "answering (a register entry: its `unused.no_dns`, `unused.no_web` or "
            "`dangling.cname`). The subject is the host; the evidence lists the referring pages "
            "and link texts"),
    ),
    Rule(
        id="link.unregistered", stage="registration", severity="critical",
        description_en="An active entry's page links to a host whose domain is not registered.",
        description_zh="在用网站链接到域名未注册的站点",
        holds_when=(
            "an active entry's page links to a host whose registrable domain is not registered "
            "(with registration checks on); the subject is the domain"),
    ),
    Rule(
        id="link.hijacked", stage="links", severity="critical",
        description_en="An active entry's page sends visitors to a host that shows hijack "
                       "signals.",
        description_zh="在用网站链接到呈现被劫持迹象的站点",
        holds_when=(
            "an active entry's page sends visitors to a host that shows hijack signals: illicit "
            "content, cloaking or an off-site redirect (a register entry: its own "
            "`hijacked.content`, `hijacked.cloaking` or `hijacked.redirect` findings). The Subei "
            "case"),
    ),
    Rule(
        id="register.unlisted", stage="register", severity="medium",
        description_en="A live name under a managed domain is not in the register.",
        description_zh="管理域名下有未登记的在用域名（未经审批开通）",
        holds_when=(
            "a live name under a managed domain, found in a zone or a certificate log, is not in "
            "the register (opened without approval)"),
    ),
    Rule(
        id="register.not_in_zone", stage="register", severity="medium",
        description_en="An active entry is missing from its synced zone.",
        description_zh="在用登记项已不在同步的区数据中",
        holds_when="an active entry is missing from its synced zone",
    ),
    Rule(
        id="register.wildcard", stage="register", severity="medium",
        description_en="A managed domain answers for any name (a wildcard record).",
        description_zh="管理域名存在泛解析记录",
        holds_when=(
            'a managed domain answers for any name (a wildcard record: the "spider pool" '
            "pattern); raised on the domain"),
    ),
    Rule(
        id="register.naming", stage="register", severity="medium", also=("low",),
        severity_note="medium / low",
        description_en="The entry breaks the naming rules of 国办函〔2018〕55号.",
        description_zh="域名不符合国办函〔2018〕55号的命名规范",
        holds_when=(
            "the entry breaks the naming rules of 国办函〔2018〕55号: a government site outside "
            "`.gov.cn`/`.政务` (`non_government_suffix`), a department not under its parent "
            "government's domain (`not_under_parent`), more than one level below it (`too_deep`), "
            "a top-level entry not of the form `www.<name>.gov.cn` (`portal_form`), a "
            "department's site on a second-level domain of its own (`department_own_domain`, told "
            "by its owner or site code). The problem code is the finding's subject"),
    ),
)

_BY_ID: dict[str, Rule] = {rule.id: rule for rule in CATALOGUE}


def get(rule_id: str) -> Rule:
    """The rule ``rule_id``; :class:`UnknownRule` saying what it could have been
    (:func:`did_you_mean`) if there is none."""
    try:
        return _BY_ID[rule_id]
    except KeyError:
        raise UnknownRule(f"no rule {rule_id!r} ({did_you_mean(rule_id)})") from None


def check_rule_or_category(key: str) -> str:
    """``key`` when it is a rule id (``unused.no_web``) or a category (``unused``);
    :class:`UnknownRule` saying what it could have been otherwise."""
    if is_rule(key) or key in categories():
        return key
    what = "rule id" if "." in key else "category"
    raise UnknownRule(f"unknown {what} {key!r} ({did_you_mean(key, categories_too=True)})")


def is_rule(rule_id: str) -> bool:
    return rule_id in _BY_ID


def categories() -> tuple[str, ...]:
    return tuple(category.name for category in CATEGORIES)


def select(*, stage: Stage | None = None, category: str | None = None,
           baseline: bool | None = None) -> tuple[Rule, ...]:
    """The rules that match every filter given, in catalogue order."""
    return tuple(rule for rule in CATALOGUE
                 if (stage is None or rule.stage == stage)
                 and (category is None or rule.category == category)
                 and (baseline is None or rule.baseline == baseline))


def rule_ids(*, stage: Stage | None = None, category: str | None = None,
             baseline: bool | None = None) -> tuple[str, ...]:
    """The ids of :func:`select`'s rules."""
    return tuple(rule.id for rule in select(stage=stage, category=category, baseline=baseline))


def close_matches(text: str) -> list[str]:
    """The rule ids and categories that look like ``text`` (a typo), best first."""
    return difflib.get_close_matches(text, [*categories(), *_BY_ID], n=3, cutoff=0.6)


def did_you_mean(text: str, *, categories_too: bool = False) -> str:
    """What ``text``, a rule id (or with ``categories_too`` a category) the catalogue does
    not have, could have been: the ones that look like it; else the rules of the category it
    starts with; else every category (or every rule)."""
    close = [match for match in close_matches(text) if categories_too or is_rule(match)]
    if close:
        return f"did you mean {' or '.join(close)}?"
    category = text.split(".")[0]
    if "." in text and category in categories():
        return f"the {category} rules: {', '.join(rule_ids(category=category))}"
    if categories_too:
        return f"the categories: {', '.join(categories())}"
    return f"the rules: {', '.join(rule_ids())}"


def markdown_table(chosen: Iterable[Rule]) -> str:
    """The README's rule table for ``chosen``."""
    lines = ["| rule | 说明 | severity | holds when |", "|---|---|---|---|"]
    lines += [f"| `{rule.id}` | {rule.description_zh} | {rule.severity_text} | "
              f"{rule.holds_when} |" for rule in chosen]
    return "\n".join(lines) + "\n"


_README_TABLE = re.compile(
    r"(?P<begin><!-- begin rules: (?P<which>[a-z]+)[^\n]*-->\n)(?P<table>.*?)"
    r"(?P<end><!-- end rules -->)", re.DOTALL)


def readme_tables(text: str) -> str:
    """``text`` (README.md) with every rule table between ``<!-- begin rules: all … -->``
    (or a category instead of ``all``) and ``<!-- end rules -->`` generated afresh."""

    def table(match: re.Match[str]) -> str:
        which = match["which"]
        chosen = CATALOGUE if which == "all" else select(category=which)
        if not chosen:
            raise ValueError(f"README rule table for {which!r}: no such category")
        return f"{match['begin']}\n{markdown_table(chosen)}\n{match['end']}"

    if not re.search(r"<!-- begin rules: all\b", text):
        raise ValueError("README.md has no generated table of all rules "
                         "(<!-- begin rules: all … --> … <!-- end rules -->)")
    return _README_TABLE.sub(table, text)
