"""``symconv explore --serve``: a small local server that recomputes the page on each change of a control.

Standard library only (:mod:`http.server`), bound to ``127.0.0.1``. ``GET /?kernel-size=5&stride=2``
answers with the page of the layer those controls describe: the form of a served page submits
its controls as the query, so every change redraws from symconv's own taps. What a query means
is the caller's ``render`` function (the command line parses it as its own options).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"

#: ``render(query) -> (status, html)``: the page for the controls in ``query`` (a ``parse_qs`` dict).
Render = Callable[[dict[str, list[str]]], tuple[int, str]]


def make_handler(render: Render) -> type[BaseHTTPRequestHandler]:
    """A request handler that answers ``GET /`` with ``render(query)`` and anything else with 404."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            address = self.server.server_address  # (host, port): the server binds an IPv4 address
            port = address[1] if isinstance(address, tuple) else None
            if self.headers.get("Host") not in (f"{HOST}:{port}", f"localhost:{port}"):  # DNS rebinding
                self._send(
                    403, "<!DOCTYPE html><title>Forbidden</title><p>symconv explore answers its own address only.</p>"
                )
                return
            if parts.path != "/":
                self._send(404, "<!DOCTYPE html><title>Not found</title><p>symconv explore serves / only.</p>")
                return
            status, page = render(parse_qs(parts.query, keep_blank_values=True))
            self._send(status, page)

        def _send(self, status: int, page: str) -> None:
            body = page.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet: one line per request is noise
            return

    return Handler


class Server:
    """The explorer's server on ``127.0.0.1``; ``port=0`` picks a free port. Use as a context manager in tests.

    Examples:
        >>> with Server(lambda query: (200, f"<p>{sorted(query)}</p>")) as server:
        ...     import urllib.request
        ...     urllib.request.urlopen(server.url + "?stride=2").read()
        b"<p>['stride']</p>"
    """

    def __init__(self, render: Render, port: int = 0) -> None:
        self.httpd = ThreadingHTTPServer((HOST, port), make_handler(render))
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://{HOST}:{self.port}/"
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        """Serve until interrupted (Ctrl-C)."""
        try:
            self.httpd.serve_forever()
        finally:
            self.httpd.server_close()

    def __enter__(self) -> Server:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join()
