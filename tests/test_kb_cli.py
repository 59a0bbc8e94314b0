"""``python -m bot kb validate|schema``: what staff see on the terminal, and the exit codes scripts rely on."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent

ENTRY = """\
  - id: {id}
    category: {category}
    title: {{zh-Hant: 標題, en: Title}}
    questions: [問題 {id}]
    answer: 答案。
"""

VALID = {
    "a.yaml": "categories:\n  - id: elderly\n    title: 長者\nentries:\n"
              + ENTRY.format(id="hall", category="services") + ENTRY.format(id="park", category="facilities")
              + ENTRY.format(id="canteen", category="elderly"),
    "b.yaml": "synonyms:\n  - [低保, 最低生活保障]\nregression:\n  - {question: 問題 hall, expect: hall}\n",
}


def make_dir(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The developer's .env and KNOWLEDGE_DIR must not change what these tests read.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KNOWLEDGE_DIR", raising=False)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)


def test_validate_valid_directory_prints_one_summary_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    kb = make_dir(tmp_path / "kb", VALID)
    assert main(["kb", "validate", "--kb", str(kb)]) == 0
    assert capsys.readouterr().out == ("OK: 3 entries (services 1, facilities 1, schools 0, policies 0, elderly 1), "
                                       "1 synonym group, 0 consultations\n")


def test_validate_lists_every_problem_sorted_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    kb = make_dir(tmp_path / "kb", {
        "b.yaml": "entries:\n" + ENTRY.format(id="hall", category="services") + "    related: [nowhere]\n",
        "a.yaml": "entries:\n" + ENTRY.format(id="hall", category="sevices") + "    answr: x\n",
    })
    assert main(["kb", "validate", "--kb", str(kb)]) == 1
    captured = capsys.readouterr()
    a, b = kb / "a.yaml", kb / "b.yaml"
    assert captured.out.splitlines() == [
        f"{a}:3: unknown category 'sevices'; did you mean `services`?",
        f"{a}:7: unknown key `answr` in entry; did you mean `answer`?",
        f"{b}:2: duplicate id 'hall' (first defined at a.yaml:2)",
        f"{b}:7: `related` names 'nowhere', which is not an entry id",
    ]
    assert captured.err == f"4 problems in {kb}\n"


def test_every_problem_line_has_file_line_message_form(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    kb = make_dir(tmp_path / "kb", {"a.yaml": "entries:\n  - id: X\n    location: {lat: 100}\nsynonyms: [[a]]\n"})
    assert main(["kb", "validate", "--kb", str(kb)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 8
    assert all(re.fullmatch(rf"{re.escape(str(kb / 'a.yaml'))}:\d+: \S.*", line) for line in lines)


def test_validate_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["kb", "validate", "--kb", "no-such-dir"]) == 1
    assert capsys.readouterr().out == ("no-such-dir: knowledge directory not found (give another with --kb DIR "
                                       "or the KNOWLEDGE_DIR environment variable)\n")


def test_validate_reads_knowledge_dir_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture) -> None:
    kb = make_dir(tmp_path / "from-env", VALID)
    monkeypatch.setenv("KNOWLEDGE_DIR", str(kb))
    assert main(["kb", "validate"]) == 0
    assert capsys.readouterr().out.startswith("OK: 3 entries")


def test_kb_option_wins_over_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("KNOWLEDGE_DIR", str(tmp_path / "missing"))
    kb = make_dir(tmp_path / "kb", VALID)
    assert main(["kb", "validate", "--kb", str(kb)]) == 0


def test_bad_setting_is_a_configuration_error_not_a_traceback(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not a token")
    assert main(["kb", "validate"]) == 2
    assert capsys.readouterr().err.startswith("configuration error: TELEGRAM_BOT_TOKEN")


def test_schema_prints_json_schema(capsys: pytest.CaptureFixture) -> None:
    assert main(["kb", "schema"]) == 0
    out = capsys.readouterr().out
    schema = json.loads(out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["properties"]) == {"entries", "categories", "synonyms", "regression", "consultations",
                                         "venues"}
    assert out.startswith('{\n  "$schema"')  # indented by 2


def test_schema_out_writes_the_same_schema_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["kb", "schema"]) == 0
    printed = capsys.readouterr().out
    assert main(["kb", "schema", "--out", str(tmp_path / "knowledge.schema.json")]) == 0
    assert (tmp_path / "knowledge.schema.json").read_text(encoding="utf-8") == printed
    assert capsys.readouterr().out == ""


def test_kb_without_a_subcommand_shows_help(capsys: pytest.CaptureFixture) -> None:
    assert main(["kb"]) == 2
    out = capsys.readouterr().out
    assert "validate" in out and "schema" in out


@pytest.mark.skipif(not (ROOT / "knowledge").is_dir(), reason="no bundled knowledge directory")
def test_bundled_sample_knowledge_is_valid(capsys: pytest.CaptureFixture) -> None:
    assert main(["kb", "validate", "--kb", str(ROOT / "knowledge")]) == 0, capsys.readouterr().out
    assert re.fullmatch(r"OK: \d+ entries \(services \d+, facilities \d+, schools \d+, policies \d+.*\n",
                        capsys.readouterr().out)


def test_python_m_bot_kb_validate_in_a_subprocess(tmp_path: Path) -> None:
    kb = make_dir(tmp_path / "kb", {"a.yaml": "entries:\n  - id: only\n    category: services\n"})
    env = {k: v for k, v in os.environ.items() if k not in ("KNOWLEDGE_DIR", "TELEGRAM_BOT_TOKEN")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-m", "bot", "kb", "validate", "--kb", str(kb)], cwd=tmp_path,
                            env=env, capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"{kb / 'a.yaml'}:2: entry is missing required key `{key}`"
                                          for key in ("answer", "questions", "title")]

    make_dir(kb, {"a.yaml": VALID["a.yaml"]})
    result = subprocess.run([sys.executable, "-m", "bot", "kb", "validate", "--kb", str(kb)], cwd=tmp_path,
                            env=env, capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert (result.returncode, result.stdout) == (0, "OK: 3 entries (services 1, facilities 1, schools 0, policies 0, "
                                                     "elderly 1), 0 synonym groups, 0 consultations\n")
