"""``python -m bot kb test`` (regression questions through the real matcher) and ``python -m bot kb lint``
(warnings beyond validation), on the bundled knowledge base and on crafted ones."""
from datetime import date

import pytest
from staff_support import KNOWLEDGE_DIR, copy_knowledge

from bot.cli import main
from bot.core.knowledge.loader import load_knowledge
from bot.core.staff.lint import lint, visible_length

LINT_KB = """\
entries:
  - id: library-a
    category: facilities
    title: 甲社區圖書室
    questions: [社區圖書室幾點開門, 甲社區圖書室在哪裡]
    answer: 甲社區圖書室每天 9:00 開門。
    contact: {hours: 每天 9:00-20:00}
    location: {lat: 32.03, lon: 118.73}
    updated: 2026-10-01
  - id: library-b
    category: facilities
    title: 乙社區圖書室
    questions: [社區圖書室幾點開門, 乙社區圖書室在哪裡]
    answer: 乙社區圖書室每天 10:00 開門。
    updated: 2020-01-15
  - id: long-answer
    category: services
    title: 很長的說明
    questions: [請給我完整的辦事說明]
    answer: "{long}"
"""


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_kb_test_passes_on_the_bundled_knowledge_base(capsys):
    """The sample regression questions hold with today's matcher: a change to the matcher or the knowledge base
    that breaks one fails here, and would make /reload refuse every reload in production."""
    cases = len(load_knowledge(KNOWLEDGE_DIR).regression)
    assert cases >= 30
    code, out, err = run(capsys, "kb", "test", "--kb", str(KNOWLEDGE_DIR))
    assert code == 0, out + err
    assert out.strip() == f"{cases}/{cases} regression questions pass"


def test_kb_test_fails_with_a_readable_diff(tmp_path, capsys):
    directory = copy_knowledge(tmp_path, regression=False)
    (directory / "more-regression.yaml").write_text(
        "regression:\n"
        "  - question: 沿河圖書室幾點開門\n"
        "    expect: facility-mingyuan-library\n"
        "  - question: 今天天氣怎麼樣\n"
        "    expect: null\n"
        "  - question: 低保怎么申请\n"
        "    expect: null\n", encoding="utf-8")
    code, out, err = run(capsys, "kb", "test", "--kb", str(directory))
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 2
    path = directory / "more-regression.yaml"
    assert lines[0].startswith(f'{path}:2: "沿河圖書室幾點開門" → expected facility-mingyuan-library, '
                               "got facility-yanhe-library (score ")
    assert lines[1].startswith(f'{path}:6: "低保怎么申请" → expected no answer, '
                               "got policy-minimum-living-allowance-apply (score ")
    total = len(load_knowledge(directory).regression)
    assert f"{total - 2}/{total} regression questions pass" in err


def test_kb_test_reports_an_invalid_knowledge_base_instead(tmp_path, capsys):
    directory = copy_knowledge(tmp_path)
    (directory / "more-regression.yaml").write_text("regression:\n  - question: x\n    expect: no-such-entry\n",
                                                     encoding="utf-8")
    code, out, err = run(capsys, "kb", "test", "--kb", str(directory))
    assert code == 1
    assert "more-regression.yaml:3: `expect` names 'no-such-entry'" in out


def test_kb_test_without_regression_questions_says_so(tmp_path, capsys):
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "a.yaml").write_text(LINT_KB.replace("{long}", "短"), encoding="utf-8")
    code, out, err = run(capsys, "kb", "test", "--kb", str(tmp_path / "kb"))
    assert code == 0 and "no regression questions" in err


@pytest.fixture
def lint_dir(tmp_path):
    directory = tmp_path / "kb"
    directory.mkdir()
    (directory / "a.yaml").write_text(LINT_KB.replace("{long}", "很長的說明。" * 800), encoding="utf-8")
    return directory


def test_lint_finds_every_kind_of_warning(lint_dir):
    kb = load_knowledge(lint_dir)
    warnings = lint(kb, date(2026, 11, 1), max_age_days=365)
    by_kind = {}
    for warning in warnings:
        by_kind.setdefault(warning.kind, []).append(warning)
    assert set(by_kind) == {"collision", "stale", "facility", "too-long", "few phrasings"}
    # library-b's first phrasing is the same as library-a's: the matcher can never pick library-b for it.
    [collision] = by_kind["collision"]
    assert collision.message.startswith('library-b: "社區圖書室幾點開門" is ranked first for library-a')
    assert collision.line == 10
    assert sorted(w.message.split(":")[0] for w in by_kind["stale"]) == ["library-b", "long-answer"]
    assert "2020-01-15" in next(w.message for w in by_kind["stale"] if w.message.startswith("library-b"))
    [facility] = by_kind["facility"]
    assert facility.message == ("library-b: facility without opening hours (contact.hours) and "
                                "coordinates (location)")
    [too_long] = by_kind["too-long"]
    assert too_long.message.startswith("long-answer: the answer is ") and "(4096)" in too_long.message
    # every entry here has one or two example questions: fewer than residents' wording needs
    assert [w.message.split(";")[0] for w in by_kind["few phrasings"]] == [
        "library-a: 2 example questions", "library-b: 2 example questions", "long-answer: 1 example question"]


def test_lint_cli_exits_zero_unless_strict(lint_dir, capsys):
    code, out, err = run(capsys, "kb", "lint", "--kb", str(lint_dir))
    assert code == 0
    assert f"{lint_dir / 'a.yaml'}:10: warning [collision]: library-b" in out
    assert err.strip().endswith("warnings")
    code, _, _ = run(capsys, "kb", "lint", "--kb", str(lint_dir), "--strict")
    assert code == 1


def test_lint_max_age_is_configurable(lint_dir, capsys):
    code, out, _ = run(capsys, "kb", "lint", "--kb", str(lint_dir), "--max-age-days", "100000")
    stale = [line for line in out.splitlines() if "[stale]" in line]
    assert len(stale) == 1 and "long-answer: no `updated` date" in stale[0]


def test_visible_length_counts_what_telegram_counts():
    assert visible_length("<b>a&amp;b</b>\n😀") == len("a&b\n") + 2  # an emoji is two UTF-16 units
