"""The test internet's web sites: one Debian nginx serving a scenario's ``[[site]]`` tables.

Every site answers every path with its status, body, content type and headers (except the
paths its ``pages`` answer otherwise: an nginx prefix location each), over HTTP
on port 80 and HTTPS on port 443 (each can be turned off per site), with a certificate
from the world's CA (:mod:`domainwatch.testnet.ca`). Each address and port also has a
default server answering ``404 no site`` for any other Host (on 443 with a certificate for
``no-site.invalid``). Sites may cloak: another body for search-engine crawlers (by
User-Agent) and another answer for visitors from a search engine (by Referer), each for all
of them or only some (``$dw_crawler`` and ``$dw_search`` name the crawler and the engine).

nginx runs in the foreground (``daemon off``) as a child of :class:`LocalInternet`, with
its prefix, pid file, temp paths and log (standard error, into ``nginx/out``) in the
world's workdir. Bodies are written into the configuration itself (nginx's workers run as
``nobody`` and could not read files in the private workdir); nginx limits one
configuration token to 4 KB (bytes, not characters), so long bodies are split into
variables and joined again. ``Site.body_parts`` used by several sites are written once, as
http-level constants. Sites that differ only in names and body (and share a certificate)
are served by one server block whose body is looked up by ``$host``: nginx spends about
0.8 ms and 40 KB per server block that loads a certificate (OpenSSL 3.0 decoding the key
and the certificate), so a big world should share certificates (see ``synthetic.py``).

The listening sockets use ``reuseport``: two worlds with the same sites (the demo world and
a variant of it, in the tests) can run at once and share the addresses; the sites of worlds
running together must therefore agree wherever they share an address and name.
"""

from __future__ import annotations

import dataclasses
import os
import re
import resource
import shutil
import socket
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from domainwatch.testnet.ca import CertificateFiles
from domainwatch.testnet.scenario import (
    CRAWLERS,
    HTTP_PORT,
    HTTPS_PORT,
    REDIRECTS,
    SEARCH_ENGINES,
    Site,
    SiteCertificate,
)

NGINX_PACKAGE = "nginx"
NGINX_DIR = "nginx"
NO_SITE_NAME = "no-site.invalid"
#: What a User-Agent contains (case-insensitively) for each crawler of ``Site.crawler_agents``
#: (Sogou's crawlers say "Sogou web spider", "Sogou inst spider", ...).
CRAWLER_AGENTS = {
    "Baiduspider": "Baiduspider",
    "Sogou": "Sogou",
    "360Spider": "360Spider",
    "YisouSpider": "YisouSpider",
    "Bytespider": "Bytespider",
    "Googlebot": "Googlebot",
    "bingbot": "bingbot",
}
#: The Referer host (itself or a sub-domain) of each search engine of
#: ``Site.referer_engines``, as a regular expression.
SEARCH_ENGINE_HOSTS = {
    "baidu.com": r"baidu\.com",
    "sogou.com": r"sogou\.com",
    "so.com": r"so\.com",
    "sm.cn": r"sm\.cn",
    "toutiao.com": r"toutiao\.com",
    "google": r"google\.[a-z.]+",
    "bing.com": r"bing\.com",
}
TLS_SETTINGS = {
    "modern": ("TLSv1.2 TLSv1.3", "HIGH:!aNULL:!MD5"),
    "legacy": ("TLSv1 TLSv1.1", "DEFAULT:@SECLEVEL=0"),
}
BIG_WORLD_SITES = 1000  # more sites than this: two worker processes
CLIENT_CONNECTIONS = 4096  # per worker, on top of its listening sockets
_TOKEN_BYTES = 3500  # bytes per configuration token (nginx's limit is 4096 with the directive)
_PIECE_CHARS = 1000  # characters escaped at once before measuring
_GROUP = 150  # chunk variables joined per token
_NAMES_PER_LINE = 50
_DOLLAR = "${dw_dollar}"
_NO_SITE = "no site\n"

CertificateSource = Callable[[tuple[str, ...], SiteCertificate], CertificateFiles]


def nginx_argv(nginx: str, directory: Path) -> list[str]:
    """The command line of the foreground nginx master for ``directory``."""
    return [nginx, "-p", f"{directory}/", "-e", "stderr", "-c", str(directory / "nginx.conf"),
            "-g", "daemon off;"]


def write_nginx_files(sites: list[Site], directory: Path,
                      certificates: CertificateSource | None = None) -> Path:
    """Write ``nginx.conf`` (and its temp directories) into ``directory``; return the
    configuration's path. ``certificates`` makes the HTTPS certificates (``WorldCA.files``);
    sites with a fault ``behaviour`` are left out (they are not nginx's)."""
    (directory / "temp").mkdir(parents=True, exist_ok=True)
    conf = directory / "nginx.conf"
    conf.write_text(nginx_conf(sites, directory, certificates), encoding="utf-8",
                    errors="surrogateescape")
    return conf


def nginx_sites(sites: list[Site]) -> list[Site]:
    return [site for site in sites if not site.faulty]


def listen_pairs(sites: list[Site]) -> list[tuple[str, int]]:
    """Every (address, port) nginx listens on for ``sites``."""
    pairs = {(site.address, port): None for site in nginx_sites(sites) for port in site.ports}
    return list(pairs)


def worker_processes(sites: list[Site]) -> int:
    return 2 if len(nginx_sites(sites)) > BIG_WORLD_SITES else 1


def open_files_needed(sites: list[Site]) -> int:
    """File descriptors the nginx master needs: its listening sockets and some more."""
    return len(listen_pairs(sites)) * worker_processes(sites) + 256


def nginx_conf(sites: list[Site], directory: Path,
               certificates: CertificateSource | None = None) -> str:
    sites = nginx_sites(sites)
    temp = directory / "temp"
    workers = worker_processes(sites)
    pairs = listen_pairs(sites)
    listeners = len(pairs) * workers
    connections = listeners + CLIENT_CONNECTIONS
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nofile = listeners + 2 * connections
    if hard != resource.RLIM_INFINITY:
        nofile = min(nofile, hard)
    names_per_port = Counter(
        (site.address, port) for site in sites for port in site.ports for _ in site.names
    )
    hash_size = max(4096, 2 * max(names_per_port.values(), default=0))
    lines = [
        f"worker_processes {workers};",
        f"worker_rlimit_nofile {nofile};",
        f'pid "{directory}/nginx.pid";',
        "error_log stderr notice;",
        f"events {{ worker_connections {connections}; }}",
        "http {",
        "    access_log off;",
        "    server_tokens off;",
        "    keepalive_timeout 5;",
        "    server_names_hash_bucket_size 256;",
        f"    server_names_hash_max_size {hash_size};",
        "    map_hash_bucket_size 256;",
        f"    map_hash_max_size {hash_size};",
        *(f'    {kind}_temp_path "{temp}/{kind}";'
          for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
        '    geo $dw_dollar { default "$"; }',
        *_crawler_map(),
        *_search_map(),
    ]
    shared, constants = _shared_parts(sites)
    lines += constants
    tls_of = {site.address: site.tls for site in sites if site.https}
    for address, port in pairs:
        lines += _default_server(address, port, tls_of.get(address, "modern"), certificates)
    for number, group in enumerate(_groups(sites)):
        lines += _server(number, group, shared, certificates)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _crawler_map() -> list[str]:
    """``$dw_crawler``: the name of the crawler the User-Agent is (the first that matches),
    or empty."""
    lines = ['    map $http_user_agent $dw_crawler {', '        default "";']
    lines += [f'        "~*{re.escape(CRAWLER_AGENTS[name])}" "{name}";' for name in CRAWLERS]
    return [*lines, "    }"]


def _search_map() -> list[str]:
    """``$dw_search``: the search engine whose host (or a sub-domain of it) the Referer's
    host is, or empty. A search engine's name elsewhere in the URL does not count."""
    lines = ['    map $http_referer $dw_search {', '        default "";']
    lines += [f'        "~*^[a-z][a-z0-9+.-]*://([^/?#@]*\\.)?{SEARCH_ENGINE_HOSTS[name]}'
              f'(:[0-9]*)?([/?#]|$)" "{name}";' for name in SEARCH_ENGINES]
    return [*lines, "    }"]


def _chosen(variable: str, names: tuple[str, ...], every: tuple[str, ...]) -> str:
    """The nginx ``if`` condition: ``$variable`` is one of ``names`` (any, for all)."""
    if set(names) >= set(every):
        return f"${variable}"
    return f'${variable} ~ "^({"|".join(re.escape(name) for name in names)})$"'


def _default_server(address: str, port: int, tls: str,
                    certificates: CertificateSource | None) -> list[str]:
    ssl = " ssl" if port == HTTPS_PORT else ""
    lines = [
        "    server {",
        f"        listen {address}:{port}{ssl} default_server reuseport;",
        '        server_name "";',
    ]
    if port == HTTPS_PORT:
        files = _certificate(certificates, (NO_SITE_NAME,), SiteCertificate())
        lines += _tls_lines(files, tls)
    lines += [
        "        location / {",
        "            default_type text/plain;",
        f"            return 404 {_quote(_NO_SITE)};",
        "        }",
        "    }",
    ]
    return lines


def _certificate(certificates: CertificateSource | None, names: tuple[str, ...],
                 spec: SiteCertificate) -> CertificateFiles:
    if certificates is None:
        raise ValueError("HTTPS sites need a certificate source (the world's CA)")
    return certificates(names, spec)


def _tls_lines(files: CertificateFiles, tls: str) -> list[str]:
    protocols, ciphers = TLS_SETTINGS[tls]
    return [
        f'        ssl_certificate "{files.chain}";',
        f'        ssl_certificate_key "{files.key}";',
        f"        ssl_protocols {protocols};",
        f'        ssl_ciphers "{ciphers}";',
    ]


def _refusing_tls_lines(tls: str) -> list[str]:
    """A certificate nginx looks for at each handshake and never finds: the handshake
    fails with an internal-error alert, as a service's does for a name it does not host."""
    protocols, ciphers = TLS_SETTINGS[tls]
    missing = '"no-certificate/$ssl_server_name.pem"'
    return [
        f"        ssl_certificate {missing};",
        f"        ssl_certificate_key {missing};",
        f"        ssl_protocols {protocols};",
        f'        ssl_ciphers "{ciphers}";',
    ]


def _groups(sites: list[Site]) -> list[list[Site]]:
    """Sites in server blocks: those that differ only in names and body share one."""
    groups: dict[object, list[Site]] = {}
    for index, site in enumerate(sites):
        key: object = index
        mergeable = all("." in name and "*" not in name for name in site.names)
        if mergeable and site.charset == "utf-8" and (site.certificate.names or not site.https):
            key = dataclasses.replace(site, names=(), body="", body_parts=())
        groups.setdefault(key, []).append(site)
    return list(groups.values())


def _server(number: int, group: list[Site], shared: dict[str, str],
            certificates: CertificateSource | None) -> list[str]:
    site = group[0]
    names = [name for member in group for name in member.names]
    lines = ["    server {"]
    lines += [f"        listen {site.address}:{port}{' ssl' if port == HTTPS_PORT else ''};"
              for port in site.ports]
    lines += [f"        server_name {' '.join(names[i:i + _NAMES_PER_LINE])};"
              for i in range(0, len(names), _NAMES_PER_LINE)]
    if site.https and site.certificate.issuer == "none":
        lines += _refusing_tls_lines(site.tls)
    elif site.https:
        lines += _tls_lines(_certificate(certificates, site.names, site.certificate), site.tls)
    maps: list[str] = []
    setters: list[str] = []
    prefix = f"dw_s{number}"
    if len(group) == 1:
        sets, body = _expression(f"{prefix}_b", _pieces(site, shared))
        setters += sets
    else:
        maps, body = _body_maps(prefix, group, shared)
    location = None
    headers: list[str] = []
    for key, value in site.headers:
        if site.status in REDIRECTS and key.lower() == "location":
            location = value
            continue
        headers.append(f"            add_header {key} {_quote(value)} always;")
    returns: list[str] = []
    if site.crawler_body is not None:
        sets, text = _expression(f"{prefix}_c", _encoded_chunks(site.crawler_body,
                                                                 site.charset))
        setters += sets
        condition = _chosen("dw_crawler", site.crawler_agents, CRAWLERS)
        returns.append(f"            if ({condition}) {{ return 200 {text}; }}")
    answer = site.referer_answer
    if answer is not None:
        status, referer_location, referer_body = answer
        if status in REDIRECTS:
            text = _quote(referer_location or "")
        else:
            sets, text = _expression(f"{prefix}_r", _encoded_chunks(referer_body,
                                                                     site.charset))
            setters += sets
        condition = _chosen("dw_search", site.referer_engines, SEARCH_ENGINES)
        returns.append(f"            if ({condition}) {{ return {status} {text}; }}")
    final = _quote(location) if location is not None else body
    for index, page in enumerate(site.pages):
        if page.location is not None:
            answer_text = _quote(page.location)
            page_setters: list[str] = []
        else:
            page_setters, answer_text = _expression(f"{prefix}_p{index}_",
                                                    _encoded_chunks(page.body, site.charset))
        lines += [
            f'        location "{page.path}" {{',
            f"            default_type {_quote(site.content_type)};",
            *(f"            {line}" for line in page_setters),
            f"            return {page.status} {answer_text};",
            "        }",
        ]
    lines += [
        "        location / {",
        f"            default_type {_quote(site.content_type)};",
        *headers,
        *(f"            {line}" for line in setters),
        *returns,
        f"            return {site.status} {final};",
        "        }",
        "    }",
    ]
    return [*maps, *lines]


def _body_maps(prefix: str, group: list[Site], shared: dict[str, str]) -> tuple[list[str], str]:
    """http-level maps from ``$host`` to each site's body tokens, and the body expression."""
    tokens = {site: _pack(_pieces(site, shared)) for site in group}
    count = max(len(value) for value in tokens.values())
    if count > _GROUP:
        raise ValueError(f"site body of {len(group[0].full_body)} characters is too large")
    maps: list[str] = []
    for index in range(count):
        maps.append(f"    map $host ${prefix}_m{index} {{")
        maps.append('        default "";')
        for site, values in tokens.items():
            if index < len(values):
                maps += [f'        {name} "{values[index]}";' for name in site.names]
        maps.append("    }")
    return maps, '"' + "".join(f"${{{prefix}_m{i}}}" for i in range(count)) + '"'


def _shared_parts(sites: list[Site]) -> tuple[dict[str, str], list[str]]:
    """Body parts used more than once: their references and the http-level constants."""
    counts = Counter(part for site in sites for part in site.body_parts)
    shared: dict[str, str] = {}
    lines: list[str] = []
    for part, count in counts.items():
        if count < 2 or not part:
            continue
        number = len(shared)
        chunks = _chunks(part, literal=True)
        names = [f"dw_p{number}_{i}" for i in range(len(chunks))]
        lines += [f'    geo ${name} {{ default "{chunk}"; }}' for name, chunk in zip(
            names, chunks, strict=True)]
        shared[part] = "".join(f"${{{name}}}" for name in names)
    return shared, lines


def _pieces(site: Site, shared: dict[str, str]) -> list[str]:
    """The site's body as escaped pieces, each under the token limit."""
    if not _utf8(site.charset):
        return _encoded_chunks(site.body, site.charset)
    if not site.body_parts:
        return _chunks(site.body)
    pieces: list[str] = []
    for part in site.body_parts:
        reference = shared.get(part)
        pieces += [reference] if reference is not None else _chunks(part)
    return pieces


def _utf8(charset: str) -> bool:
    return charset.lower().replace("_", "-") in ("utf-8", "utf8")


def _encoded_chunks(text: str, charset: str) -> list[str]:
    """``text`` in ``charset``, escaped in pieces. Bytes of another encoding than UTF-8
    travel through the UTF-8 configuration file as surrogate escapes, and nginx serves them
    as they were."""
    if _utf8(charset):
        return _chunks(text)
    return _chunks(text.encode(charset).decode("utf-8", "surrogateescape"))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("$", _DOLLAR)


def _escape_literal(text: str) -> str:
    """Escaped for a value nginx does not interpolate (geo): ``$`` stays."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _quote(text: str) -> str:
    return f'"{_escape(text)}"'


def _chunks(text: str, literal: bool = False) -> list[str]:
    """``text`` escaped, in pieces of at most ``_TOKEN_BYTES`` UTF-8 bytes."""
    escape = _escape_literal if literal else _escape
    chunks: list[str] = []
    start = 0
    while start < len(text):
        width = _PIECE_CHARS
        while True:
            piece = escape(text[start:start + width])
            if len(piece.encode("utf-8", "surrogateescape")) <= _TOKEN_BYTES or width == 1:
                break
            width //= 2
        chunks.append(piece)
        start += width
    return chunks or [""]


def _pack(pieces: list[str]) -> list[str]:
    """Join consecutive pieces into as few tokens under the limit as possible."""
    tokens: list[str] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        length = len(piece.encode("utf-8", "surrogateescape"))
        if current and size + length > _TOKEN_BYTES:
            tokens.append("".join(current))
            current, size = [], 0
        current.append(piece)
        size += length
    tokens.append("".join(current))
    return tokens


def _expression(prefix: str, pieces: list[str]) -> tuple[list[str], str]:
    """``set`` lines and the quoted expression joining ``pieces``."""
    tokens = _pack(pieces)
    if len(tokens) == 1:
        return [], f'"{tokens[0]}"'
    setters = [f'set ${prefix}{i} "{token}";' for i, token in enumerate(tokens)]
    names = [f"${{{prefix}{i}}}" for i in range(len(tokens))]
    if len(names) > _GROUP:
        groups = [names[i:i + _GROUP] for i in range(0, len(names), _GROUP)]
        setters += [f'set ${prefix}g{i} "{"".join(group)}";' for i, group in enumerate(groups)]
        names = [f"${{{prefix}g{i}}}" for i in range(len(groups))]
    if len(names) > _GROUP:
        raise ValueError(f"site body of {sum(map(len, pieces))} characters is too large")
    return setters, f'"{"".join(names)}"'


def find_nginx() -> str:
    """Path of the nginx binary (``$DOMAINWATCH_NGINX`` overrides); a clear error naming
    the Debian package when it is missing."""
    from domainwatch.testnet.dns import MissingBinaryError

    override = os.environ.get("DOMAINWATCH_NGINX")
    candidate = override or shutil.which("nginx") or "/usr/sbin/nginx"
    if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
        source = " (from $DOMAINWATCH_NGINX)" if override else ""
        raise MissingBinaryError(
            f"nginx not found at {candidate}{source}: the test internet's web sites need "
            f"it; install it with `apt-get install {NGINX_PACKAGE}` (Debian package "
            f"{NGINX_PACKAGE})"
        )
    return candidate


def listening(address: str, port: int = HTTP_PORT, timeout: float = 0.2) -> bool:
    """Whether something accepts TCP connections on ``address:port``."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False
