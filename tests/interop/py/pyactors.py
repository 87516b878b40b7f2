"""Endpoints of the tractor side of actr's interop suite (tests/interop).

The same shapes as testmod (tests/integration/testmod.actor) where both
sides have one, so each direction is tested with the same dialog. The
C side calls them through tests/interop/pyactors.actor.
"""
import builtins

import trio
import tractor


async def add(a: int, b: int) -> int:
    return a + b


async def whoami() -> str:
    return tractor.current_actor().name


async def fail(type_name: str, message: str) -> None:
    exc = getattr(builtins, type_name, None)
    if not (isinstance(exc, type) and issubclass(exc, Exception)):
        exc = RuntimeError
    raise exc(message)


async def count(n: int):
    for i in range(n):
        yield i


@tractor.context
async def echo(ctx: tractor.Context, prefix: str) -> int:
    await ctx.started(len(prefix))
    n = 0
    async with ctx.open_stream() as stream:
        async for msg in stream:
            await stream.send(prefix + msg)
            n += 1
    return n


@tractor.context
async def sleeper(ctx: tractor.Context) -> bool:
    await ctx.started(True)
    await trio.sleep_forever()
    return False


@tractor.context
async def flood(ctx: tractor.Context, n: int) -> int:
    """Sends n values as fast as it can (to overrun a slow reader)."""
    await ctx.started(True)
    async with ctx.open_stream() as stream:
        for i in range(n):
            await stream.send(i)
    return n


@tractor.context
async def sink(ctx: tractor.Context, allow: bool, pause_ms: int) -> int:
    """Receives until the end of the stream, pausing after each value, and
    returns how many it got; allow: tractor's allow_overruns."""
    await ctx.started(True)
    got = 0
    async with ctx.open_stream(allow_overruns=allow) as stream:
        async for _ in stream:
            got += 1
            if pause_ms:
                await trio.sleep(pause_ms / 1000)
    return got


async def call_c(name: str, a: int, b: int) -> int:
    """Finds the actr actor `name` through the registrar and calls its
    testmod:add (the polyglot tree's Python-to-C call)."""
    async with tractor.find_actor(name) as portal:
        if portal is None:
            raise LookupError(f'no actor {name!r} registered')
        return await portal.run_from_ns('testmod', 'add', a=a, b=b)
