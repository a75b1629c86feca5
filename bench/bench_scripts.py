"""How long does the static script reader take, on hostile input and on ordinary scripts?

Reads every hostile input of ``domainwatch.testnet.hostile_scripts`` (the ones
tests/test_scripts.py checks are read without error and with bounded output) and a few
ordinary scripts of the kind found on county portals (statistics loaders, date scripts, a
jQuery menu, a hex-escaped injection), each ``--repeat`` times. Reports, per input, its size,
the best and median seconds per reading, and the process's peak memory at the end. The tests
assert no time: this is where a slow path shows.

    python bench/bench_scripts.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

from domainwatch.probes.scripts import read_script
from domainwatch.testnet.hostile_scripts import BAIDU_TONGJI, DATE, HOSTILE, MENU

LINKS = ('<div style="position:absolute;top:-9999px"><a href="http://www.js9905.com/">金沙娱乐'
         '</a></div>')
INJECTION = (MENU + 'var _$_a1b2=["' + "".join(f"\\x{ord(c):02x}" if ord(c) < 256
                                             else f"\\u{ord(c):04x}" for c in LINKS)
             + '"];document.write(_$_a1b2[0]);' + DATE)
ORDINARY = {
    "ordinary: baidu tongji": BAIDU_TONGJI,
    "ordinary: date": DATE,
    "ordinary: menu": MENU,
    "ordinary: hex-escaped injection": INJECTION,
    "ordinary: a long minified site script": (MENU + DATE) * 100,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    inputs = {**ORDINARY, **{f"hostile: {name}": code for name, code in sorted(HOSTILE.items())}}
    print(f"{len(ORDINARY)} ordinary and {len(HOSTILE)} hostile scripts, "
          f"best and median of {args.repeat} readings each")
    print(f"{'input':<48} {'kB':>6} {'best s':>8} {'median s':>9}")
    totals = []
    for name, code in inputs.items():
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            read_script(code)
            times.append(time.perf_counter() - started)
        totals.append(min(times))
        print(f"{name[:48]:<48} {len(code.encode('utf-8')) / 1000:>6.0f} {min(times):>8.4f} "
              f"{statistics.median(times):>9.4f}")
    print(f"slowest {max(totals):.3f} s, all inputs {sum(totals):.2f} s (best of each)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MiB")


if __name__ == "__main__":
    main()
