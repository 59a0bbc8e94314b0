"""The feedback use cases on their own: reference numbers, checks of whole submissions, limits with clear
messages, staff replies, and the keyed hashes used for privacy."""
from __future__ import annotations

import re
from datetime import UTC

import pytest
from feedback_helpers import Clock, write_knowledge

from bot.core.errors import CoreError, LimitExceeded
from bot.core.feedback.memory_store import MemoryFeedbackStore
from bot.core.feedback.privacy import participation_token, resident_hash
from bot.core.feedback.references import CHUNK, WORD, RandomBelow, normalize
from bot.core.feedback.service import CONTACT_MAX_CHARS, REPLY_MAX_CHARS, FeedbackService, UnknownReference
from bot.core.feedback.survey import InvalidAnswer, check_value, collect
from bot.core.i18n import CATALOGUES
from bot.core.knowledge.loader import load_knowledge
from bot.core.memory_store import MemoryResidentStore


@pytest.fixture(scope="module")
def consultations(tmp_path_factory):
    kb = load_knowledge(write_knowledge(tmp_path_factory.mktemp("kb")))
    return {c.id: c for c in kb.consultations}


def service(digits=None, clock=None):
    kwargs = {"random_digits": digits} if digits else {}
    return FeedbackService(MemoryFeedbackStore(), MemoryResidentStore(), salt="s", clock=clock or Clock(), **kwargs)


def test_reference_numbers_carry_80_random_bits_in_readable_groups():
    svc = service()
    refs = {svc.new_reference() for _ in range(2000)}
    assert all(re.fullmatch(r"FB-[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", r) for r in refs)
    assert len(refs) == 2000
    # every position takes every one of the 32 characters: no fixed date, no structure to guess
    for position in (3, 8, 13, 18, 21):
        assert len({r[position] for r in refs}) == 32


def test_a_typed_number_is_read_leniently():
    assert normalize(" fb-7k2m 9qxd-4hzt-r8wa ") == "FB-7K2M-9QXD-4HZT-R8WA"
    assert normalize("FB7K2M9QXD4HZTR8WA") == "FB-7K2M-9QXD-4HZT-R8WA"
    assert normalize("FB-7K2M-9QXD-4HZT-R8WO") == "FB-7K2M-9QXD-4HZT-R8W0"  # O is 0, I and L are 1
    assert normalize("FB-20261126012345") == "FB-20261126012345"  # legacy numbers stay as they are
    assert normalize("FB-7K2M-9QXD-4HZT") is None and normalize("FB-<script>") is None


@pytest.mark.parametrize("n", [1, 2, 3, 10, 1_000_000, 2**32])
def test_random_digits_cover_their_range_and_nothing_else(n):
    draw = RandomBelow()
    values = [draw(n) for _ in range(3 * CHUNK // WORD)]  # several refills of the buffer
    assert all(0 <= v < n for v in values)
    if n <= 10:
        assert set(values) == set(range(n))  # missing one of ten in 3,000 draws: about 10 * 0.9**3000
    else:
        assert len(set(values)) > len(values) * 0.9


@pytest.mark.parametrize("n", [0, -1, 2**32 + 1])
def test_random_digits_refuse_a_range_they_cannot_draw_evenly(n):
    with pytest.raises(ValueError):
        RandomBelow()(n)


async def test_a_taken_reference_number_is_drawn_again(consultations):
    draws = iter([0, 0, 42, 0, 0, 42, 0, 0, 43])  # three draws a number: 32 + 32 + 16 bits
    svc = service(digits=lambda _: next(draws))
    first = await svc.submit(consultations["other"], {"suggestion": "一"}, user="a", language="zh-Hant")
    second = await svc.submit(consultations["other"], {"suggestion": "二"}, user="b", language="zh-Hant")
    assert (first, second) == ("FB-0000-0000-0000-001A", "FB-0000-0000-0000-001B")


async def test_running_out_of_reference_numbers_is_an_error_not_a_loop(consultations):
    svc = service(digits=lambda _: 7)
    await svc.submit(consultations["other"], {"suggestion": "一"}, user="a", language="zh-Hant")
    with pytest.raises(CoreError):
        await svc.submit(consultations["other"], {"suggestion": "二"}, user="b", language="zh-Hant")


def test_check_value_per_question_type(consultations):
    jobs = consultations["jobs"]
    assert check_value(jobs.question("rating"), "5") == 5
    assert check_value(jobs.question("status"), "grad") == "grad"
    assert check_value(jobs.question("help"), ["loans", "skills"]) == ("skills", "loans"), "option order"
    assert check_value(jobs.question("note"), "  好  ") == "好"
    for question, raw, key in [("rating", "6", "fb.invalid_scale"), ("rating", 0, "fb.invalid_scale"),
                               ("status", "phd", "fb.invalid_choice"), ("help", [], "fb.choose_one"),
                               ("help", ["skills", "skills"], "fb.invalid_choice"), ("note", " ", "fb.empty_answer")]:
        with pytest.raises(InvalidAnswer) as invalid:
            check_value(jobs.question(question), raw)
        assert invalid.value.text_key == key
    with pytest.raises(LimitExceeded) as long:
        check_value(jobs.question("note"), "字" * 51)
    assert long.value.params == {"length": 51, "limit": 50}


def test_collect_drops_answers_that_no_longer_apply_and_requires_the_rest(consultations):
    jobs = consultations["jobs"]
    answers = collect(jobs, {"status": "other", "help": ["skills"], "rating": 2, "note": None})
    assert [(a.question_id, a.value, a.position) for a in answers] == [("status", "other", 0), ("rating", 2, 2)]
    with pytest.raises(InvalidAnswer) as missing:
        collect(jobs, {"status": "grad", "rating": 2})
    assert missing.value.text_key == "fb.missing_answer"


async def test_closed_consultations_and_long_contacts_are_refused(consultations):
    svc = service()
    with pytest.raises(LimitExceeded) as closed:
        await svc.submit(consultations["closed-one"], {"q": "x"}, user="a", language="zh-Hant")
    assert closed.value.text_key == "fb.closed"
    with pytest.raises(LimitExceeded) as long:
        await svc.submit(consultations["other"], {"suggestion": "x"}, user="a", language="zh-Hant",
                         contact="1" * (CONTACT_MAX_CHARS + 1))
    assert long.value.text_key == "fb.too_long"
    assert await svc.store.submissions() == []


async def test_anonymous_submissions_ignore_contact_details_and_store_no_user(consultations):
    svc = service()
    reference = await svc.submit(consultations["dibao"], {"receiving": "never"}, user="tg:5", language="en",
                                 contact="555-1234")
    stored = await svc.store.get(reference)
    assert not stored.linked and not stored.has_contact and await svc.store.contact(reference) is None
    with pytest.raises(LimitExceeded) as twice:
        await svc.submit(consultations["dibao"], {"receiving": "never"}, user="tg:5", language="en")
    assert twice.value.text_key == "fb.anonymous_done"


async def test_staff_reply_limits_and_unknown_references(consultations):
    svc = service()
    reference = await svc.submit(consultations["other"], {"suggestion": "x"}, user="tg:5", language="xx")
    with pytest.raises(InvalidAnswer):
        await svc.reply(reference, "   ")
    with pytest.raises(LimitExceeded):
        await svc.reply(reference, "x" * (REPLY_MAX_CHARS + 1))
    with pytest.raises(UnknownReference):
        await svc.reply("FB-00000000000000", "hello")
    [message] = await svc.reply(reference, "hello")
    assert "工作人員" in message.html, "an unknown stored language falls back to Traditional Chinese"
    with pytest.raises(ValueError):
        await svc.set_status(reference, "lost")
    with pytest.raises(UnknownReference):
        await svc.set_status("FB-00000000000000", "closed")
    await svc.set_status(reference, "closed")
    assert (await svc.lookup(reference.lower())).status == "closed"
    with pytest.raises(InvalidAnswer):
        await svc.rate("tg:5", 1, 6)


def test_resident_hash_is_keyed_and_stable():
    h = resident_hash("tg:12345", "salt-a")
    assert re.fullmatch(r"[0-9a-f]{64}", h) and h == resident_hash("tg:12345", "salt-a")
    assert h != resident_hash("tg:12345", "salt-b") and h != resident_hash("tg:12346", "salt-a")
    assert "12345" not in h
    assert participation_token("tg:12345", "c", "salt-a") not in (h, participation_token("tg:12345", "d", "salt-a"))


def test_hashes_keep_their_values():
    """Tokens already stored (anonymous participations) and pseudonyms in earlier exports must stay valid: these
    are the values of the first implementation (``hmac.new(...).hexdigest()``)."""
    assert resident_hash("tg:12345", "salt-a") == "7f0ed0e45a1afe4562d15c106169aab7f07fc9bc3ec76e84c7717dc042e55db2"
    assert (participation_token("tg:12345", "c", "salt-a")
            == "566425c4970438f8c5a84877061a65381c4fc4502b2629e4664b60d8c5cd4a7b")


def test_every_limit_message_exists_in_every_language():
    for key in ("fb.too_long", "fb.case_cooldown", "fb.already_submitted", "fb.anonymous_done", "fb.closed",
                "fb.invalid_scale", "fb.invalid_choice", "fb.choose_one", "fb.empty_answer", "fb.missing_answer"):
        for lang, catalogue in CATALOGUES.items():
            assert catalogue.get(key), (lang, key)


async def test_forget_me_also_clears_what_other_features_keep_about_the_resident(consultations):
    forgotten: list[str] = []

    async def unsubscribe(user: str) -> int:
        forgotten.append(user)
        return 1

    svc = FeedbackService(MemoryFeedbackStore(), MemoryResidentStore(), salt="s", clock=Clock())
    await svc.submit(consultations["other"], {"suggestion": "x"}, user="tg:5", language="zh-Hant", contact="c")
    assert await svc.forget_me("tg:5", consultations, also=(unsubscribe,)) == 1
    assert forgotten == ["tg:5"]


async def test_the_composition_root_wires_forget_me_to_announcement_subscriptions(tmp_path):
    from datetime import datetime

    from bot.app import build_services
    from bot.core.messages import Incoming
    from bot.core.staff.ports import ALL_COMMUNITIES
    from bot.settings import Settings

    services = build_services(Settings(knowledge_dir=write_knowledge(tmp_path / "kb")), in_memory=True)
    await services.open()
    subscriptions = services.staff.subscriptions
    await subscriptions.subscribe("tg:7", ALL_COMMUNITIES, datetime(2026, 11, 26, tzinfo=UTC))
    assert await subscriptions.communities_of("tg:7")
    await services.assistant.handle(Incoming(user="tg:7", action="ffg:y"))
    assert await subscriptions.communities_of("tg:7") == []
    await services.close()
