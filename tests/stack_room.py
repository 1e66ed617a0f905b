"""Runs the test loop on a roomy Python data stack, working around CPython 3.13.0's stack-chunk
thrashing (python/cpython#142183; later 3.13 releases keep one spare chunk instead).

CPython keeps frames in 16 KiB chunks of a per-thread stack; a chunk is unmapped (munmap) when the
frame at its base returns, and mapped again (mmap) by the next call that needs it. A loop whose
calls cross a chunk boundary therefore makes two system calls and fresh zeroed pages per call:
under pytest-xdist the suite's stacks sat just so, and half its time went to the kernel (1.6
million mmap/munmap pairs in one 20 s test; 0.8 s of system time without xdist). Here the whole
test loop runs below one frame big enough to get a 256 KiB chunk of its own, with about 128 KiB
free above it: the calls of every test (a few hundred frames deep) stay inside that chunk, which
nothing frees until the loop ends.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest

# Words (8 bytes) of locals in the anchor frame: just over 128 KiB, so CPython rounds its chunk
# up to 256 KiB (its sizes are 16 KiB doubled).
_ANCHOR_WORDS = 16 * 1024 + 64


def _anchor() -> Callable[[Callable[[], Any]], Any]:
    names = " = ".join(f"_{i}" for i in range(_ANCHOR_WORDS))
    source = f"def anchored(run):\n    if run is None:\n        {names} = None\n    return run()\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, "<tests/stack_room.py>", "exec"), namespace)
    return namespace["anchored"]  # type: ignore[no-any-return]


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> Any:
    rest = session.config.pluginmanager.subset_hook_caller(
        "pytest_runtestloop", remove_plugins=[sys.modules[__name__]]
    )
    return _anchor()(lambda: rest(session=session))
