"""Teaching writes into the staff's own YAML: one phrasing (or one new entry) added, and nothing else in the file
changed — comments, key order, quoting, folded answers, flow lists, language maps; never over a hand edit; a
refused edit leaves every file byte for byte as it was; ``undo`` gives the previous bytes back."""
import asyncio
import difflib
from datetime import date
from pathlib import Path

import pytest
from staff_support import OTHER_STAFF, STAFF, copy_knowledge, make_world

from bot.core.errors import TeachRefused
from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.writer import EntryDraft, file_digest, plan_entry, plan_phrasing, write_atomically

STYLED = """\
# 社區服務（手寫的註解要保留）
entries:
  - id: service-hall            # 行尾註解
    category: services
    title: {zh-Hant: 一站式服務大廳, zh-Hans: 一站式服务大厅, en: "One-stop hall"}
    questions:
      - 一站式服務大廳在哪裡
      - '去哪裡辦事: 社區'      # 引號要保留
      # 下一個問法是英文
      - "where is the hall"
    answer:
      zh-Hant: >
        沿河社區服務中心一樓設「一站式服務」大廳，
        週一至週五開放。
      zh-Hans: |
        沿河社区服务中心一楼。
      en: >-
        On the ground floor of the Yanhe centre,
        open Monday to Friday.
    keywords: [辦事大廳, "政務服務"]
    updated: 2026-10-15

  - id: service-other
    category: services
    title: 其他
    questions: [其他問題]
    answer: 其他答案
"""


def added_lines(before: str, after: str) -> list[str]:
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0))
    assert all(not line.startswith("-") or line.startswith("---") for line in diff), diff
    return [line[1:] for line in diff if line.startswith("+") and not line.startswith("+++")]


def test_one_phrasing_is_exactly_one_added_line_whatever_the_style(tmp_path):
    path = tmp_path / "services.yaml"
    path.write_text(STYLED, encoding="utf-8")
    edit = plan_phrasing(path, "service-hall", ["老人去哪裡辦事？"], file_digest(path.read_bytes()))
    write_atomically(path, edit.after)
    after = path.read_text(encoding="utf-8")
    assert added_lines(STYLED, after) == ["      - 老人去哪裡辦事？"]
    assert after.index("老人去哪裡辦事") > after.index('"where is the hall"')
    entry = load_knowledge(tmp_path).get("service-hall")
    assert entry.questions[-1] == "老人去哪裡辦事？" and entry.answer.get("en").startswith("On the ground floor")


def test_a_phrasing_needing_quotes_is_quoted_and_a_flow_list_stays_one_line(tmp_path):
    path = tmp_path / "services.yaml"
    path.write_text(STYLED, encoding="utf-8")
    edit = plan_phrasing(path, "service-other", ["其他: 還有嗎"], None)
    changed = [line for line in difflib.ndiff(STYLED.splitlines(), edit.after.decode().splitlines())
               if line[:1] in "+-"]
    # a flow list can only grow on its own line: that one line changes, nothing else
    assert changed == ["-     questions: [其他問題]", "+     questions: [其他問題, '其他: 還有嗎']"]
    write_atomically(path, edit.after)
    assert load_knowledge(tmp_path).get("service-other").questions == ("其他問題", "其他: 還有嗎")


UNINDENTED = """\
entries:
- id: service-hall
  category: services
  title: 一站式服務大廳
  questions:
  - 一站式服務大廳在哪裡   # 註解
  answer: 一樓。
"""


def test_another_indentation_style_is_kept(tmp_path):
    path = tmp_path / "services.yaml"
    path.write_text(UNINDENTED, encoding="utf-8")
    edit = plan_phrasing(path, "service-hall", ["新問法"], None)
    assert added_lines(UNINDENTED, edit.after.decode()) == ["  - 新問法"]


def test_a_new_entry_is_appended_with_a_blank_line_and_nothing_else_changes(tmp_path):
    path = tmp_path / "services.yaml"
    path.write_text(STYLED, encoding="utf-8")
    draft = EntryDraft("service-q1", "services", "晚上能辦事嗎", ("晚上能辦事嗎", "週末開門嗎"), "第一行\n第二行")
    edit = plan_entry(path, draft, None, date(2026, 11, 2))
    lines = added_lines(STYLED, edit.after.decode())
    assert lines[0] == "" and lines[1] == "  - id: service-q1" and "        第二行" in lines
    write_atomically(path, edit.after)
    entry = load_knowledge(tmp_path).get("service-q1")
    assert entry.answer.get("zh-Hant").strip() == "第一行\n第二行" and entry.updated == date(2026, 11, 2)


def test_the_sample_files_round_trip_byte_for_byte(tmp_path):
    kb = copy_knowledge(tmp_path)
    for path in sorted(kb.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        kb_data = load_knowledge(kb)
        entry = next((e for e in kb_data.entries if Path(e.file).name == path.name), None)
        if entry is None:
            continue
        edit = plan_phrasing(path, entry.id, ["一個新的問法"], None)
        assert added_lines(text, edit.after.decode()) == ["      - 一個新的問法"], path.name


def snapshot_files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.yaml"))}


async def test_a_hand_edit_made_meanwhile_is_refused_never_overwritten(tmp_path):
    kb = copy_knowledge(tmp_path, regression=False)
    world = make_world(kb)
    policies = kb / "policies.yaml"
    hand = policies.read_bytes() + "# 手動加的註解\n".encode()
    policies.write_bytes(hand)
    with pytest.raises(TeachRefused) as refused:
        await world.tools.teacher.attach(STAFF, "policy-unemployment-registration", ["老公失業了有補助嗎"])
    assert refused.value.text_key == "teach.refused.changed" and refused.value.params == {"file": "policies.yaml"}
    assert policies.read_bytes() == hand


async def test_a_phrasing_that_breaks_a_regression_question_is_refused_files_unchanged(tmp_path):
    kb = copy_knowledge(tmp_path)
    world = make_world(kb)
    before, serving = snapshot_files(kb), world.knowledge.current
    with pytest.raises(TeachRefused) as refused:
        await world.tools.teacher.attach(STAFF, "policy-unemployment-registration", ["低保怎麼申請"])
    assert refused.value.text_key == "teach.refused.regression"
    assert "最低生活保障怎麼申請" in str(refused.value.params["question"])
    assert snapshot_files(kb) == before and world.knowledge.current is serving
    assert not (kb / ".teach-undo").exists() or not list((kb / ".teach-undo").glob("*.yaml"))


async def test_two_staff_teaching_at_once_both_land_and_undo_takes_back_the_newest(tmp_path):
    kb = copy_knowledge(tmp_path, regression=False)
    world = make_world(kb)
    original = (kb / "policies.yaml").read_bytes()
    teacher = world.tools.teacher
    first, second = await asyncio.gather(
        teacher.attach(STAFF, "policy-unemployment-registration", ["老公失業了在家，有沒有什麼補助可以領"]),
        teacher.attach(OTHER_STAFF, "policy-senior-allowance", ["我奶奶八十五歲了，有錢可以領嗎"]))
    text = (kb / "policies.yaml").read_text(encoding="utf-8")
    assert "老公失業了在家" in text and "我奶奶八十五歲了" in text
    assert first.verdict.answer_id == "policy-unemployment-registration"
    assert world.knowledge.current.matcher.match("老公失業了在家，有沒有什麼補助可以領").answer_id == \
        "policy-unemployment-registration"
    await teacher.undo(STAFF)
    await teacher.undo(STAFF)
    assert (kb / "policies.yaml").read_bytes() == original
    with pytest.raises(TeachRefused):
        await teacher.undo(STAFF)
    actions = [r.action for r in await world.tools.audit.records()]
    assert actions.count("teach.attach") == 2 and actions.count("teach.undo") == 2
