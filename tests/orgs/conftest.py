"""A webhook receiver: a tiny http.server on 127.0.0.1 (a free port) that records every request and answers
with the replies the test queued (200 "ok" when none is queued)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver:
    def __init__(self, server: ThreadingHTTPServer):
        self.server = server
        self.requests: list[dict] = []
        self.replies: list[tuple[int, str, dict]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/kexie"

    def reply(self, status: int, body: str = "", headers: dict | None = None) -> None:
        self.replies.append((status, body, headers or {}))


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        receiver.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
        status, text, headers = receiver.replies.pop(0) if receiver.replies else (200, "ok", {})
        payload = text.encode("utf-8")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.receiver = Receiver(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.receiver
    server.shutdown()
    server.server_close()
