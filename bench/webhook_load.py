"""Load generator of the webhook bench (bench_upstream.py, issue 15 §5): signed events over real HTTP on loopback.

    python webhook_load.py SPEC.json

SPEC: ``{"port", "path", "secret", "iccids": [...], "first": n, "count": n, "clients": n}``. Events ``W<first>``
to ``W<first + count - 1>`` are sent, each signed (HMAC-SHA256 of timestamp and body) at the moment it is sent, by
``clients`` client processes, one request at a time each (a new connection per request: Odoo's prefork workers
answer HTTP/1.0 and close). An event not answered (the server is down) is sent again 0.2 s later, as an upstream
would, until it is answered; 200 acknowledges it.

Lean on purpose, since it shares two cores with the server: no threads of one process (a thread waiting for the
GIL keeps its answer unread, and werkzeug's worker waits up to 10 ms for the client to close before it takes the
next request), plain blocking sockets, the answer read up to its Content-Length and the connection closed at once.
Measured against the 16 threads of http.client it replaces, at the same moment: 0.36-0.43 against 0.52-0.54 ms of
generator CPU an event, 0.7-0.9 ms against 0.9 ms of a worker's time waiting for the close.

Prints ``half <time>`` once half of the events are acknowledged (the bench kills the server then), and at the end
one JSON line: ``{"acks": [[number, sent at, answered at], ...], "unanswered": n, "cpu": seconds}`` (``cpu`` is
the generator's own CPU time, all its processes)."""

import hashlib
import hmac
import json
import multiprocessing
import os
import socket
import sys
import time


def signed_request(spec, number, host):
    body = json.dumps({"event_id": "W%d" % number, "iccid": spec["iccids"][number % len(spec["iccids"])],
                       "status": "已激活"}).encode()
    timestamp = str(int(time.time()))
    signature = hmac.new(spec["secret"].encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    head = ("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nX-Timestamp: %s\r\n"
            "X-Signature: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % (spec["path"], host, timestamp, signature, len(body)))
    return head.encode() + body


def answer_status(connection):
    """The status of the answer on ``connection``, read up to the end of its body (Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the answer")
        data += chunk
    head, _sep, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in lines[1:] if line.lower().startswith(b"content-length:")),
                  None)
    while length is not None and len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("closed within the answer")
        body += chunk
    return int(lines[0].split()[1])


def send(spec, number, host):
    """``(status, sent at, answered at)`` of one event; OSError when the server does not answer."""
    sent = time.time()
    connection = socket.create_connection(("127.0.0.1", spec["port"]), timeout=10)
    try:
        connection.sendall(signed_request(spec, number, host))
        status = answer_status(connection)
    finally:
        connection.close()
    return status, sent, time.time()


def client(spec, index, acknowledged, results):
    host = "127.0.0.1:%d" % spec["port"]
    acks, unanswered = [], 0
    for number in range(spec["first"] + index, spec["first"] + spec["count"], spec["clients"]):
        while True:
            try:
                status, sent, answered = send(spec, number, host)
            except OSError:
                unanswered += 1
                time.sleep(0.2)
                continue
            if status == 200:
                acks.append((number, sent, answered))
                with acknowledged.get_lock():
                    acknowledged.value += 1
            break
    results.put((acks, unanswered, time.process_time()))


def main(spec):
    context = multiprocessing.get_context("fork")
    acknowledged, results = context.Value("i", 0), context.Queue()
    clients = [context.Process(target=client, args=(spec, index, acknowledged, results))
               for index in range(spec["clients"])]
    for process in clients:
        process.start()
    half_said = False
    gathered = []
    while len(gathered) < len(clients):
        if not half_said and acknowledged.value >= spec["count"] // 2:
            print("half %f" % time.time(), flush=True)
            half_said = True
        while not results.empty():
            gathered.append(results.get())
        time.sleep(0.01)
    for process in clients:
        process.join()
    print(json.dumps({"acks": [ack for acks, _u, _c in gathered for ack in acks],
                      "unanswered": sum(u for _a, u, _c in gathered),
                      "cpu": sum(c for _a, _u, c in gathered) + time.process_time()}), flush=True)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as spec_file:
        main(json.load(spec_file))
    os._exit(0)
