"""Matching latency and memory at 1k, 10k and 100k phrasings, next to brute-force rapidfuzz; KB load time.

    .venv/bin/python benchmarks/bench_matching.py [--kb DIR] [--sizes 1000,10000,100000]

The synthetic knowledge base is generated deterministically (seed 2024) from a character-bigram model of the
sample knowledge base's own text, so characters and common pairs occur about as often as in real entries. Each
entry has five phrasings that share a topic word (as real entries do). Queries are phrasings with one typo, a
deleted character, a polite prefix, or their halves swapped, so both methods' top-1 accuracy can be compared too.

Each size runs in a fresh subprocess so resident-memory deltas are not blurred by a previous size's freed memory.
Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import gc
import json
import random
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

from bot.core.knowledge.model import Category, Entry, KnowledgeBase, Text  # noqa: E402
from bot.core.matching.matcher import Matcher  # noqa: E402

SEED = 2024
PHRASINGS_PER_ENTRY = 5
MATCHER_QUERIES = 500
BRUTE_QUERIES = {1_000: 200, 10_000: 60, 100_000: 20}  # brute force is 100x slower: fewer questions at size
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")


def kb_text(directory: Path) -> list[str]:
    """Every Han run in the knowledge directory's YAML (read as plain YAML: no validation needed for a corpus)."""
    import yaml  # noqa: PLC0415

    runs: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            runs.extend(_HAN_RUN.findall(node))
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted(directory.glob("*.yaml")):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return runs


class CharModel:
    """A character-bigram (Markov) model of the sample text: generates strings with its character statistics."""

    def __init__(self, runs: list[str], rng: random.Random):
        self.rng = rng
        self.unigrams = [ch for run in runs for ch in run]
        self.next: dict[str, list[str]] = {}
        for run in runs:
            for a, b in zip(run, run[1:], strict=False):
                self.next.setdefault(a, []).append(b)

    def text(self, length: int) -> str:
        """A string of ``length`` characters."""
        ch = self.rng.choice(self.unigrams)
        out = [ch]
        while len(out) < length:
            following = self.next.get(ch)
            ch = (self.rng.choice(following) if following and self.rng.random() < 0.85
                  else self.rng.choice(self.unigrams))
            out.append(ch)
        return "".join(out)


def synthetic_kb(model: CharModel, phrasings: int) -> KnowledgeBase:
    """``phrasings / 5`` entries: four questions ``prefix + topic + suffix`` and a title sharing the topic word,
    and an answer of 30-80 characters (the whole-entry index reads answers too)."""
    rng = model.rng
    entries = []
    for number in range(phrasings // PHRASINGS_PER_ENTRY):
        topic = model.text(rng.randint(2, 4))
        questions = tuple(model.text(rng.randint(1, 5)) + topic + model.text(rng.randint(1, 6))
                          for _ in range(PHRASINGS_PER_ENTRY - 1))
        entries.append(Entry(id=f"e{number}", category="services", title=Text.of(topic + model.text(2)),
                             questions=questions, answer=Text.of(model.text(rng.randint(30, 80)))))
    return KnowledgeBase(entries=tuple(entries), categories=(Category("services", Text.of("services")),))


def noisy_queries(model: CharModel, kb: KnowledgeBase, count: int) -> list[tuple[str, str]]:
    """(question, entry id it was made from): a phrasing with one typo, deletion, polite prefix or swap."""
    rng = model.rng
    out = []
    for _ in range(count):
        entry = rng.choice(kb.entries)
        text = rng.choice(entry.questions)
        kind = rng.randrange(4)
        pos = rng.randrange(len(text))
        if kind == 0:
            text = text[:pos] + model.text(1) + text[pos + 1:]
        elif kind == 1 and len(text) > 4:
            text = text[:pos] + text[pos + 1:]
        elif kind == 2:
            text = rng.choice(["請問", "你好，", "想問一下"]) + text + rng.choice(["？", "呢", "嗎？"])
        else:
            text = text[pos:] + text[:pos]
        out.append((text, entry.id))
    return out


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def rss_kib() -> int:
    """Resident set size of this process, KiB (Linux)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4


def measure_size(size: int, kb_dir: Path) -> dict:
    """Everything for one size, in this process."""
    model = CharModel(kb_text(kb_dir), random.Random(SEED))
    kb = synthetic_kb(model, size)
    queries = noisy_queries(model, kb, MATCHER_QUERIES)
    gc.collect()
    rss_before = rss_kib()
    start = time.perf_counter()
    matcher = Matcher(kb)
    build = time.perf_counter() - start
    rss_delta = rss_kib() - rss_before

    times, right = [], 0
    for text, gold in queries:
        t0 = time.perf_counter_ns()
        result = matcher.match(text)
        times.append((time.perf_counter_ns() - t0) / 1e6)
        right += bool(result.candidates) and result.candidates[0].entry_id == gold
    strings, owners = [], []
    for e in kb.entries:
        for phrasing in (*e.questions, *e.title.variants()):
            strings.append(phrasing)
            owners.append(e.id)
    brute_times, brute_right = [], 0
    brute = queries[: BRUTE_QUERIES.get(size, 20)]
    for text, gold in brute:
        t0 = time.perf_counter_ns()
        hit = process.extractOne(text, strings, scorer=fuzz.WRatio)
        brute_times.append((time.perf_counter_ns() - t0) / 1e6)
        brute_right += owners[hit[2]] == gold

    del matcher
    gc.collect()
    tracemalloc.start()
    matcher = Matcher(kb)
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "size": matcher.phrasing_count, "build_s": build, "rss_mib": rss_delta / 1024,
        "traced_mib": retained / 2**20, "traced_peak_mib": peak / 2**20,
        "median_ms": statistics.median(times), "p99_ms": percentile(times, 0.99), "top1": right / len(queries),
        "n": len(queries), "brute_median_ms": statistics.median(brute_times),
        "brute_p99_ms": percentile(brute_times, 0.99), "brute_top1": brute_right / len(brute), "brute_n": len(brute),
    }


def sample_load(kb_dir: Path) -> tuple[str, str]:
    """(in-process load+build seconds, cold start: new interpreter, imports, load, build) for the sample KB."""
    from bot.core.errors import KnowledgeBaseInvalid  # noqa: PLC0415
    from bot.core.knowledge.loader import load_knowledge  # noqa: PLC0415

    try:
        start = time.perf_counter()
        kb = load_knowledge(kb_dir)
        loaded = time.perf_counter() - start
        matcher = Matcher(kb)
        built = time.perf_counter() - start - loaded
    except KnowledgeBaseInvalid as invalid:
        return f"invalid knowledge base ({len(invalid.problems)} problems)", "-"
    code = ("import time; t=time.perf_counter(); from bot.core.knowledge.loader import load_knowledge; "
            "from bot.core.matching.matcher import Matcher; "
            f"Matcher(load_knowledge({str(kb_dir)!r})); print(time.perf_counter()-t)")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    cold = time.perf_counter() - start
    return (f"{len(kb.entries)} entries, {matcher.phrasing_count} phrasings: load {loaded * 1000:.0f} ms + "
            f"index {built * 1000:.0f} ms", f"{cold:.2f} s wall ({float(out.stdout) * 1000:.0f} ms after start-up)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=str(ROOT / "knowledge"), help="sample knowledge directory")
    parser.add_argument("--sizes", default="1000,10000,100000", help="phrasing counts, comma-separated")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # worker mode: one size, JSON out
    args = parser.parse_args()
    kb_dir = Path(args.kb)
    if args.one:
        print(json.dumps(measure_size(args.one, kb_dir)))
        return 0
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--kb", str(kb_dir), "--one", str(size)],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout))
    print("| phrasings | index build | memory: RSS Δ / traced (peak) | Matcher median / p99 | Matcher top-1 "
          "| WRatio brute force median / p99 | WRatio top-1 |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['size']:,} | {r['build_s']:.2f} s | {r['rss_mib']:.0f} / {r['traced_mib']:.0f} "
              f"({r['traced_peak_mib']:.0f}) MiB | {r['median_ms']:.2f} / {r['p99_ms']:.2f} ms (n={r['n']}) "
              f"| {r['top1']:.3f} | {r['brute_median_ms']:.1f} / {r['brute_p99_ms']:.1f} ms (n={r['brute_n']}) "
              f"| {r['brute_top1']:.3f} |")
    in_process, cold = sample_load(kb_dir)
    print(f"\nSample knowledge base ({kb_dir}): {in_process}; cold start {cold}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
