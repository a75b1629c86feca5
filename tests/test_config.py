"""The configuration file: one validation for every table, and secrets kept out of sight."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from domainwatch.config import AlertConfigError, Config, ConfigError, RunConfigError, load_config

TSIG_SECRET = "c2VjcmV0LW9mLXRoZS10c2lnLWtleQ=="
PASSWORD = "smtp-pa55word-do-not-show"
SIGNING = "SECsigning-secret-do-not-show"
TOKEN = "a1b2c3d4e5f6-token-do-not-show"
HOOK_URL = f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"
SECRETS = (TSIG_SECRET, PASSWORD, SIGNING, TOKEN)

ALERTS = """
[alerts]
default_recipients = ["webadmin@gansu.gov.cn"]
[alerts.email]
host = "smtp.gansu.gov.cn"
security = "starttls"
username = "domainwatch"
{password}
[[alerts.webhook]]
name = "省政务公开群"
kind = "dingtalk"
{url}
{secret}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dw.toml"
    path.write_text(text, encoding="utf-8")
    return path


def document(form: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every secret given in one form: in the TOML itself, by environment variable, by file."""
    values = {"secret": TSIG_SECRET, "password": PASSWORD, "url": HOOK_URL,
              "signing": SIGNING}
    lines = {}
    for key, value in values.items():
        setting = "secret" if key == "signing" else key
        if form == "toml":
            lines[key] = f'{setting} = "{value}"'
        elif form == "env":
            monkeypatch.setenv(f"DW_TEST_{key.upper()}", value)
            lines[key] = f'{setting}_env = "DW_TEST_{key.upper()}"'
        else:
            (tmp_path / f"{key}.txt").write_text(value + "\n", encoding="utf-8")
            lines[key] = f'{setting}_file = "{key}.txt"'  # relative to the configuration
    return (f'[tsig]\nname = "dw-transfer"\n{lines["secret"]}\n'
            + ALERTS.format(password=lines["password"], url=lines["url"],
                            secret=lines["signing"]))


@pytest.mark.parametrize("form", ["toml", "env", "file"])
def test_every_secret_in_every_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    form: str) -> None:
    config = load_config(write(tmp_path, document(form, tmp_path, monkeypatch)))
    assert config.tsig is not None and config.tsig.secret == TSIG_SECRET
    assert config.alerts is not None and config.alerts.email is not None
    assert config.alerts.email.password == PASSWORD
    webhook = config.alerts.webhooks[0]
    assert (webhook.url, webhook.secret) == (HOOK_URL, SIGNING)
    shown = repr(config)
    assert "dw-transfer" in shown and "smtp.gansu.gov.cn" in shown and "省政务公开群" in shown
    assert not [secret for secret in SECRETS if secret in shown]


def test_the_file_form_drops_one_trailing_newline_only(tmp_path: Path) -> None:
    (tmp_path / "key").write_text(f"{TSIG_SECRET}\r\n", encoding="utf-8")
    config = load_config(write(tmp_path, f'[tsig]\nname = "k"\nsecret_file = '
                                         f'"{tmp_path / "key"}"\n'))
    assert config.tsig is not None and config.tsig.secret == TSIG_SECRET


@pytest.mark.parametrize(("table", "secret", "message"), [
    ("[tsig]\nname = \"k\"", f'secret = "{TSIG_SECRET}"\nsecret_env = "DW_TEST_SET"',
     "[tsig] secret is given more than once (secret, secret_env): choose one"),
    ("[tsig]\nname = \"k\"", 'secret_env = "DW_TEST_SET"\nsecret_file = "key.txt"',
     "[tsig] secret is given more than once (secret_env, secret_file): choose one"),
    ("[tsig]\nname = \"k\"", 'secret_env = "DW_TEST_UNSET"',
     "[tsig] secret_env names the environment variable DW_TEST_UNSET, which is not set"),
    ("[tsig]\nname = \"k\"", 'secret_file = "missing.txt"',
     "[tsig] secret_file names the file {tmp}/missing.txt, which cannot be read "
     "(No such file or directory)"),
    ("[tsig]\nname = \"k\"", 'secret_env = "DW_TEST_EMPTY"',
     "[tsig] secret_env names the environment variable DW_TEST_EMPTY, which is empty"),
    ("[tsig]\nname = \"k\"", 'secret_env = "DW_TEST_SET"', "[tsig] secret_env is not valid base64"),
    ("[tsig]\nname = \"k\"", "secret_env = 5",
     "[tsig] secret_env has the wrong type: must be a string, not an integer"),
    ("[tsig]\nname = \"k\"", "", "[tsig] needs secret"),
    (ALERTS.format(password='password = "x"\npassword_env = "DW_TEST_SET"',
                   url=f'url = "{HOOK_URL}"', secret=""), "",
     "[alerts.email] password: is given more than once (password, password_env): choose one"),
    (ALERTS.format(password='password_file = "missing.txt"', url=f'url = "{HOOK_URL}"',
                   secret=""), "",
     "[alerts.email] password_file: names the file {tmp}/missing.txt, which cannot be read"),
    (ALERTS.format(password=f'password = "{PASSWORD}"', url='url_env = "DW_TEST_UNSET"',
                   secret=""), "",
     "[[alerts.webhook]] #1 url_env: names the environment variable DW_TEST_UNSET, which is "
     "not set"),
    (ALERTS.format(password=f'password = "{PASSWORD}"', url='url_env = "DW_TEST_SET"',
                   secret=""), "",
     "[[alerts.webhook]] #1 url: must be an http:// or https:// URL with a host"),
    (ALERTS.format(password=f'password = "{PASSWORD}"', url=f'url = "{HOOK_URL}"',
                   secret='secret_file = "missing.txt"'), "",
     "[[alerts.webhook]] #1 secret_file: names the file {tmp}/missing.txt, which cannot be"),
    (ALERTS.format(password=f'password = "{PASSWORD}"', url="", secret=""), "",
     "[[alerts.webhook]] #1 url: is required"),
])
def test_secret_errors_name_the_setting_never_the_value(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str, secret: str,
        message: str) -> None:
    monkeypatch.setenv("DW_TEST_SET", PASSWORD)
    monkeypatch.setenv("DW_TEST_EMPTY", "")
    monkeypatch.delenv("DW_TEST_UNSET", raising=False)
    (tmp_path / "key.txt").write_text(SIGNING, encoding="utf-8")
    with pytest.raises(ConfigError) as failed:
        load_config(write(tmp_path, f"{table}\n{secret}\n"))
    text = str(failed.value)
    assert text.startswith(f"{tmp_path / 'dw.toml'}: ")
    assert message.format(tmp=tmp_path) in text, text
    assert not [value for value in SECRETS if value in text], text


@pytest.mark.parametrize(("text", "error", "message"), [
    ("[scan]\nresolver = \"127.0.0.1\"", ConfigError,
     "[scan] has no setting 'resolver' (known: resolvers, timeout, retries, concurrency)"),
    ("[scan]\nretries = true", ConfigError,
     "[scan] retries has the wrong type: must be an integer, not true or false"),
    ("[scan]\ntimeout = \"2\"", ConfigError,
     "[scan] timeout has the wrong type: must be a number, not a string"),
    ("[scan]\ntimeout = 0", ConfigError, "[scan] timeout must be greater than 0"),
    ("[scan]\nresolvers = [53]", ConfigError,
     '[scan] resolvers must be a list of "IP[:PORT]" strings'),
    ("[register]\nmanaged = []", ConfigError, "[register] has no setting 'managed'"),
    ("[register]\nmanaged_domains = \"jiuquan.gov.cn\"", ConfigError,
     "[register] managed_domains has the wrong type: must be a list, not a string"),
    ("[tsig]\nname = \"k\"\nkey = \"c2VjcmV0\"", ConfigError,
     "[tsig] has no setting 'key' (known: name, algorithm, secret, secret_env, secret_file)"),
    ("[tsig]\nname = \"k\"\nsecret = \"c2VjcmV0\"\nalgorithm = \"md5\"", ConfigError,
     "[tsig] algorithm 'md5' is not one of hmac-md5"),
    ("[whois]\nservers = \"whois.cnnic.cn\"", ConfigError,
     "[whois] servers has the wrong type: must be a list, not a string"),
    ("[whois]\nspacing = 1", ConfigError, "[whois] has no setting 'spacing'"),
    ("[whois]\nretries = -1", ConfigError, "[whois] retries must be 0 or more"),
    ("[whois]\nexpiry_window = \"a month\"", ConfigError,
     "[whois] expiry_window is 'a month', not a duration like 30m, 6h or 7d"),
    ("[web]\ncolour = \"red\"", ConfigError, "[web] has no setting 'colour'"),
    ("[web]\ncloaking = 1", ConfigError,
     "[web] cloaking has the wrong type: must be true or false, not an integer"),
    ("[web]\ntimeout = 0", ConfigError, "[web] timeout is out of range"),
    ("[web]\nmax_bytes = 0", ConfigError, "[web] max_bytes must be a positive number"),
    ("[links]\nlink_hosts = 5", ConfigError, "[links] has no setting 'link_hosts'"),
    ("[links]\ndepth = 'deep'", ConfigError, "[links] depth has the wrong type"),
    ("[links]\npages = 0", ConfigError, "[links] pages must be 1 or more"),
    ("[run]\nfrequency = 3", RunConfigError, "[run] has no setting 'frequency'"),
    ("[run]\ninterval_active = 7", RunConfigError,
     "[run] interval_active is 7, not a duration like 30m, 6h or 7d"),
    ("[run]\nconfirm_open = true", RunConfigError,
     "[run] confirm_open has the wrong type: must be an integer, not true or false"),
    ("[run]\nconfirm_open_by = { unused = 0 }", RunConfigError,
     "[run] confirm_open_by.unused must be a whole number ≥ 1"),
    ("[alerts]\nrecipients = []", AlertConfigError, "[alerts] has no setting 'recipients'"),
    ("[alerts]\nbackoff = \"1s\"", AlertConfigError,
     "[alerts] backoff: must be a number, not a string"),
    ("[alerts]\nwebhook = [{ name = \"a\", kind = \"json\", url = \"http://127.0.0.1/\", "
     "token = \"t\" }]", AlertConfigError, "[[alerts.webhook]] #1 has no setting 'token'"),
    ("[colours]\nred = 1", ConfigError, "unknown section(s): colours"),
    ("run = 1", ConfigError, "[run] must be a table"),
])
def test_every_table_is_checked_alike(tmp_path: Path, text: str, error: type[Exception],
                                      message: str) -> None:
    with pytest.raises(error) as failed:
        load_config(write(tmp_path, text + "\n"))
    assert message in str(failed.value), str(failed.value)


def test_defaults_and_a_complete_file(tmp_path: Path) -> None:
    assert load_config(None) == Config()
    config = load_config(write(tmp_path, '[scan]\nresolvers = ["10.0.0.53"]\ntimeout = 3\n'
                                         '[register]\nmanaged_domains = ["JiuQuan.gov.cn"]\n'
                                         '[whois]\nservers = ["cn=127.0.0.1:4343"]\n'))
    assert (config.resolvers, config.timeout, config.managed_domains) == (
        ["10.0.0.53"], 3.0, ["jiuquan.gov.cn"])
    assert config.whois is not None and config.whois.enabled
    assert config.whois.servers == {"cn": ("127.0.0.1", 4343)}
    assert config.run.confirm.open_by == {"unused": 2}


def test_settings_import_nothing_above_them() -> None:
    code = ("import sys, domainwatch.settings, domainwatch.config; "
            "print(' '.join(m for m in sys.modules if m.startswith('domainwatch')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.split()
    assert not {"domainwatch.scan", "domainwatch.nightly", "domainwatch.alerts",
                "domainwatch.cli", "domainwatch.api", "domainwatch.discovery"} & set(loaded)
