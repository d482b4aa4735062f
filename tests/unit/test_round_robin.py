"""The round-robin proxy in front of a service's replicas: turns, transparency, failures."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from shared.http.round_robin import ProxyServer, RoundRobinProxy
from tests.webhook_receiver import free_port

BIG = 2 * 1024 * 1024


class EchoReplica:
    """A stand-in replica: answers with its name and what it received, and records it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.port = free_port()
        self.seen: list[str] = []
        config = uvicorn.Config(self, port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        self.seen.append(scope["path"])
        digest = hashlib.sha256()
        size = 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            digest.update(chunk)
            size += len(chunk)
            if not message.get("more_body", False):
                break
        if scope["path"] == "/download":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for _ in range(BIG // 65536):
                await send({"type": "http.response.body", "body": b"x" * 65536, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        body = json.dumps(
            {
                "replica": self.name,
                "method": scope["method"],
                "path": scope["path"],
                "query": scope["query_string"].decode(),
                "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]],
                "size": size,
                "sha256": digest.hexdigest(),
            }
        ).encode()
        status = 409 if scope["path"] == "/conflict" else 200
        headers = [(b"content-type", b"application/json"), (b"x-replica", self.name.encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def start(self) -> None:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class DroppingReplica:
    """Reads a request, then closes the connection without answering: a replica dying mid-way."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.requests = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                if connection.recv(65536):
                    self.requests += 1

    def stop(self) -> None:
        self.listener.close()


@pytest.fixture
def replicas() -> Iterator[list[EchoReplica]]:
    started = [EchoReplica("one"), EchoReplica("two")]
    for replica in started:
        replica.start()
    yield started
    for replica in started:
        replica.stop()


def proxy_for(*urls: str) -> ProxyServer:
    server = ProxyServer(RoundRobinProxy(list(urls), connect_timeout=1.0), free_port())
    server.start()
    return server


@pytest.fixture
def proxy(replicas: list[EchoReplica]) -> Iterator[ProxyServer]:
    server = proxy_for(*(r.url for r in replicas))
    yield server
    server.stop()


def test_requests_take_turns(proxy: ProxyServer, replicas: list[EchoReplica]) -> None:
    with httpx.Client(base_url=proxy.url, trust_env=False) as client:
        answered = [client.get(f"/v1/things/{i}").json()["replica"] for i in range(6)]
    assert answered == ["one", "two"] * 3
    assert replicas[0].seen == ["/v1/things/0", "/v1/things/2", "/v1/things/4"]
    assert replicas[1].seen == ["/v1/things/1", "/v1/things/3", "/v1/things/5"]
    assert proxy.proxy.served == {replicas[0].url: 3, replicas[1].url: 3}


def test_the_request_arrives_as_sent(proxy: ProxyServer) -> None:
    headers = {
        "Authorization": "Bearer abc.def.ghi",
        "X-Correlation-Id": "c-1",
        "X-Forwarded-For": "203.0.113.7",
        "Connection": "keep-alive, X-Hop",
        "X-Hop": "dropped",
    }
    with httpx.Client(base_url=proxy.url, trust_env=False) as client:
        response = client.post("/v1/items?a=1&b=%C3%A9", headers=headers, content=b"{}")
    seen = response.json()
    received = dict(seen["headers"])
    assert (seen["method"], seen["path"], seen["query"]) == ("POST", "/v1/items", "a=1&b=%C3%A9")
    assert received["authorization"] == "Bearer abc.def.ghi"
    assert received["x-correlation-id"] == "c-1"
    assert received["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"
    assert received["host"] == proxy.url.removeprefix("http://")
    assert "x-hop" not in received
    assert seen["size"] == 2
    assert response.headers["x-replica"] in {"one", "two"}
    assert response.headers.get_list("server") == ["uvicorn"]  # the replica's, not a second


def test_the_client_address_starts_x_forwarded_for(proxy: ProxyServer) -> None:
    with httpx.Client(base_url=proxy.url, trust_env=False) as client:
        received = dict(client.get("/").json()["headers"])
    assert received["x-forwarded-for"] == "127.0.0.1"


def test_bodies_stream_both_ways(proxy: ProxyServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(BIG // 65536):
            yield b"y" * 65536

    with httpx.Client(base_url=proxy.url, trust_env=False, timeout=30) as client:
        uploaded = client.post("/upload", content=chunks()).json()
        with client.stream("GET", "/download") as download:
            pieces = list(download.iter_raw())
    assert uploaded["size"] == BIG
    assert uploaded["sha256"] == hashlib.sha256(b"y" * BIG).hexdigest()
    assert b"".join(pieces) == b"x" * BIG
    assert len(pieces) > 1  # came in pieces, not read whole first


def test_a_replica_answer_is_passed_on_as_it_is(proxy: ProxyServer) -> None:
    with httpx.Client(base_url=proxy.url, trust_env=False) as client:
        assert client.post("/conflict", content=b"x").status_code == 409


def test_a_replica_that_refuses_connections_is_skipped(replicas: list[EchoReplica]) -> None:
    gone = f"http://127.0.0.1:{free_port()}"
    server = proxy_for(gone, replicas[0].url)
    try:
        with httpx.Client(base_url=server.url, trust_env=False) as client:
            answered = [client.post("/v1/items", content=b"{}").json()["replica"] for _ in range(4)]
    finally:
        server.stop()
    assert answered == ["one"] * 4
    assert len(replicas[0].seen) == 4  # each request once, none twice
    assert server.proxy.served == {replicas[0].url: 4}


def test_no_replica_at_all_is_503() -> None:
    server = proxy_for(f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}")
    try:
        with httpx.Client(base_url=server.url, trust_env=False) as client:
            response = client.get("/v1/anything")
    finally:
        server.stop()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 503


def test_a_request_sent_is_never_sent_again(replicas: list[EchoReplica]) -> None:
    dropper = DroppingReplica()
    server = proxy_for(dropper.url, replicas[0].url)
    try:
        with httpx.Client(base_url=server.url, trust_env=False) as client:
            first = client.post("/v1/items", content=b'{"once": true}')
            second = client.post("/v1/items", content=b'{"once": true}')
    finally:
        server.stop()
        dropper.stop()
    assert first.status_code == 502
    assert first.json()["status"] == 502
    assert dropper.requests == 1
    assert second.status_code == 200  # the next turn, a new request
    assert replicas[0].seen == ["/v1/items"]
