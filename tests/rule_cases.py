"""Where each rule is raised through a real world: the tests that scan a local test internet
(real DNS, web, WHOIS servers on loopback) and find the rule where it was planted, as
``"module::function"``. ``tests/test_rules.py`` holds every catalogue rule to an entry here,
and every entry to a test that exists, is marked ``world``, and asserts the rule's finding is
there: an ``assert`` on a value that names the rule (in its source, or in a module constant
it reads) or was computed from one, or such a value unpacked (``[finding] = …``). A test that
only says the rule's finding is absent is not its case."""

from __future__ import annotations

RULE_CASES: dict[str, tuple[str, ...]] = {
    "unused.no_dns": ("test_scan_cli::test_every_rule_of_the_slice_is_found_where_planted",),
    "unused.offline_still_resolving": (
        "test_scan_cli::test_every_rule_of_the_slice_is_found_where_planted",),
    "dangling.cname": (
        "test_scan_cli::test_a_cname_crossing_zones_into_nxdomain_is_dangling",
        "test_takeover_world::test_dangling_cnames_say_whether_they_can_be_claimed"),
    "dangling.ns": ("test_scan_cli::test_lame_delegations_say_what_each_server_did",),
    "dangling.mx": ("test_scan_cli::test_lame_delegations_say_what_each_server_did",),
    "dangling.service": (
        "test_scan_cli::test_an_unclaimed_bucket_is_a_dangling_service",
        "test_takeover_world::test_exactly_the_unclaimed_names_are_dangling_services"),
    "unregistered.domain": (
        "test_registration_cli::test_unregistered_and_expiring_dependencies",),
    "unregistered.expiring": (
        "test_registration_cli::test_unregistered_and_expiring_dependencies",),
    "unregistered.owner_changed": ("test_registration_cli::test_owner_change_is_reported",),
    "unused.no_web": ("test_web_cli::test_no_web_says_why",
                      "test_scan_cli::test_the_web_cases_of_the_demo_world"),
    "unused.placeholder": ("test_web_cli::test_each_case_holds_its_rules_and_nothing_else",
                           "test_scan_cli::test_the_web_cases_of_the_demo_world"),
    "unused.stale": ("test_web_cli::test_stale_from_observation_history",),
    "hijacked.content": ("test_web_cli::test_a_hijack_keeps_evidence_for_the_authorities",
                         "test_scan_cli::test_the_web_cases_of_the_demo_world"),
    "hijacked.cloaking": ("test_web_cli::test_cloaking_evidence_names_the_request",
                          "test_scan_cli::test_the_web_cases_of_the_demo_world"),
    "hijacked.redirect": ("test_web_cli::test_redirects_keep_the_chain_and_the_destination",
                          "test_scan_cli::test_the_web_cases_of_the_demo_world"),
    "hijacked.content_changed": (
        "test_web_cli::test_swapped_content_and_certificate_are_caught_and_accept_adopts_them",),
    "hijacked.dns_changed": ("test_web_cli::test_each_case_holds_its_rules_and_nothing_else",),
    "hijacked.cert_changed": (
        "test_web_cli::test_swapped_content_and_certificate_are_caught_and_accept_adopts_them",),
    "tls.expiring": ("test_web_cli::test_each_case_holds_its_rules_and_nothing_else",
                     "test_scan_cli::test_the_web_cases_of_the_demo_world"),
    "tls.invalid": ("test_web_cli::test_each_case_holds_its_rules_and_nothing_else",
                    "test_scan_cli::test_the_web_cases_of_the_demo_world"),
    "tls.weak": ("test_web_cli::test_each_case_holds_its_rules_and_nothing_else",
                 "test_scan_cli::test_the_web_cases_of_the_demo_world"),
    "link.dead": (
        "test_web_cli::test_links_to_hijacked_and_dead_hosts_are_raised_on_the_linking_entry",
        "test_links_cli::test_the_subei_case_scan_by_scan"),
    "link.unregistered": (
        "test_web_cli::test_a_link_to_a_lapsed_domain_is_one_registration_from_the_subei_case",),
    "link.hijacked": (
        "test_web_cli::test_links_to_hijacked_and_dead_hosts_are_raised_on_the_linking_entry",
        "test_links_cli::test_the_subei_case_scan_by_scan"),
    "register.unlisted": (
        "test_reconcile_cli::test_zone_transfer_then_scan_finds_unlisted_and_missing_names",),
    "register.not_in_zone": (
        "test_reconcile_cli::test_zone_transfer_then_scan_finds_unlisted_and_missing_names",),
    "register.wildcard": ("test_reconcile_cli::test_a_wildcard_does_not_make_names_look_live",),
    "register.naming": ("test_scan_cli::test_every_rule_of_the_slice_is_found_where_planted",),
}
