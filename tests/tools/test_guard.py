"""The page guard's address rules, for every spelling of an address (no network)."""

from __future__ import annotations

import ipaddress

import pytest

from ii_desktop.core.settings import ToolSettings
from ii_desktop.tools.guard import (
    GuardError,
    HostPolicy,
    canonical_host,
    check_url,
    is_public_address,
    parse_ip_literal,
)


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F.0.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0177.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("127.000.000.001", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("0xa9fea9fe", "169.254.169.254"),
        ("[::1]", "::1"),
        ("::1", "::1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("[0:0:0:0:0:ffff:7f00:1]", "::ffff:7f00:1"),
        ("[fe80::1%25eth0]", "fe80::1"),
    ],
)
def test_numeric_spellings_are_read_as_the_address_they_are(spelling, address):
    assert parse_ip_literal(spelling) == ipaddress.ip_address(address)


@pytest.mark.parametrize(
    "name", ["example.com", "1e100.net", "0x7g.1", "256.1.1.1.1", "127.0.0.256", "08.1", ""]
)
def test_names_and_impossible_numbers_are_not_addresses(name):
    assert parse_ip_literal(name) is None


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.255.254",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.0.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "100.127.255.254",
        "0.0.0.0",
        "0.1.2.3",
        "224.0.0.1",  # multicast
        "239.255.255.250",
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "192.0.0.8",
        "192.0.2.1",  # documentation
        "198.18.0.1",  # benchmarking
        "::",
        "::1",
        "fe80::1",  # link-local
        "fc00::1",  # unique local
        "fd12:3456::1",
        "fec0::1",  # site-local
        "ff02::1",  # multicast
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",  # IPv4-compatible
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
        "2001:db8::1",  # documentation
    ],
)
def test_local_private_and_special_addresses_are_not_public(address):
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111"])
def test_public_addresses_are_public(address):
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://127.1:8080/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "https://169.254.169.254/latest/meta-data/",
        "http://0/",
        "http://100.64.0.1/",
        "http://[fe80::1]/",
        "http://[64:ff9b::7f00:1]/",
    ],
)
def test_urls_aimed_at_local_addresses_are_blocked_without_a_lookup(url):
    with pytest.raises(GuardError) as caught:
        check_url(url, ToolSettings(), resolve_names=False)
    assert caught.value.kind == "blocked"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "javascript:alert(1)",
        "data:text/html,<p>x</p>",
        "ws://example.com/",
        "http://",
        "/relative/path",
    ],
)
def test_only_http_and_https_urls_with_a_host_pass(url):
    with pytest.raises(GuardError) as caught:
        check_url(url, ToolSettings(), resolve_names=False)
    assert caught.value.kind == "bad_url"


def test_public_urls_pass():
    parsed = check_url("https://93.184.216.34/page?q=1", ToolSettings(), resolve_names=False)
    assert parsed.host == "93.184.216.34"
    assert check_url("https://example.com/x", ToolSettings(), resolve_names=False).port is None


@pytest.mark.parametrize(
    ("entries", "host", "port", "allowed"),
    [
        (("127.0.0.1:8080",), "127.0.0.1", 8080, True),
        (("127.0.0.1:8080",), "127.0.0.1", 8081, False),
        (("127.0.0.1",), "127.0.0.1", 9999, True),
        (("LOCALHOST:80",), "localhost", 80, True),
        (("localhost",), "localhost.", 443, True),
        (("127.0.0.1:8080",), "2130706433", 8080, True),  # same address, other spelling
        (("[::1]:8080",), "::1", 8080, True),
        (("[::1]",), "::1", 1, True),
        (("::1",), "::1", 1, True),
        (("intranet.test",), "other.test", 80, False),
        (("", "  "), "127.0.0.1", 80, False),
    ],
)
def test_allow_host_entries(entries, host, port, allowed):
    policy = HostPolicy.from_settings(ToolSettings(allow_hosts=entries))
    assert policy.allows_host(host, port) is allowed


def test_an_allowed_host_skips_the_address_check():
    settings = ToolSettings(allow_hosts=("127.0.0.1:8080",))
    assert check_url("http://127.0.0.1:8080/", settings, resolve_names=False).port == 8080
    with pytest.raises(GuardError):
        check_url("http://127.0.0.1:8081/", settings, resolve_names=False)
    # default ports count: http is 80, https 443
    policy = HostPolicy.from_settings(ToolSettings(allow_hosts=("10.0.0.5:443",)))
    policy.check_addresses("10.0.0.5", 443, [ipaddress.ip_address("10.0.0.5")])
    assert check_url(
        "https://10.0.0.5/", ToolSettings(allow_hosts=("10.0.0.5:443",)), resolve_names=False
    )


def test_allow_private_network_allows_everything():
    settings = ToolSettings(allow_private_network=True)
    assert check_url("http://127.0.0.1/", settings).host == "127.0.0.1"
    with pytest.raises(GuardError) as caught:  # httpx cannot send to this spelling at all
        check_url("http://0177.0.0.1/", settings, resolve_names=False)
    assert caught.value.kind == "bad_url"


def test_every_resolved_address_is_checked():
    policy = HostPolicy()
    public = ipaddress.ip_address("8.8.8.8")
    policy.check_addresses("ok.test", 80, [public])
    with pytest.raises(GuardError) as caught:
        policy.check_addresses("mixed.test", 80, [public, ipaddress.ip_address("10.0.0.1")])
    assert "mixed.test resolves to 10.0.0.1" in caught.value.message


def test_names_resolving_to_loopback_are_blocked_when_resolving():
    # "localhost" resolves through the system resolver on every machine
    with pytest.raises(GuardError) as caught:
        check_url("http://localhost:8080/", ToolSettings())
    assert caught.value.kind == "blocked"


def test_canonical_host():
    assert canonical_host("[::FFFF:127.0.0.1]") == "::ffff:7f00:1"
    assert canonical_host("Example.COM.") == "example.com"
    assert canonical_host("0x7f.1") == "127.0.0.1"


# --- what the refusal says ---------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "said", "entry"),
    [
        ("http://127.0.0.1:8000/", "127.0.0.1 is this computer", "127.0.0.1:8000"),
        ("http://127.0.0.1/", "127.0.0.1 is this computer", "127.0.0.1"),
        ("http://10.0.0.1/", "10.0.0.1 is a private address", "10.0.0.1"),
        ("https://192.168.1.20:8443/", "192.168.1.20 is a private address", "192.168.1.20:8443"),
        ("http://2130706433/", "2130706433 is 127.0.0.1, this computer", "127.0.0.1"),
        ("http://0x7f.1:81/", "0x7f.1 is 127.0.0.1, this computer", "127.0.0.1:81"),
        ("http://[::1]:8080/", "::1 is this computer", "[::1]:8080"),
        ("http://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1 is a private address", "::ffff:10.0.0.1"),
        ("http://0/", "0 is 0.0.0.0, this computer", "0.0.0.0"),
        ("http://[64:ff9b::7f00:1]/", "64:ff9b::7f00:1 is this computer", "64:ff9b::7f00:1"),
    ],
)
def test_a_refusal_names_the_address_once_and_says_how_to_allow_it(url, said, entry):
    with pytest.raises(GuardError) as caught:
        check_url(url, ToolSettings(), resolve_names=False)
    refused = caught.value
    reason = f"{said}; pages on this computer and on private networks are not read."
    assert refused.model_message == reason
    assert refused.message == (
        f"{reason} To read it anyway, pass --allow-host {entry} on the command line "
        "(or add it to Allowed hosts in Settings)."
    )
    address = said.split(" is ", 1)[0]
    assert f"{address} is {address}," not in refused.message
    assert f"{address} is {address};" not in refused.message
    assert "blocked" not in refused.message and "local or private" not in refused.message
    # the entry it suggests is the one that lets the URL through
    assert check_url(url, ToolSettings(allow_hosts=(entry,)), resolve_names=False)


def test_a_name_is_said_with_the_address_it_resolves_to():
    policy = HostPolicy()
    with pytest.raises(GuardError) as caught:
        policy.check_addresses("wiki.lan", 8080, [ipaddress.ip_address("10.1.2.3")])
    assert caught.value.message == (
        "wiki.lan resolves to 10.1.2.3, a private address; pages on this computer and on "
        "private networks are not read. To read it anyway, pass --allow-host wiki.lan:8080 "
        "on the command line (or add it to Allowed hosts in Settings)."
    )
