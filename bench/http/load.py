#!/usr/bin/python3
"""Load helpers of the HTTP benchmark (bench/http/run.sh), standard library only.

  load.py signin PORT ADDRESS PASSWORD        prints the session token
  load.py signins PORT RATE SECONDS ADDR...   open-loop sign-ins at RATE per second
  load.py idle PORT COUNT PID                 memory per idle keep-alive connection
"""
import http.client
import json
import resource
import socket
import sys
import threading
import time

PASSWORD = "Caduce-Essai-2026"


def sign_in(port, address, password):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"address": address, "password": password})
    conn.request("POST", "/api/session", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    token = None
    for name, value in response.getheaders():
        if name.lower() == "set-cookie" and value.startswith("caduce_session="):
            token = value.split(";", 1)[0].split("=", 1)[1]
    conn.close()
    return response.status, token


def cmd_signin(port, address, password):
    status, token = sign_in(int(port), address, password)
    if status != 200 or not token:
        sys.exit(f"sign-in of {address} failed: HTTP {status}")
    print(token)


def cmd_signins(port, rate, seconds, *addresses):
    """Starts one sign-in every 1/RATE s, whatever the answers' pace (open loop)."""
    port, rate, seconds = int(port), float(rate), float(seconds)
    results, lock = [], threading.Lock()

    def one(address):
        started = time.monotonic()
        try:
            status, _ = sign_in(port, address, PASSWORD)
        except OSError:
            status = 0
        with lock:
            results.append((status, time.monotonic() - started))

    threads, start, i = [], time.monotonic(), 0
    while True:
        due = start + i / rate
        if due - start >= seconds:
            break
        time.sleep(max(0.0, due - time.monotonic()))
        t = threading.Thread(target=one, args=(addresses[i % len(addresses)],))
        t.start()
        threads.append(t)
        i += 1
    for t in threads:
        t.join()
    ok = sum(1 for s, _ in results if s == 200)
    # 503: the worker queue was full (worker_queue), answered at once with Retry-After.
    busy = sum(1 for s, _ in results if s == 503)
    durations = sorted(d for s, d in results if s == 200)
    p50 = durations[len(durations) // 2] * 1000 if durations else 0
    p99 = durations[max(0, int(len(durations) * 0.99) - 1)] * 1000 if durations else 0
    print(f"sign-ins: {len(results)} started at {rate:g}/s over {seconds:g} s, {ok} answered 200 "
          f"(duration p50 {p50:.0f} ms, p99 {p99:.0f} ms), {busy} answered 503 (queue full)")
    if ok != len(results):
        sys.exit("some sign-ins failed")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cmd_idle(port, count, pid):
    """Opens COUNT keep-alive connections that each served one request, then
    compares the server's resident memory before and after."""
    port, count, pid = int(port), int(count), int(pid)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1024), hard))
    request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"

    def open_batch(n):
        batch = []
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(request)
            batch.append(s)
        for s in batch:
            data = b""
            while b"\r\n\r\nok" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    raise RuntimeError("connection closed by the server")
                data += chunk
        return batch

    open_batch(50)  # warm the server's allocator and threads up
    time.sleep(1)
    before = rss_kib(pid)
    sockets = []
    started = time.monotonic()
    while len(sockets) < count:
        sockets += open_batch(min(500, count - len(sockets)))
    time.sleep(2)
    after = rss_kib(pid)
    per = (after - before) * 1024 / count
    print(f"idle connections: {count} opened in {time.monotonic() - started:.1f} s; server RSS "
          f"{before / 1024:.1f} MiB before, {after / 1024:.1f} MiB after: "
          f"{per / 1024:.2f} KiB per idle connection (target <= 16 KiB)")
    for s in sockets:
        s.close()
    return per


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"signin": cmd_signin, "signins": cmd_signins, "idle": cmd_idle}[command](*args)
