"""The configuration file: one validation for every table, and secrets kept out of sight."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from domainwatch.cli import EXIT_INPUT, cli
from domainwatch.config import AlertConfigError, Config, ConfigError, RunConfigError, load_config
from domainwatch.settings import (
    AlertConfig,
    EmailChannel,
    Secret,
    SecretUnavailable,
    WebhookChannel,
    WebStage,
    WhoisSettings,
)

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
    assert config.tsig is not None and config.tsig.secret.reveal() == TSIG_SECRET
    assert config.alerts is not None and config.alerts.email is not None
    assert config.alerts.email.password is not None
    assert config.alerts.email.password.reveal() == PASSWORD
    webhook = config.alerts.webhooks[0]
    assert webhook.secret is not None
    assert (webhook.url.reveal(), webhook.secret.reveal()) == (HOOK_URL, SIGNING)
    shown = repr(config)
    assert "dw-transfer" in shown and "smtp.gansu.gov.cn" in shown and "省政务公开群" in shown
    assert not [secret for secret in SECRETS if secret in shown]
    variables = ["DW_TEST_SECRET", "DW_TEST_PASSWORD", "DW_TEST_URL", "DW_TEST_SIGNING"]
    assert config.secret_variables() == (variables if form == "env" else [])


def test_a_variable_is_read_when_its_secret_is_used(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DW_TEST_PASSWORD", raising=False)
    config = load_config(write(tmp_path, ALERTS.format(
        password='password_env = "DW_TEST_PASSWORD"', url=f'url = "{HOOK_URL}"', secret="")))
    assert config.alerts is not None and config.alerts.email is not None
    password = config.alerts.email.password
    assert password is not None and password.peek() is None
    monkeypatch.setenv("DW_TEST_PASSWORD", PASSWORD)
    assert password.reveal() == PASSWORD
    assert PASSWORD not in repr(config) and config.secret_variables() == ["DW_TEST_PASSWORD"]


@pytest.mark.parametrize(("contents", "password"), [
    ("x\n", "x"), ("x\r\n", "x"), ("x\n\n", "x\n"), (" x \n", " x "), ("x", "x"),
    ("\ufeffx\n", "x"),  # a byte-order mark (Notepad's) is not part of the secret
])
def test_the_file_form_drops_one_trailing_newline_only(tmp_path: Path, contents: str,
                                                        password: str) -> None:
    (tmp_path / "password").write_bytes(contents.encode("utf-8"))
    config = load_config(write(tmp_path, ALERTS.format(
        password='password_file = "password"', url=f'url = "{HOOK_URL}"', secret="")))
    assert config.alerts is not None and config.alerts.email is not None
    assert config.alerts.email.password is not None
    assert config.alerts.email.password.reveal() == password


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and every exception it carries as __cause__ or __context__."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or any(current is known for known in seen):
            continue
        seen.append(current)
        pending += [current.__cause__, current.__context__]
    return seen


def test_an_undecodable_secret_file_leaves_no_bytes_in_the_exception(tmp_path: Path) -> None:
    secret = b"\xff\xfeLATIN-1-PASSW\xd6RD-do-not-show"
    (tmp_path / "password").write_bytes(secret)
    with pytest.raises(AlertConfigError) as failed:
        load_config(write(tmp_path, ALERTS.format(
            password='password_file = "password"', url=f'url = "{HOOK_URL}"', secret="")))
    assert "[alerts.email] password_file: names the file" in str(failed.value)
    assert "which cannot be read (not UTF-8 text)" in str(failed.value)
    marker = b"PASSW"
    for error in _chain(failed.value):
        assert error.__cause__ is None and error.__context__ is None, repr(error)
        for item in (*error.args, getattr(error, "object", b"")):
            assert marker not in (item if isinstance(item, bytes) else str(item).encode())
    # nor in the locals of the frames it was raised through (a traceback that shows them)
    traceback = failed.value.__traceback__
    while traceback is not None:
        frame = traceback.tb_frame
        for value in frame.f_locals.values() if frame.f_code.co_filename != __file__ else ():
            if isinstance(value, bytes | str):
                assert marker not in (value if isinstance(value, bytes) else value.encode())
        traceback = traceback.tb_next


@pytest.mark.parametrize(("source", "message"), [
    ("/dev/null", "names the file /dev/null, which is not a regular file"),  # /dev/zero too
    (".", "names the file {tmp}, which is not a regular file"),  # a directory
    ("big", "names the file {tmp}/big, which is larger than 64 KiB"),
])
def test_a_secret_file_must_be_a_small_regular_file(tmp_path: Path, source: str,
                                                    message: str) -> None:
    (tmp_path / "big").write_text(TSIG_SECRET * 5000, encoding="utf-8")
    with pytest.raises(ConfigError) as failed:
        load_config(write(tmp_path, f'[tsig]\nname = "k"\nsecret_file = "{source}"\n'))
    assert f"[tsig] secret_file {message.format(tmp=tmp_path)}" in str(failed.value)
    assert TSIG_SECRET not in str(failed.value)


@pytest.mark.parametrize(("text", "message"), [
    ('[tsig]\nname = "k"\nsecret = ""', "[tsig] secret must not be empty"),
    (ALERTS.format(password='password = ""', url=f'url = "{HOOK_URL}"', secret=""),
     "[alerts.email] password: must not be empty"),
    (ALERTS.format(password=f'password = "{PASSWORD}"', url=f'url = "{HOOK_URL}"',
                   secret='secret = ""'), "[[alerts.webhook]] #1 secret: must not be empty"),
])
def test_an_empty_inline_secret_is_refused_like_an_empty_file(tmp_path: Path, text: str,
                                                              message: str) -> None:
    with pytest.raises(ConfigError) as failed:
        load_config(write(tmp_path, text + "\n"))
    assert message in str(failed.value), str(failed.value)


def test_a_relative_ca_file_is_read_from_the_configuration_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_dir = tmp_path / "etc"
    config_dir.mkdir()
    (config_dir / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # cron: the working directory is not the configuration's
    text = ALERTS.format(password=f'password = "{PASSWORD}"\nca_file = "ca.pem"',
                         url=f'url = "{HOOK_URL}"', secret='ca_file = "ca.pem"')
    config = load_config(write(config_dir, text))
    assert config.alerts is not None and config.alerts.email is not None
    assert config.alerts.email.ca_file == str(config_dir / "ca.pem")
    assert config.alerts.webhooks[0].ca_file == str(config_dir / "ca.pem")
    (config_dir / "ca.pem").rename(tmp_path / "ca.pem")  # only in the working directory
    with pytest.raises(AlertConfigError) as failed:
        load_config(write(config_dir, text))
    assert f"ca_file: {config_dir / 'ca.pem'} is not a readable file" in str(failed.value)


@pytest.mark.parametrize(("setting", "message"), [
    ('user_agent = "UA\\r\\nX-Evil: 1"', "[web] user_agent must be non-empty text"),
    ('user_agent = ""', "[web] user_agent must be non-empty text"),
    ('crawlers = { Baidu = "Baiduspider\\r\\nX-Evil: 1" }', "[web] crawlers maps a label"),
    ('crawlers = { "Bai\\ndu" = "Baiduspider" }', "[web] crawlers maps a label"),
    ('search_referers = { baidu = "https://www.baidu.com/\\r\\nX-Evil: 1" }',
     "[web] search_referers maps a label"),
    ('search_referer = "https://www.baidu.com/\\nX-Evil: 1"',
     "[web] search_referer must be non-empty text without control characters"),
])
def test_web_header_values_hold_no_control_characters(tmp_path: Path, setting: str,
                                                      message: str) -> None:
    with pytest.raises(ConfigError) as failed:
        load_config(write(tmp_path, f"[web]\n{setting}\n"))
    assert message in str(failed.value), str(failed.value)


@pytest.mark.parametrize("text", [
    "[scan]\ntimeout = inf", "[scan]\ntimeout = nan", "[whois]\ntimeout = inf",
    "[whois]\nmin_interval = nan", "[links]\ninterval = inf", "[web]\ntimeout = nan",
    "[web]\nchange_similarity = nan", "[alerts]\nbackoff = inf",
])
def test_numbers_must_be_finite(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="must be a finite number"):
        load_config(write(tmp_path, text + "\n"))


@pytest.mark.parametrize(("table", "secret", "message"), [
    ("[tsig]\nname = \"k\"", f'secret = "{TSIG_SECRET}"\nsecret_env = "DW_TEST_SET"',
     "[tsig] secret is given more than once (secret, secret_env): choose one"),
    ("[tsig]\nname = \"k\"", 'secret_env = "DW_TEST_SET"\nsecret_file = "key.txt"',
     "[tsig] secret is given more than once (secret_env, secret_file): choose one"),
    ("[tsig]\nname = \"k\"", 'secret_file = "missing.txt"',
     "[tsig] secret_file names the file {tmp}/missing.txt, which cannot be read "
     "(No such file or directory)"),
    ("[tsig]\nname = \"k\"", 'secret = "not base64!"', "[tsig] secret is not valid base64"),
    ("[tsig]\nname = \"k\"", 'secret_file = "key.txt"', "[tsig] secret_file is not valid base64"),
    ("[tsig]\nname = \"k\"", "secret_env = 5",
     "[tsig] secret_env has the wrong type: must be a string, not an integer"),
    ("[tsig]\nname = \"k\"", "", "[tsig] needs secret"),
    (ALERTS.format(password='password = "x"\npassword_env = "DW_TEST_SET"',
                   url=f'url = "{HOOK_URL}"', secret=""), "",
     "[alerts.email] password: is given more than once (password, password_env): choose one"),
    (ALERTS.format(password='password_file = "missing.txt"', url=f'url = "{HOOK_URL}"',
                   secret=""), "",
     "[alerts.email] password_file: names the file {tmp}/missing.txt, which cannot be read"),
    (ALERTS.format(password=f'password = "{PASSWORD}"', url='url = "ftp://example.cn/"',
                   secret=""), "",
     "[[alerts.webhook]] #1 url: must be an http:// or https:// URL with a host"),
    (ALERTS.format(password=f'password = "{PASSWORD}"', url='url_file = "key.txt"',
                   secret=""), "",
     "[[alerts.webhook]] #1 url_file: must be an http:// or https:// URL with a host"),
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


def _tsig_secret(config: Config) -> Secret | None:
    return config.tsig.secret if config.tsig else None


def _password(config: Config) -> Secret | None:
    return config.alerts.email.password if config.alerts and config.alerts.email else None


def _hook_url(config: Config) -> Secret | None:
    return config.alerts.webhooks[0].url if config.alerts else None


TSIG = '[tsig]\nname = "k"\n'


def test_only_the_commands_that_use_a_secret_need_its_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DW_TEST_TSIG", "DW_TEST_PASSWORD", "DW_TEST_URL"):
        monkeypatch.delenv(name, raising=False)
    config = write(tmp_path, TSIG + 'secret_env = "DW_TEST_TSIG"\n' + ALERTS.format(
        password='password_env = "DW_TEST_PASSWORD"', url='url_env = "DW_TEST_URL"',
        secret=""))
    register = tmp_path / "register.csv"
    register.write_text("name,owner\nwww.jiuquan.gov.cn,酒泉市人民政府\n", encoding="utf-8")
    base = ["--db", str(tmp_path / "dw.db"), "--config", str(config)]
    for command in (["register", "import", str(register)], ["register", "list"],
                    ["findings"], ["report", "--format", "json"]):
        result = CliRunner().invoke(cli, [*base, *command])
        assert result.exit_code == 0, (command, result.output)
    # the zone transfer signs with the TSIG key: the variable is read then, before any
    # connection (nothing listens at the server given)
    result = CliRunner().invoke(cli, [*base, "register", "sync", "--axfr", "jiuquan.gov.cn",
                                      "--server", "127.0.0.1:9"])
    assert result.exit_code == EXIT_INPUT
    assert result.output == (f"domainwatch: {config}: [tsig] secret_env names the environment "
                             "variable DW_TEST_TSIG, which is not set\n")


@pytest.mark.parametrize(("table", "secret", "message"), [
    (TSIG + 'secret_env = "DW_TEST_UNSET"', _tsig_secret,
     "[tsig] secret_env names the environment variable DW_TEST_UNSET, which is not set"),
    (TSIG + 'secret_env = "DW_TEST_EMPTY"', _tsig_secret,
     "[tsig] secret_env names the environment variable DW_TEST_EMPTY, which is empty"),
    (TSIG + 'secret_env = "DW_TEST_SET"', _tsig_secret,
     "[tsig] secret_env names the environment variable DW_TEST_SET, whose value is not valid "
     "base64"),
    (ALERTS.format(password='password_env = "DW_TEST_UNSET"', url=f'url = "{HOOK_URL}"',
                   secret=""), _password,
     "[alerts.email] password_env: names the environment variable DW_TEST_UNSET, which is not "
     "set"),
    (ALERTS.format(password=f'password = "{PASSWORD}"', url='url_env = "DW_TEST_UNSET"',
                   secret=""), _hook_url,
     "[[alerts.webhook]] #1 url_env: names the environment variable DW_TEST_UNSET, which is "
     "not set"),
    (ALERTS.format(password=f'password = "{PASSWORD}"', url='url_env = "DW_TEST_SET"',
                   secret=""), _hook_url,
     "[[alerts.webhook]] #1 url_env: names the environment variable DW_TEST_SET, whose value "
     "must be an http:// or https:// URL with a host"),
])
def test_a_variable_that_cannot_give_its_secret_fails_when_the_secret_is_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str,
        secret: Callable[[Config], Secret | None], message: str) -> None:
    monkeypatch.setenv("DW_TEST_SET", PASSWORD)
    monkeypatch.setenv("DW_TEST_EMPTY", "")
    monkeypatch.delenv("DW_TEST_UNSET", raising=False)
    config = load_config(write(tmp_path, table + "\n"))  # nothing reads the variable yet
    used = secret(config)
    assert used is not None and used.peek() is None
    with pytest.raises(SecretUnavailable) as failed:
        used.reveal()
    text = str(failed.value)
    assert text == f"{tmp_path / 'dw.toml'}: {message}"
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


def test_an_empty_file_gives_the_dataclass_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    assert load_config(path) == Config(source=str(path), web=WebStage())
    # the tables whose parser fills in settings left out: each as its dataclass has them
    config = load_config(write(tmp_path, '[whois]\nenabled = true\n[alerts]\n'
                                         'default_recipients = ["webadmin@gansu.gov.cn"]\n'
                                         '[alerts.email]\nhost = "smtp.gansu.gov.cn"\n'
                                         '[[alerts.webhook]]\nname = "soc"\nkind = "json"\n'
                                         'url = "http://127.0.0.1/"\n'))
    assert config.whois == WhoisSettings()
    assert config.alerts == AlertConfig(
        default_recipients=["webadmin@gansu.gov.cn"], email=EmailChannel("smtp.gansu.gov.cn"),
        webhooks=[WebhookChannel("soc", "json", Secret("http://127.0.0.1/"))])


def test_defaults_and_a_complete_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[scan]\nresolvers = ["10.0.0.53"]\ntimeout = 3\n'
                                         '[register]\nmanaged_domains = ["JiuQuan.gov.cn"]\n'
                                         '[whois]\nservers = ["cn=127.0.0.1:4343"]\n'))
    assert (config.resolvers, config.timeout, config.managed_domains) == (
        ["10.0.0.53"], 3.0, ["jiuquan.gov.cn"])
    assert config.whois is not None and config.whois.enabled
    assert config.whois.servers == {"cn": ("127.0.0.1", 4343)}
    assert config.run.confirm.open_by == {"unused": 2}

