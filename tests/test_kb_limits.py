"""Knowledge files are refused, each with a FILE:LINE message and without quoting anything, when they are links
out of the knowledge directory, too large, too many phrasings, too long an answer, or a YAML alias bomb."""
from __future__ import annotations

import os

import pytest

from bot.core.errors import KnowledgeBaseInvalid
from bot.core.knowledge import limits
from bot.core.knowledge.loader import load_knowledge

ENTRY = """\
  - id: {id}
    category: services
    title: 測試
    questions: [{questions}]
    answer: {answer}
"""


def entries(*items: str) -> str:
    return "entries:\n" + "".join(items)


def entry(id="a", questions="怎麼辦", answer="答案"):
    return ENTRY.format(id=id, questions=questions, answer=answer)


def problems(directory) -> list[str]:
    with pytest.raises(KnowledgeBaseInvalid) as refused:
        load_knowledge(directory)
    return [str(p) for p in refused.value.problems]


def test_a_link_out_of_the_directory_is_refused_unread(tmp_path):
    secret = tmp_path / "secret.env"
    secret.write_text("TELEGRAM_BOT_TOKEN=123456:TEST-secret-token\n", encoding="utf-8")
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "good.yaml").write_text(entries(entry()), encoding="utf-8")
    (kb / "token.yaml").symlink_to(secret)
    (kb / "passwd.yaml").symlink_to("/etc/passwd")
    found = problems(kb)
    assert len(found) == 2 and all("outside the knowledge directory" in p for p in found)
    assert {p.split(":")[0] for p in found} == {str(kb / "passwd.yaml"), str(kb / "token.yaml")}
    assert not any("TELEGRAM" in p or "TEST-secret" in p or "root:x" in p for p in found)


def test_a_link_inside_the_directory_and_a_linked_directory_are_fine(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.yaml").write_text(entries(entry()), encoding="utf-8")
    (real / "b.yaml").symlink_to(real / "a.yaml")  # same file twice: a duplicate id, not a refusal
    (tmp_path / "kb").symlink_to(real)
    assert all("outside" not in p for p in problems(tmp_path / "kb"))
    (real / "b.yaml").unlink()
    assert len(load_knowledge(tmp_path / "kb").entries) == 1


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 4096)
    monkeypatch.setattr("bot.core.knowledge.files.MAX_FILE_BYTES", 4096)
    (tmp_path / "big.yaml").write_text(entries(entry(answer="很長" * 3000)), encoding="utf-8")
    [found] = problems(tmp_path)
    assert found.startswith(f"{tmp_path / 'big.yaml'}: larger than") and "split it" in found


def test_a_50_mb_file_is_refused_quickly_and_without_holding_memory(tmp_path):
    resource = pytest.importorskip("resource")
    (tmp_path / "huge.yaml").write_bytes(b"entries:\n" + b"  - {id: x, category: services}\n" * 1_700_000)
    assert (tmp_path / "huge.yaml").stat().st_size > 50_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    [found] = problems(tmp_path)
    assert "larger than 2 MB" in found
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 20_000  # KB: the file is never read


def test_too_many_phrasings_are_reported_at_the_entry_that_goes_beyond(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_PHRASINGS", 5)
    (tmp_path / "a.yaml").write_text(entries(entry("a", "一, 二, 三"), entry("b", "四, 五"), entry("c", "六, 七")),
                                     encoding="utf-8")
    [found] = problems(tmp_path)
    assert found.startswith(f"{tmp_path / 'a.yaml'}:15:") and "beyond 5 questions and keywords" in found


def test_an_answer_over_the_limit_is_reported_at_its_line(tmp_path):
    (tmp_path / "a.yaml").write_text(entries(entry(), entry("b", answer="長" * (limits.MAX_ANSWER_CHARS + 1))),
                                     encoding="utf-8")
    [found] = problems(tmp_path)
    assert found.startswith(f"{tmp_path / 'a.yaml'}:11:") and "8,001 characters" in found


def test_a_yaml_alias_bomb_is_refused_before_anything_expands_it(tmp_path):
    lines = ["a0: &a0 [怎麼辦, 怎麼辦, 怎麼辦, 怎麼辦, 怎麼辦, 怎麼辦, 怎麼辦, 怎麼辦, 怎麼辦]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")  # 9**10 ≈ 3.5 billion values
    [found] = problems(tmp_path)
    assert found.startswith(f"{tmp_path / 'bomb.yaml'}:1:") and "YAML aliases" in found


def test_one_alias_reused_for_thousands_of_entries_is_refused(tmp_path):
    """The issue's case: 3,000 entries from one anchored entry of 500 phrasings (1.5 M phrasings once expanded)."""
    phrasings = ", ".join(f"問法{i}" for i in range(500))
    (tmp_path / "a.yaml").write_text(
        f"entries:\n  - &first {{id: e0, category: services, title: t, answer: a, questions: [{phrasings}]}}\n"
        + "  - *first\n" * 3000, encoding="utf-8")
    [found] = problems(tmp_path)
    assert found.startswith(f"{tmp_path / 'a.yaml'}:2:") and "YAML aliases" in found  # at the anchor


def test_aliases_within_reason_still_work(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "entries:\n"
        "  - id: a\n    category: services\n    title: t\n    questions: &q [怎麼辦, 在哪裡]\n    answer: x\n"
        "  - id: b\n    category: services\n    title: t2\n    questions: *q\n    answer: y\n", encoding="utf-8")
    assert len(load_knowledge(tmp_path).entries) == 2


def test_an_alias_that_contains_itself_is_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("entries: &loop [*loop]\n", encoding="utf-8")
    found = problems(tmp_path)
    assert any("contains it" in p or "alias" in p.lower() for p in found), found


def test_the_sample_knowledge_base_is_well_within_every_limit():
    kb = load_knowledge(os.path.join(os.path.dirname(__file__), "..", "knowledge"))
    assert sum(len(e.questions) + len(e.keywords) for e in kb.entries) < limits.MAX_PHRASINGS / 5
