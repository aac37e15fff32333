"""A local HTTP server on 127.0.0.1 playing the students' hosts for the live probes' tests."""

from __future__ import annotations

import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hosts:
    """One local server; each path answers like a student's host: fixed pages, a page that is
    down for the first N requests (user data still running), an ALB alternating between hosts."""

    def __init__(self):
        self.routes: dict[str, object] = {}
        hosts = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                route = hosts.routes.get(self.path)
                status, body, *headers = route() if callable(route) else route if route else (404, "")
                self.send_response(status)
                for name, value in (headers[0] if headers else {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def page(self, path: str, body: str, status: int = 200) -> str:
        self.routes[path] = (status, body)
        return self.url(path)

    def redirect(self, path: str, to: str) -> str:
        """A 302 to another path of this server (WordPress sends "/" to its install page)."""
        self.routes[path] = (302, "", {"Location": self.url(to)})
        return self.url(path)

    def down_then_up(self, path: str, failures: int, body: str) -> str:
        counter = itertools.count()
        self.routes[path] = lambda: (503, "") if next(counter) < failures else (200, body)
        return self.url(path)

    def alb(self, path: str, hosts: list[str]) -> str:
        cycle = itertools.cycle(hosts)
        self.routes[path] = lambda: (200, f"<html><body><h1>This is {next(cycle)}</h1></body></html>")
        return self.url(path)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
