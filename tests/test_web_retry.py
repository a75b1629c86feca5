"""A site whose first answer is late is asked again before anything is judged: a loaded
machine's own delay must never read as a site that is gone (``unused.no_web``)."""

from __future__ import annotations

import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import dw, findings

from domainwatch.testnet import LocalInternet
from domainwatch.testnet.scenario import scenario_from_dict

pytestmark = pytest.mark.world

ADDRESS = "127.20.202.9"
PAGE = ("<html><head><title>酒泉市重试局</title></head><body><h1>酒泉市重试局</h1>"
        "<p>政务公开 办事服务 互动交流</p>" * 5 + "</body></html>").encode()


class _LateOnce(socketserver.ThreadingTCPServer):
    """Port 80 of ADDRESS: holds its first connection past the client's timeout, then
    answers every later one."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__((ADDRESS, 80), _Handler)
        self.connections = 0
        self.lock = threading.Lock()


class _Handler(socketserver.StreamRequestHandler):
    server: _LateOnce

    def handle(self) -> None:
        with self.server.lock:
            self.server.connections += 1
            first = self.server.connections == 1
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        if first:
            time.sleep(3)
            return
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(PAGE) + PAGE)


@pytest.fixture
def late_site() -> Iterator[_LateOnce]:
    server = _LateOnce()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_site_late_once_is_asked_again_and_not_judged_gone(late_site: _LateOnce,
                                                             tmp_path: Path) -> None:
    world = scenario_from_dict({"zone": [
        {"origin": "."},
        {"origin": "jiuquan.gov.cn", "records": f"www 300 A {ADDRESS}\n"}]})
    register = tmp_path / "register.csv"
    register.write_text("name,owner,state\nwww.jiuquan.gov.cn,酒泉市重试局,active\n",
                        encoding="utf-8")
    config = tmp_path / "dw.toml"
    config.write_text("[web]\ntimeout = 1.0\n[links]\nenabled = false\n", encoding="utf-8")
    db = tmp_path / "dw.db"
    with LocalInternet(world) as net:
        assert dw(db, "register", "import", str(register)).returncode == 0
        result = dw(db, "--config", str(config), "scan", "--resolver", net.resolver,
                    "--timeout", "1", "--no-whois")
    assert result.returncode == 0, result.stderr
    assert late_site.connections >= 2, "the late site was asked again"
    assert "web: 1 sites answered, 0 did not" in result.stdout
    assert not [f for f in findings(db, "--status", "all") if f["rule"] == "unused.no_web"]
