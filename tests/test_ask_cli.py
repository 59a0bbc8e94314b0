"""The ``ask`` command's contract: one JSON object per question per line, keys and types, stdin mode."""
from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.cli import ask

ROOT = Path(__file__).resolve().parent.parent

KB_YAML = """\
synonyms:
  - [最低生活保障, 低保, 低保金]
entries:
  - id: policy-minimum-allowance
    category: policies
    title: {zh-Hant: 最低生活保障, en: Minimum living allowance}
    questions: [怎麼申請最低生活保障, 低保需要準備什麼材料, 申請低保有什麼條件]
    answer: 帶戶口簿和身份證到社區服務中心申請。
  - id: facility-library
    category: facilities
    title: {zh-Hant: 社區圖書館, en: Community library}
    questions: [社區圖書館在哪裡, 圖書館開放時間, 借書要帶什麼證件]
    answer: 圖書館在社區服務中心三樓。
  - id: facility-gym
    category: facilities
    title: {zh-Hant: 社區健身房, en: Community gym}
    questions: [社區健身房在哪裡, 健身房開放時間, 健身房要收費嗎]
    answer: 健身房在社區服務中心地下一層。
"""


@pytest.fixture()
def kb_dir(tmp_path: Path) -> Path:
    (tmp_path / "kb.yaml").write_text(KB_YAML, encoding="utf-8")
    return tmp_path


def run_ask(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
            stdin: str | None = None) -> tuple[int, str, str]:
    """Run ``ask`` in-process through its own parser (the full ``python -m bot`` is covered below)."""
    parser = argparse.ArgumentParser()
    ask.register(parser.add_subparsers())
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    args = parser.parse_args(["ask", *argv])
    code = args.handler(args)
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(out: str) -> list[dict]:
    lines = out.splitlines()
    assert all(line.strip() for line in lines)
    return [json.loads(line) for line in lines]


def test_json_prints_one_object_per_question_in_order(kb_dir, monkeypatch, capsys) -> None:
    questions = ["低保怎么申请", "開放時間", "河馬吃什麼"]
    code, out, _ = run_ask(["--kb", str(kb_dir), "--json", *questions], monkeypatch, capsys)
    assert code == 0
    objects = json_lines(out)
    assert [o["query"] for o in objects] == questions
    for o in objects:
        assert set(o) == {"query", "answer_id", "score", "suggestions"}
        assert isinstance(o["score"], float) and 0 <= o["score"] <= 100
        assert o["answer_id"] is None or isinstance(o["answer_id"], str)
        assert isinstance(o["suggestions"], list) and len(o["suggestions"]) <= 3
        assert all(isinstance(s, str) for s in o["suggestions"])
    answer, ambiguous, off_topic = objects
    assert answer["answer_id"] == "policy-minimum-allowance"
    assert ambiguous["answer_id"] is None and set(ambiguous["suggestions"]) == {"facility-library", "facility-gym"}
    assert off_topic["answer_id"] is None and off_topic["suggestions"] == []


def test_json_keeps_chinese_unescaped(kb_dir, monkeypatch, capsys) -> None:
    _, out, _ = run_ask(["--kb", str(kb_dir), "--json", "圖書館在哪裡"], monkeypatch, capsys)
    assert "圖書館在哪裡" in out


def test_dash_reads_one_question_per_line_from_stdin(kb_dir, monkeypatch, capsys) -> None:
    stdin = "低保怎么申请\n\n  圖書館開放時間  \n😀\nhow do I bake bread\n"
    code, out, _ = run_ask(["--kb", str(kb_dir), "--json", "-"], monkeypatch, capsys, stdin=stdin)
    assert code == 0
    objects = json_lines(out)
    assert [o["query"] for o in objects] == ["低保怎么申请", "圖書館開放時間", "😀", "how do I bake bread"]
    assert objects[0]["answer_id"] == "policy-minimum-allowance"
    assert objects[1]["answer_id"] == "facility-library"
    assert objects[2]["answer_id"] is None and objects[3]["answer_id"] is None


def test_human_output_is_in_the_residents_script(kb_dir, monkeypatch, capsys) -> None:
    _, out, _ = run_ask(["--kb", str(kb_dir), "低保怎么申请"], monkeypatch, capsys)
    assert "最低生活保障" in out and "带户口簿和身份证" in out  # Simplified question → Simplified answer
    _, out, _ = run_ask(["--kb", str(kb_dir), "圖書館開放時間"], monkeypatch, capsys)
    assert "社區圖書館" in out and "圖書館在社區服務中心三樓" in out


def test_human_output_lists_suggestions_or_says_not_found(kb_dir, monkeypatch, capsys) -> None:
    _, out, _ = run_ask(["--kb", str(kb_dir), "開放時間"], monkeypatch, capsys)
    assert "1. " in out and "社區圖書館" in out and "社區健身房" in out
    _, out, _ = run_ask(["--kb", str(kb_dir), "河馬吃什麼"], monkeypatch, capsys)
    assert out.strip() and "1. " not in out


def test_invalid_knowledge_base_reports_file_and_line_and_exits_1(tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "bad.yaml").write_text(textwrap.dedent("""\
        entries:
          - id: facility-library
            category: facilities
            title: 社區圖書館
            questoins: [圖書館在哪裡]
            answer: 三樓。
        """), encoding="utf-8")
    code, out, err = run_ask(["--kb", str(tmp_path), "--json", "圖書館"], monkeypatch, capsys)
    assert code == 1
    assert out == ""
    assert f"{tmp_path / 'bad.yaml'}:" in err


def test_python_m_bot_ask_json_over_stdin(kb_dir) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--kb", str(kb_dir), "--json", "-"],
        input="低保怎么申请\n健身房要收費嗎\n", capture_output=True, text=True, encoding="utf-8", cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    objects = json_lines(proc.stdout)
    assert [o["answer_id"] for o in objects] == ["policy-minimum-allowance", "facility-gym"]


def test_a_greeting_gets_a_greeting_not_not_found() -> None:
    out = subprocess.run([sys.executable, "-m", "bot", "ask", "你好", "thanks!"], capture_output=True, text=True,
                         cwd=ROOT, timeout=120).stdout
    assert "您好" in out and "welcome" in out and "找不到" not in out and "couldn't find" not in out
