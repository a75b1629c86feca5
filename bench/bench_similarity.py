"""How good and how cheap is the page similarity sketch?

Builds real-sized portal pages (the visible text of a Chinese government home page is
typically 3 000–15 000 characters: news headlines, column names, footers), edits them by
known amounts (headlines replaced, as on a normal day; the whole page replaced, as in a
hijack), and compares the sketch's similarity estimate with the exact Jaccard similarity of
the two texts' 5-gram sets. Reports, for several sketch sizes, the time per page and the
mean and worst absolute error, and, for the chosen size, how cleanly "a normal day's
update" and "a replaced page" separate.

    python bench/bench_similarity.py [--pages 200]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time

from domainwatch.probes.page import SHINGLE, similarity, sketch

HEADLINE_WORDS = ("关于", "印发", "通知", "市政府", "召开", "常务会议", "专题", "工作", "推进",
                  "高质量", "发展", "乡村振兴", "营商环境", "优化", "政务服务", "公开", "意见",
                  "征集", "公示", "名单", "招聘", "公告", "防汛", "安全生产", "检查", "调研",
                  "座谈会", "项目", "建设", "加快", "全面", "深化", "改革", "实施方案")
FOOTER = ("主办：酒泉市人民政府办公室 承办：酒泉市数据局 网站标识码：6209000001 "
          "甘ICP备05000000号 甘公网安备 62090202000001号 联系电话：0937-0000000 ")


def headline(rng: random.Random) -> str:
    return "".join(rng.choice(HEADLINE_WORDS) for _ in range(rng.randint(4, 9))) + \
        f" {rng.randint(2024, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def portal(rng: random.Random, headlines: int) -> list[str]:
    return [headline(rng) for _ in range(headlines)]


def exact(a: str, b: str) -> float:
    def grams(text: str) -> set[str]:
        compact = "".join(text.split()).lower()
        return {compact[i:i + SHINGLE] for i in range(len(compact) - SHINGLE + 1)}
    first, second = grams(a), grams(b)
    return len(first & second) / len(first | second) if first | second else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(20261126)
    pairs: list[tuple[str, str, str]] = []
    for _ in range(args.pages):
        lines = portal(rng, rng.randint(120, 500))
        text = " ".join(lines) + FOOTER
        kind = rng.choice(("day", "week", "replaced"))
        if kind == "replaced":
            other = "澳门新葡京 百家乐 真人视讯 " + " ".join(portal(rng, rng.randint(20, 80)))
            pairs.append((kind, text, other))
        else:
            share = 0.05 if kind == "day" else 0.3
            edited = list(lines)
            for index in rng.sample(range(len(lines)), int(len(lines) * share)):
                edited[index] = headline(rng)
            pairs.append((kind, text, " ".join(edited) + FOOTER))
    sizes = [len(text) for _, text, _ in pairs]
    print(f"{args.pages} page pairs; visible text {min(sizes)}–{max(sizes)} characters "
          f"(median {int(statistics.median(sizes))})")
    truths = [exact(a, b) for _, a, b in pairs]
    started = time.perf_counter()
    for _, a, _ in pairs:
        exact(a, a)
    exact_ms = (time.perf_counter() - started) / len(pairs) * 1000
    print(f"exact 5-gram Jaccard (Python sets): {exact_ms:.2f} ms per page, nothing to store")
    print(f"{'k':>5} {'ms/page':>8} {'bytes':>6} {'mean err':>9} {'max err':>8}")
    for k in (32, 64, 128, 256):
        started = time.perf_counter()
        sketches = [(sketch(a, k), sketch(b, k)) for _, a, b in pairs]
        per_page = (time.perf_counter() - started) / (2 * len(pairs)) * 1000
        errors = [abs(similarity(x, y, k) - truth)
                  for (x, y), truth in zip(sketches, truths, strict=True)]
        print(f"{k:>5} {per_page:>8.3f} {8 * k:>6} {statistics.mean(errors):>9.3f} "
              f"{max(errors):>8.3f}")
    chosen = [(kind, similarity(sketch(a), sketch(b))) for kind, a, b in pairs]
    for kind in ("day", "week", "replaced"):
        values = [value for k, value in chosen if k == kind]
        if values:
            print(f"k=128, {kind:<8}: similarity {min(values):.2f}–{max(values):.2f} "
                  f"(median {statistics.median(values):.2f}, {len(values)} pairs)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MiB")


if __name__ == "__main__":
    main()
