"""The Python child of the polyglot example (examples/polyglot): a tractor
actor whose functions the C actors call as pyworker:greet and
pyworker:ask_c (declared for them in pyworker.actor)."""
import trio
import tractor


async def greet(who: str) -> str:
    return f'hello {who}, from {tractor.current_actor().name} (Python)'


async def ask_c(name: str, a: int, b: int) -> int:
    """Finds the actr actor `name` through the registrar and calls its
    polyglot:add."""
    with trio.fail_after(10):
        async with tractor.wait_for_actor(name) as portal:
            return await portal.run_from_ns('polyglot', 'add', a=a, b=b)
