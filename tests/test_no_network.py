"""A scan never touches the network (issue 6, §6): every socket connection and name lookup is
refused while the example platform is scanned, and none is attempted."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from typer.testing import CliRunner

from scanner.cli import app

ROOT = Path(__file__).resolve().parents[1]


def test_scan_with_sockets_blocked(monkeypatch, tmp_path):
    attempts: list[str] = []

    def refuse(name):
        def blocked(*args, **kwargs):
            attempts.append(name)
            raise OSError(f"network blocked by test: {name}")

        return blocked

    real_connect = socket.socket.connect

    def connect(self, address):
        if self.family == socket.AF_UNIX:
            return real_connect(self, address)
        return refuse("connect")()

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "gethostbyname", refuse("gethostbyname"))
    monkeypatch.chdir(ROOT)
    for fmt in ("json", "sarif"):
        res = CliRunner().invoke(
            app,
            ["scan", "fixtures/platform/insecure", "fixtures/plans", "--format", fmt, "--cache-dir", str(tmp_path)],
        )
        assert res.exit_code in (1, 2), res.output
        json.loads(res.stdout)
    assert attempts == []
