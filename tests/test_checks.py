"""The DNS and register checks as pure functions of an entry and an observation."""

from datetime import UTC, datetime, timedelta
from typing import Any

from domainwatch.checks.dns import RULES, check_dns
from domainwatch.checks.register import check_register_entry
from domainwatch.names import governments_by_division
from domainwatch.stages.registration import SERVICE_DOMAINS_PER_RUN, service_domains_due


def entry(state: str = "active", name: str = "www.x.gov.cn",
          parent: str | None = None) -> dict[str, Any]:
    return {"name": name, "state": state, "parent": parent}


def dns(status: str, **fields: Any) -> dict[str, Any]:
    return {"status": status, "cname_chain": [], "a": [], "aaaa": [], "statuses": {}, **fields}


def rules(result) -> list[str]:
    return sorted(f.rule for f in result.findings)


def test_unresolved_evaluates_nothing() -> None:
    for state in ("active", "offline", "deregistered"):
        result = check_dns(entry(state), dns("unresolved", statuses={"A": "timeout"}))
        assert result.evaluated == set() and result.findings == []


def test_active_names_that_do_not_resolve() -> None:
    assert rules(check_dns(entry(), dns("nxdomain"))) == ["unused.no_dns"]
    assert rules(check_dns(entry(), dns("no_address"))) == ["unused.no_dns"]
    result = check_dns(entry(), dns("resolves", a=["127.0.0.9"]))
    assert result.findings == [] and result.evaluated == set(RULES)


def test_offline_and_deregistered_names_must_not_resolve() -> None:
    for state in ("offline", "deregistered"):
        [finding] = check_dns(entry(state), dns("resolves", a=["127.0.0.9"])).findings
        assert finding.rule == "unused.offline_still_resolving"
        assert finding.evidence["state"] == state
        assert "127.0.0.9" in finding.summary
        assert check_dns(entry(state), dns("nxdomain")).findings == []
    cname_only = dns("resolves", cname_chain=["www.x.gov.cn.cdn.example.com"], a=["127.0.0.9"])
    assert rules(check_dns(entry("deregistered"), cname_only)) == [
        "unused.offline_still_resolving"]


def test_dangling_cname_names_the_dead_target_whatever_the_state() -> None:
    observation = dns("cname_dangling", cname_chain=["a.x.gov.cn", "gone.example-cloud.com"],
                      chain_end="nxdomain")
    [finding] = check_dns(entry(), observation).findings
    assert finding.rule == "dangling.cname"
    assert finding.subject == "gone.example-cloud.com"
    assert finding.severity == "high"
    assert "NXDOMAIN" in finding.summary
    assert rules(check_dns(entry("offline"), observation)) == [
        "dangling.cname", "unused.offline_still_resolving"]


def test_cname_loop_is_a_dangling_cname() -> None:
    observation = dns("cname_loop", cname_chain=["loop2.x.gov.cn", "loop1.x.gov.cn"],
                      chain_end="loop")
    [finding] = check_dns(entry(name="loop1.x.gov.cn"), observation).findings
    assert finding.rule == "dangling.cname" and "loops" in finding.summary


def test_register_naming_finding_per_problem() -> None:
    result = check_register_entry(entry(name="www.jqtz.com", parent="www.jiuquan.gov.cn"))
    assert sorted(f.subject for f in result.findings) == ["non_government_suffix",
                                                         "not_under_parent"]
    assert all(f.rule == "register.naming" for f in result.findings)
    assert check_register_entry(entry(name="fgw.x.gov.cn", parent="www.x.gov.cn")).findings == []


def test_a_department_on_a_domain_of_its_own_is_a_naming_finding() -> None:
    portal = {**entry(name="www.jiuquan.gov.cn"), "owner": "酒泉市人民政府",
              "site_code": "6209000001"}
    department = {**entry(name="www.jqfgw.gov.cn", parent="www.jiuquan.gov.cn"), "owner": "",
                  "site_code": "6209000012"}
    register = {e["name"]: e for e in (portal, department)}
    # the owner says nothing: the site code, read against the parent's, says department
    [finding] = check_register_entry(department, entries=register).findings
    assert (finding.rule, finding.subject, finding.severity) == (
        "register.naming", "department_own_domain", "medium")
    assert finding.evidence["problem"] == "department_own_domain"
    assert finding.evidence["government_domain"] == "jiuquan.gov.cn"
    assert finding.evidence["parent_site_code"] == "6209000001"
    # without the register the site code alone says nothing
    assert check_register_entry(department).findings == []
    # the owner alone is enough, as in a scan that has only the entry
    named = {**department, "owner": "酒泉市发展和改革委员会"}
    assert [f.subject for f in check_register_entry(named).findings] == ["department_own_domain"]
    # the register's government of the division, for an entry without a parent
    orphan = {**department, "parent": None}
    governments = governments_by_division(register.values())
    [finding] = check_register_entry(orphan, governments=governments).findings
    assert finding.evidence["government"] == "www.jiuquan.gov.cn"
    assert check_register_entry(portal, entries=register, governments=governments).findings == []


def test_dangling_mx_only_when_the_host_is_known_to_be_gone() -> None:
    from domainwatch.checks.delegation import check_mx

    hosts = {"mail.x.gov.cn": (["127.0.0.25"], "ok"), "old.x.gov.cn": ([], "nxdomain"),
             "slow.x.gov.cn": ([], "timeout")}
    result = check_mx("www.x.gov.cn", ["10 mail.x.gov.cn", "20 old.x.gov.cn"], hosts)
    assert [f.subject for f in result.findings] == ["old.x.gov.cn"]
    unknown = check_mx("www.x.gov.cn", ["10 old.x.gov.cn", "20 slow.x.gov.cn"], hosts)
    assert unknown.evaluated == set() and unknown.findings == []


def test_lame_delegation_to_a_sitting_duck_provider_is_critical() -> None:
    from domainwatch.checks.delegation import check_ns, sitting_duck

    assert sitting_duck("ns1.digitalocean.com") == "DigitalOcean"
    assert sitting_duck("ns1.notdigitalocean.com") is None
    delegation = {"zone": "x.gov.cn", "parent": "gov.cn", "status": "lame",
                  "ns": ["ns1.digitalocean.com"], "detail": "",
                  "servers": [{"host": "ns1.digitalocean.com", "address": "127.0.0.9",
                               "outcome": "refused"}]}
    [finding] = check_ns("www.x.gov.cn", [delegation]).findings
    assert finding.severity == "critical" and "DigitalOcean" in finding.summary
    fine = {**delegation, "status": "ok", "servers": [{**delegation["servers"][0],
                                                       "outcome": "authoritative"}]}
    assert check_ns("www.x.gov.cn", [fine]).findings == []
    assert check_ns("www.x.gov.cn", [{**delegation, "status": "unknown"}]).evaluated == set()


def test_registration_reports_but_never_resolves_on_partial_knowledge() -> None:
    from domainwatch.checks.registration import Dependency, check_registration, dependencies

    needs = [Dependency("lapsed-dns.com", "ns1.lapsed-dns.com", "name server")]
    records = {"lapsed-dns.com": {"status": "unregistered"}}
    partial = check_registration("www.x.gov.cn", needs, records, {}, complete=False)
    assert partial.evaluated == set()
    assert [f.rule for f in partial.findings] == ["unregistered.domain"]
    assert partial.findings[0].severity == "critical"
    unknown = check_registration("www.x.gov.cn", needs,
                                 {"lapsed-dns.com": {"status": "rate_limited"}}, {})
    assert unknown.evaluated == set() and unknown.findings == []
    found = dependencies("www.jqtz.com", {"cname_chain": ["a.cdn.example-cloud.com"],
                                          "ns": ["ns1.hichina.com"], "mx": ["10 mx.qq.com"]})
    assert [(d.domain, d.role) for d in found] == [
        ("jqtz.com", "own name"), ("example-cloud.com", "CNAME target"),
        ("hichina.com", "name server"), ("qq.com", "mail server")]


def test_service_domains_are_asked_a_few_a_run_oldest_first_and_at_once_on_new_servers(
) -> None:
    now = datetime(2026, 12, 7, tzinfo=UTC)

    def record(days_ago: int, servers: list[str]) -> tuple[dict[str, Any], str]:
        asked = (now - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"status": "registered", "name_servers": servers}, asked

    delegated = {f"s{n}.com": {f"ns1.s{n}.com"} for n in range(8)}
    latest: dict[str, Any] = {
        "s0.com": None, "s1.com": None,                      # never asked
        "s2.com": record(30, ["ns1.s2.com"]),                # a month ago
        "s3.com": record(8, ["NS1.S3.COM."]),                # a week ago, same servers
        "s4.com": record(1, ["ns1.s4.com", "ns2.s4.com"]),   # recent, servers overlap
        "s5.com": record(1, ["dns1.parked.example"]),        # recent, servers all new
        "s6.com": record(20, ["ns1.s6.com"]),
        "s7.com": record(1, []),                             # recent, servers unknown
    }
    refresh, due = service_domains_due(delegated, latest, now)
    assert refresh == ["s5.com"]
    assert due == ["s0.com", "s1.com", "s2.com", "s6.com"]  # four: never asked, then oldest
    assert SERVICE_DOMAINS_PER_RUN == 4
    later, _ = service_domains_due({"s5.com": {"ns1.s5.com"}},
                                   {"s5.com": ({"status": "unregistered",
                                                "name_servers": ["x.example"]},
                                               record(1, [])[1])}, now)
    assert later == []  # only a registered record's servers are compared
