#!/usr/bin/python3
"""The remote web server of the image proxy tests (tests/api/image_proxy_test.cc).

Listens on 127.0.0.1:--port and serves what a message's sender could put behind
an <img src>: a real PNG (also with cache directives: no-store, private, an
Expires in the past, max-age), the same PNG under a lying Content-Type, an SVG, an HTML
page (one of them claiming to be a PNG), a 6 MiB file announced and one streamed
without a length, a slow answer, a 404, redirects (to any URL, and chains), and
/last-headers: the header fields of the last other request, as JSON, so that a
test sees what the proxy sent.
"""
import argparse
import http.server
import json
import socketserver
import struct
import threading
import time
import urllib.parse
import zlib


def png_1x1():
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


PNG = png_1x1()
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
BIG = PNG + b"\x00" * (6 * 1024 * 1024)

last_headers = {}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # bodies without a length end with the connection

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type, length=True, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Set-Cookie", "tracker=reader-42; Path=/")
        for name, value in extra:
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for i in range(0, len(body), 65536):
                self.wfile.write(body[i:i + 65536])
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/last-headers":
            with lock:
                body = json.dumps(last_headers).encode()
            return self.send(200, body, "application/json")
        with lock:
            last_headers.clear()
            last_headers.update({k.lower(): v for k, v in self.headers.items()})
            last_headers["path"] = self.path
        if url.path == "/pixel.png":
            return self.send(200, PNG, "image/png")
        if url.path == "/no-store.png":  # a shared cache must not keep it
            return self.send(200, PNG, "image/png", extra=[("Cache-Control", "no-store")])
        if url.path == "/private.png":
            return self.send(200, PNG, "image/png", extra=[("Cache-Control", "private, max-age=600")])
        if url.path == "/expired.png":
            return self.send(200, PNG, "image/png",
                             extra=[("Expires", "Thu, 01 Jan 1998 00:00:00 GMT")])
        if url.path == "/cacheable.png":
            return self.send(200, PNG, "image/png", extra=[("Cache-Control", "public, max-age=600")])
        if url.path == "/pixel-as-text":
            return self.send(200, PNG, "text/html")
        if url.path == "/logo.svg":
            return self.send(200, SVG, "image/svg+xml")
        if url.path == "/page.html":
            return self.send(200, HTML, "text/html")
        if url.path == "/page-as-png":
            return self.send(200, HTML, "image/png")
        if url.path == "/big.png":
            return self.send(200, BIG, "image/png")
        if url.path == "/big-stream.png":
            return self.send(200, BIG, "image/png", length=False)
        if url.path == "/slow.png":
            time.sleep(3)
            return self.send(200, PNG, "image/png")
        if url.path == "/redirect":
            return self.send(302, b"", "text/plain", extra=[("Location", query["to"][0])])
        if url.path == "/chain":
            n = int(query["n"][0])
            target = "/pixel.png" if n <= 0 else "/chain?n=%d" % (n - 1)
            return self.send(302, b"", "text/plain", extra=[("Location", target)])
        return self.send(404, b"not found", "text/plain")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    Server(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
