"""A fast asyncio HTTP/1.1 receiver for benchmarks (~tens of thousands req/s on loopback).

    python bench/fast_receiver.py PORT [SLOW_PATH_PREFIX SLOW_SECONDS]

Answers every POST with 200 (after SLOW_SECONDS for paths starting with
SLOW_PATH_PREFIX), records (arrival time, path, webhook-id); ``GET /stats``
returns the count, ``GET /dump`` every record as JSON lines, ``GET /reset``
clears them.  Exits by itself after an hour.
"""

import asyncio
import json
import sys
import time

records = []


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", 0))
            if length:
                await reader.readexactly(length)
            if method == "POST":
                records.append((time.time(), path, headers.get("webhook-id", "")))
                if SLOW_PREFIX and path.startswith(SLOW_PREFIX):
                    await asyncio.sleep(SLOW_SECONDS)
                body = b"ok"
            elif path == "/stats":
                body = json.dumps({"count": len(records)}).encode()
            elif path == "/dump":
                body = "\n".join(json.dumps(r) for r in records).encode()
            elif path == "/reset":
                records.clear()
                body = b"reset"
            else:
                body = b"?"
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await asyncio.wait_for(server.serve_forever(), timeout=3600)


SLOW_PREFIX = sys.argv[2] if len(sys.argv) > 2 else None
SLOW_SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0

if __name__ == "__main__":
    try:
        asyncio.run(main(int(sys.argv[1])))
    except (TimeoutError, KeyboardInterrupt):
        pass
