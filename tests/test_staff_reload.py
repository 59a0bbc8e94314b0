"""Knowledge-base upkeep in the chat: ``/reload`` and the automatic reload by the file watcher. A bad edit keeps
the previous knowledge base serving and tells staff every FILE:LINE problem; an edit that breaks a regression
question is refused the same way; a good edit is swapped in and reported as entries added, removed and edited.
Every reload is in the audit log."""
import os
from html import unescape

import pytest
from staff_support import OTHER_STAFF, STAFF, copy_knowledge, make_world

from bot.core.errors import Problem
from bot.core.i18n import texts_for
from bot.core.staff.reload import WATCHER, ReloadOutcome, outcome_replies
from bot.core.staff.text import MAX_LINES

RESIDENT = "tg:200"

EXTRA_V1 = """\
entries:
  - id: staff-test-water
    category: services
    title: 停水通知
    questions: [小區什麼時候停水, 停水通知在哪裡看]
    answer: 停水前三天會在社區公告欄張貼通知。
  - id: staff-test-old
    category: services
    title: 舊的說明
    questions: [舊說明還有效嗎]
    answer: 是的。
"""

EXTRA_V2 = """\
entries:
  - id: staff-test-water
    category: services
    title: 停水通知
    questions: [小區什麼時候停水, 停水通知在哪裡看]
    answer: 停水前三天會在社區公告欄和本機器人發布通知。
  - id: staff-test-power
    category: services
    title: 停電通知
    questions: [小區什麼時候停電, 停電了找誰]
    answer: 停電請撥打供電服務熱線。
"""

BAD_REGRESSION = """\
regression:
  - question: 沿河圖書室幾點開門
    expect: facility-mingyuan-library
"""


@pytest.fixture
def kb_dir(tmp_path):
    directory = copy_knowledge(tmp_path, regression=False)
    (directory / "staff-test.yaml").write_text(EXTRA_V1, encoding="utf-8")
    return directory


def break_services(directory):
    """Misspell the first ``category`` key of services.yaml; returns the line it is on."""
    path = directory / "services.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    number = next(i for i, line in enumerate(lines) if line.strip() == "category: services")
    original = lines[number]
    lines[number] = original.replace("category", "categroy")
    path.write_text("\n".join(lines), encoding="utf-8")
    return number + 1, lambda: path.write_text("\n".join(lines[:number] + [original] + lines[number + 1:]),
                                               encoding="utf-8")


def text_of(replies):
    return "\n".join(unescape(r.html) for r in replies)


async def test_reload_bad_then_good_edit(kb_dir):
    world = make_world(kb_dir)
    staff, resident = world.person(STAFF, staff=True), world.person(RESIDENT)
    serving = world.knowledge.current

    line, fix = break_services(kb_dir)
    replies = await staff.say("/reload")
    report = text_of(replies)
    assert "❌" in report
    assert f"services.yaml:{line}: " in report and "categroy" in report
    assert world.knowledge.current is serving
    answer = await resident.say("低保怎么申请")  # residents are still answered, from the previous version
    assert answer[0].html.startswith("<b>最低生活保障（低保）申请</b>")

    fix()
    (kb_dir / "staff-test.yaml").write_text(EXTRA_V2, encoding="utf-8")
    replies = await staff.say("/reload")
    report = text_of(replies)
    assert "新增 1、刪除 1、修改 1" in report
    assert "新增：staff-test-power" in report
    assert "刪除：staff-test-old" in report
    assert "修改：staff-test-water" in report
    assert world.knowledge.current is not serving
    assert "供電服務熱線" in (await resident.say("小區什麼時候停電"))[0].html

    records = await world.tools.audit.records()
    assert [(r.staff_user, r.action) for r in records] == [(STAFF, "reload"), (STAFF, "reload")]
    assert records[0].detail.startswith("refused: 2 problems, first ") and "services.yaml" in records[0].detail
    assert records[1].detail == "ok: 1 added, 1 removed, 1 edited"
    assert records[0].at == world.clock()


async def test_reload_without_changes_says_so(kb_dir):
    world = make_world(kb_dir)
    replies = await world.person(STAFF, staff=True, language_code="en").say("/reload")
    assert text_of(replies) == texts_for("en")("staff.reload_unchanged")


async def test_reload_refuses_a_knowledge_base_that_breaks_a_regression_question(kb_dir):
    world = make_world(kb_dir)
    serving = world.knowledge.current
    (kb_dir / "staff-regression.yaml").write_text(BAD_REGRESSION, encoding="utf-8")
    report = text_of(await world.person(STAFF, staff=True).say("/reload"))
    assert "1 個回歸測試問題" in report
    assert ('staff-regression.yaml:2: "沿河圖書室幾點開門" → expected facility-mingyuan-library, '
            "got facility-yanhe-library (score") in report
    assert world.knowledge.current is serving
    assert (await world.tools.audit.records())[0].detail.startswith("refused: 1 regression questions fail")


def test_a_long_problem_report_is_escaped_and_split_below_telegrams_limit():
    problems = tuple(Problem(f"/kb/file{i % 3}.yaml", i + 1, f"unknown key `<b>{'x' * 150}` & more")
                     for i in range(MAX_LINES + 25))
    replies = outcome_replies(ReloadOutcome(problems=problems), texts_for("en"))
    assert len(replies) > 1
    assert all(len(r.html) <= 4096 for r in replies)
    joined = "\n".join(r.html for r in replies)
    assert "<b>x" not in joined and "&lt;b&gt;" in joined and "&amp; more" in joined
    assert "file0.yaml:1: unknown key" in joined  # the file name, not the whole path
    assert "… and 25 more" in joined and "python -m bot kb validate" in joined
    assert joined.count("unknown key") == MAX_LINES


# --- the watcher -----------------------------------------------------------------------------------------------

def touch_extra(kb_dir, text):
    path = kb_dir / "staff-test.yaml"
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # also on coarse-mtime filesystems


async def test_the_watcher_reloads_a_changed_directory_and_tells_every_staff_member(kb_dir):
    world = make_world(kb_dir)
    english = await world.residents.load_state(OTHER_STAFF)
    english.language = "en"
    await world.residents.save_state(english)
    assert await world.tools.watcher.check() == []  # nothing changed since start-up

    touch_extra(kb_dir, EXTRA_V2)
    replies = await world.tools.watcher.check()
    assert {r.to for r in replies} == {STAFF, OTHER_STAFF}
    chinese = text_of([r for r in replies if r.to == STAFF])
    english_text = text_of([r for r in replies if r.to == OTHER_STAFF])
    assert chinese.startswith(texts_for("zh-Hant")("staff.auto_reload")) and "新增 1、刪除 1、修改 1" in chinese
    assert "1 added, 1 removed, 1 edited" in english_text
    assert world.knowledge.current.kb.get("staff-test-power") is not None
    assert await world.tools.watcher.check() == []
    assert [(r.staff_user, r.action) for r in await world.tools.audit.records()] == [(WATCHER, "reload")]


async def test_the_watcher_keeps_the_old_knowledge_base_on_a_bad_edit_and_reports_it_once(kb_dir):
    world = make_world(kb_dir)
    serving = world.knowledge.current
    line, fix = break_services(kb_dir)
    replies = await world.tools.watcher.check()
    assert f"services.yaml:{line}: " in text_of([r for r in replies if r.to == STAFF])
    assert world.knowledge.current is serving
    assert await world.tools.watcher.check() == []  # the same broken directory is not reported again
    fix()
    replies = await world.tools.watcher.check()
    assert "✅" in text_of(replies) and world.knowledge.current is not serving


async def test_the_watcher_waits_for_the_directory_to_settle(kb_dir):
    world = make_world(kb_dir, settle=True)
    touch_extra(kb_dir, EXTRA_V2)
    assert await world.tools.watcher.check() == []  # changed just now: maybe still being written
    assert world.knowledge.current.kb.get("staff-test-power") is None
    assert await world.tools.watcher.check() != []  # unchanged since the last look: reload
    assert world.knowledge.current.kb.get("staff-test-power") is not None


async def test_a_manual_reload_is_not_repeated_by_the_watcher(kb_dir):
    world = make_world(kb_dir)
    touch_extra(kb_dir, EXTRA_V2)
    await world.person(STAFF, staff=True).say("/reload")
    assert await world.tools.watcher.check() == []
    assert len(await world.tools.audit.records()) == 1
