"""The online factory under load, on its embedded default (SQLite, one server process).

1. Reads: `wrk` on loopback against the API's order read (`GET /api/v1/orders/{id}`, bearer token)
   and the order page (`GET /orders/{id}`, session cookie): requests per second and latency
   percentiles.
2. Uploads: 20 corpus boards uploaded at once through the API; every one must finish, none lost,
   none mixed up (each analysis names the file it was sent as and finds the corpus's layer count).

Run: `python -m benchmarks.platform_load [--seconds 20] [--connections 32] [--uploads 20]`
(needs `wrk`: Debian package wrk). The server runs in its own process, started here.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import corpus_truth
from tests.platform_support import PASSWORD, free_port, start_server, zipped_board


def wrk(url: str, seconds: int, connections: int, header: str) -> dict[str, Any]:
    done = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", header, url],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert m, out
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": rate,
        "p50_ms": ms("50"),
        "p90_ms": ms("90"),
        "p99_ms": ms("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def prepare(base: str) -> tuple[str, str, str, str]:
    """A customer with an analysed upload and an order: (token, session cookie, order id, upload id)."""
    with httpx.Client(base_url=base, timeout=600) as c:
        c.post("/api/v1/accounts", json={"email": "load@example.com", "password": PASSWORD})
        token = c.post("/api/v1/tokens", json={"email": "load@example.com", "password": PASSWORD}).json()[
            "token"
        ]
        auth = {"Authorization": f"Bearer {token}"}
        files = {"file": ("board.zip", zipped_board("gb-fusion360"), "application/zip")}
        upload = c.post("/api/v1/uploads", files=files, headers=auth).json()["id"]
        while c.get(f"/api/v1/uploads/{upload}", headers=auth).json()["status"] not in ("done", "failed"):
            time.sleep(0.5)
        quote = c.post(
            "/api/v1/quotes", json={"upload_id": upload, "quantity": 10, "options": {}}, headers=auth
        ).json()
        order = c.post("/api/v1/orders", json={"quote_id": quote["id"]}, headers=auth).json()["id"]
        signed = c.post("/signin", data={"email": "load@example.com", "password": PASSWORD})
        cookie = signed.cookies.get("flyfab_session") or c.cookies.get("flyfab_session")
    return token, str(cookie), order, upload


def uploads_at_once(base: str, token: str, count: int) -> dict[str, Any]:
    truth = corpus_truth()
    boards = sorted(truth)
    chosen = [boards[i % len(boards)] for i in range(count)]
    auth = {"Authorization": f"Bearer {token}"}

    def one(k: int, board: str) -> tuple[str, str, str]:
        with httpx.Client(base_url=base, timeout=600) as c:
            name = f"{k:02d}-{board}.zip"
            sent = c.post(
                "/api/v1/uploads",
                files={"file": (name, zipped_board(board), "application/zip")},
                headers=auth,
            )
            sent.raise_for_status()
            return name, board, sent.json()["id"]

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        sent = list(pool.map(lambda kb: one(*kb), enumerate(chosen)))
    accepted = time.perf_counter() - started
    results = {}
    with httpx.Client(base_url=base, timeout=60, headers=auth) as c:
        pending = {upload_id for _, _, upload_id in sent}
        while pending:
            for upload_id in list(pending):
                body = c.get(f"/api/v1/uploads/{upload_id}").json()
                if body["status"] in ("done", "failed"):
                    results[upload_id] = body
                    pending.discard(upload_id)
            time.sleep(1)
    finished = time.perf_counter() - started
    wrong = []
    for name, board, upload_id in sent:
        body = results[upload_id]
        if body["status"] != "done":
            wrong.append(f"{name}: {body['status']} {body['error']}")
            continue
        if body["analysis"]["upload"] != name:
            wrong.append(f"{name}: analysis of {body['analysis']['upload']}")
        layers = truth[board]["copper_layers"]
        accept = truth[board].get("copper_layers_accept", [layers])
        if body["analysis"]["board"]["copper_layers"] not in accept:
            wrong.append(f"{name}: {body['analysis']['board']['copper_layers']} copper layers")
    return {
        "uploads": count,
        "done": sum(1 for b in results.values() if b["status"] == "done"),
        "accepted_in_s": round(accepted, 2),
        "all_finished_in_s": round(finished, 1),
        "wrong": wrong,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server, _ = start_server(Path(tmp), port)
        base = f"http://127.0.0.1:{port}"
        try:
            token, cookie, order, _ = prepare(base)
            report = {
                "api_order_read": wrk(
                    f"{base}/api/v1/orders/{order}",
                    args.seconds,
                    args.connections,
                    f"Authorization: Bearer {token}",
                ),
                "order_page": wrk(
                    f"{base}/orders/{order}",
                    args.seconds,
                    args.connections,
                    f"Cookie: flyfab_session={cookie}",
                ),
                "uploads": uploads_at_once(base, token, args.uploads) if args.uploads else None,
            }
        finally:
            server.terminate()
            server.wait(timeout=60)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for name in ("api_order_read", "order_page"):
        r: dict[str, Any] = report[name]  # type: ignore[assignment]
        rate, p50, p90, p99 = r["requests_per_s"], r["p50_ms"], r["p90_ms"], r["p99_ms"]
        print(
            f"{name:16s} {rate:8.1f} req/s  p50 {p50:6.2f} ms  p90 {p90:6.2f} ms  p99 {p99:6.2f} ms  "
            f"non-2xx {r['non_2xx']}"
        )
    if report["uploads"]:
        print("uploads", json.dumps(report["uploads"]))


if __name__ == "__main__":
    main()
