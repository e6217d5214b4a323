#!/usr/bin/env python3
"""A tiny round-robin TCP proxy for scripts/fleet.sh, standing where a Kubernetes Service would:
each new connection goes to the next backend that accepts it, so that when one authority is
killed the gateways' new connections reach the other.

Usage: rr_proxy.py LISTEN_PORT HOST:PORT [HOST:PORT ...]
"""
import asyncio
import itertools
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main(port, backends):
    turn = itertools.cycle(range(len(backends)))

    async def handle(client_reader, client_writer):
        for _ in backends:
            host, backend_port = backends[next(turn)]
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, backend_port), timeout=1
                )
                break
            except (OSError, asyncio.TimeoutError):
                continue
        else:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, writer), pipe(reader, client_writer))

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    listen = int(sys.argv[1])
    targets = [(t.rsplit(":", 1)[0], int(t.rsplit(":", 1)[1])) for t in sys.argv[2:]]
    asyncio.run(main(listen, targets))
