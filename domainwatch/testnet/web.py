"""The test internet's web sites: one Debian nginx serving a scenario's ``[[site]]`` tables.

Every site answers every path with its status, body, content type and headers; each
address also has a default server answering ``404 no site`` for any other Host. nginx runs
in the foreground (``daemon off``) as a child of :class:`LocalInternet`, with its prefix,
pid file, temp paths and log (standard error, into ``nginx/out``) in the world's workdir.
Bodies are written into the configuration itself (nginx's workers run as ``nobody`` and
could not read files in the private workdir); nginx limits one configuration token to 4 KB,
so long bodies are split into variables and joined again.

The listening sockets use ``reuseport``: two worlds with the same sites (the demo world and
a variant of it, in the tests) can run at once and share the addresses; the sites of worlds
running together must therefore agree wherever they share an address and name.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

from domainwatch.testnet.scenario import REDIRECTS, Site

HTTP_PORT = 80
NGINX_PACKAGE = "nginx"
NGINX_DIR = "nginx"
_CHUNK = 3000  # escaped characters per configuration token (nginx's limit is 4096)
_GROUP = 200  # chunk variables joined per token
_DOLLAR = "${dw_dollar}"
_NO_SITE = "no site\n"


def nginx_argv(nginx: str, directory: Path) -> list[str]:
    """The command line of the foreground nginx master for ``directory``."""
    return [nginx, "-p", f"{directory}/", "-e", "stderr", "-c", str(directory / "nginx.conf"),
            "-g", "daemon off;"]


def write_nginx_files(sites: list[Site], directory: Path) -> Path:
    """Write ``nginx.conf`` (and its temp directories) into ``directory``; return the
    configuration's path."""
    (directory / "temp").mkdir(parents=True, exist_ok=True)
    conf = directory / "nginx.conf"
    conf.write_text(nginx_conf(sites, directory), encoding="utf-8")
    return conf


def nginx_conf(sites: list[Site], directory: Path) -> str:
    temp = directory / "temp"
    lines = [
        "worker_processes 1;",
        f'pid "{directory}/nginx.pid";',
        "error_log stderr notice;",
        "events { worker_connections 512; }",
        "http {",
        "    access_log off;",
        "    server_tokens off;",
        "    keepalive_timeout 5;",
        "    server_names_hash_bucket_size 256;",
        "    server_names_hash_max_size 4096;",
        *(f'    {kind}_temp_path "{temp}/{kind}";'
          for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
        '    geo $dw_dollar { default "$"; }',
    ]
    addresses = list(dict.fromkeys(site.address for site in sites))
    for address in addresses:
        lines += [
            "    server {",
            f"        listen {address}:{HTTP_PORT} default_server reuseport;",
            '        server_name "";',
            "        location / {",
            "            default_type text/plain;",
            f"            return 404 {_quote(_NO_SITE)};",
            "        }",
            "    }",
        ]
    for number, site in enumerate(sites):
        lines += _server(number, site)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _server(number: int, site: Site) -> list[str]:
    lines = [
        "    server {",
        f"        listen {site.address}:{HTTP_PORT};",
        f"        server_name {' '.join(site.names)};",
        "        location / {",
        f"            default_type {_quote(site.content_type)};",
    ]
    location = None
    for key, value in site.headers:
        if site.status in REDIRECTS and key.lower() == "location":
            location = value
            continue
        lines.append(f"            add_header {key} {_quote(value)} always;")
    if location is not None:
        lines.append(f"            return {site.status} {_quote(location)};")
    else:
        setters, text = _body(f"dw_s{number}", site.body)
        lines += [f"            {line}" for line in setters]
        lines.append(f"            return {site.status} {text};")
    lines += ["        }", "    }"]
    return lines


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("$", _DOLLAR)


def _quote(text: str) -> str:
    return f'"{_escape(text)}"'


def _body(prefix: str, body: str) -> tuple[list[str], str]:
    """``set`` lines and the quoted expression for ``body``, each token under 4 KB."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for char in body:
        piece = _escape(char)
        if size + len(piece) > _CHUNK:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(piece)
        size += len(piece)
    if current or not chunks:
        chunks.append("".join(current))
    if len(chunks) == 1:
        return [], f'"{chunks[0]}"'
    setters = [f'set ${prefix}_b{i} "{chunk}";' for i, chunk in enumerate(chunks)]
    names = [f"${{{prefix}_b{i}}}" for i in range(len(chunks))]
    if len(names) > _GROUP:
        groups = [names[i:i + _GROUP] for i in range(0, len(names), _GROUP)]
        setters += [f'set ${prefix}_g{i} "{"".join(group)}";' for i, group in enumerate(groups)]
        names = [f"${{{prefix}_g{i}}}" for i in range(len(groups))]
    if len(names) > _GROUP:
        raise ValueError(f"site body of {len(body)} characters is too large to serve")
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
