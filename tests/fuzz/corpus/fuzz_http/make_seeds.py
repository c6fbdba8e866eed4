#!/usr/bin/env python3
"""Writes fuzz_http seeds into the folder of this script. Byte 0 of each
seed selects the parser (low 2 bits: 0 request, 1 response, 2 chunked) and
the incremental step (upper bits), as tests/fuzz/fuzz_http.cc reads it."""
import base64
import os

HERE = os.path.dirname(os.path.abspath(__file__))
REQUEST, RESPONSE, CHUNKED = 0, 1, 2


def mode(kind, step=1, head=False):
    return bytes([((step - 1) << 2 | kind | (4 if head else 0)) & 0xFF])


def crlf(*lines):
    return "".join(line + "\r\n" for line in lines).encode() + b"\r\n"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


SEEDS = {
    "req_get_basic": mode(REQUEST, 3) + crlf("GET /app/?q=1 HTTP/1.1", "Host: app.example.com:443",
                                             "Authorization: " + basic("localuser1", "s3cret")),
    "req_post_length": mode(REQUEST, 7) + crlf("POST /upload HTTP/1.1", "Host: app.example.com",
                                               "Content-Length: 5", "Connection: close") + b"hello",
    "req_chunked": mode(REQUEST, 2) + crlf("PUT /x HTTP/1.1", "Host: a", "Transfer-Encoding: chunked")
    + b"5\r\nhello\r\n0\r\n\r\n",
    "req_websocket": mode(REQUEST, 11) + crlf("GET /chat HTTP/1.1", "Host: a", "Connection: Upgrade",
                                              "Upgrade: websocket", "Sec-WebSocket-Version: 13"),
    "req_http10": mode(REQUEST, 1) + crlf("GET / HTTP/1.0", "Connection: keep-alive"),
    "req_smuggle": mode(REQUEST, 5) + crlf("POST / HTTP/1.1", "Host: a", "Content-Length: 3",
                                           "Transfer-Encoding: chunked"),
    "resp_length": mode(RESPONSE, 4) + crlf("HTTP/1.1 200 OK", "Content-Length: 5") + b"hello",
    "resp_chunked": mode(RESPONSE, 9) + crlf("HTTP/1.1 200 OK", "Transfer-Encoding: gzip, chunked"),
    "resp_head_304": mode(RESPONSE, 1, head=True) + crlf("HTTP/1.1 304 Not Modified", "Content-Length: 9"),
    "resp_101": mode(RESPONSE, 2) + crlf("HTTP/1.1 101 Switching Protocols", "Connection: Upgrade",
                                         "Upgrade: websocket"),
    "chunked_ext_trailer": mode(CHUNKED, 3) + b"5;name=value\r\nhello\r\n1a\r\n" + b"z" * 26
    + b"\r\n0\r\nExpires: never\r\n\r\n",
    "chunked_empty": mode(CHUNKED, 1) + b"0\r\n\r\n",
}

for name, data in SEEDS.items():
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
