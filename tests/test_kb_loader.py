"""The knowledge loader: a clean directory becomes the model; a broken one lists every mistake with its line."""
from __future__ import annotations

import json
import re
import textwrap
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.core.errors import KnowledgeBaseInvalid, Problem
from bot.core.knowledge import sections
from bot.core.knowledge.compound_specs import Field, Mapping, check_list
from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.schema import knowledge_json_schema
from bot.core.knowledge.sections import register_section
from bot.core.knowledge.spec import Str
from bot.core.knowledge.yaml_nodes import Report

SERVICES = """\
# services (test fixture)
categories:
  - id: elderly
    title: {zh-Hant: 長者服務, en: Elderly care}

entries:
  - id: service-hall
    category: services
    title:
      zh-Hant: 一站式服務大廳
      en: One-stop service hall
    questions:
      - 一站式服務大廳在哪裡
      - where is the service hall
    answer: |
      沿河社區服務中心一樓。
    keywords: [辦事大廳, 政務服務]
    contact:
      phone: 025-8000-0000
      address: {zh-Hant: 沿河社區服務中心一樓, en: 1F Yanhe community centre}
      hours: 週一至週五 8:30-17:30
      url: https://example.org/hall
    location: {lat: 32.0301, lon: 118.7322}
    community: 沿河社區
    source: 社區調研匯報
    updated: 2026-10-15
    related: [elderly-canteen]

  - id: elderly-canteen
    category: elderly
    title: 長者食堂
    questions: [長者食堂在哪]
    answer: {zh-Hant: 社區中心二樓。, zh-Hans: 社区中心二楼。}
    updated: '2026-01-05'
"""

EXTRAS = """\
synonyms:
  - [最低生活保障, 低保, 低保金]
  - [什麼, 甚麼, 啥]

regression:
  - question: 服務大廳在哪
    expect: service-hall
  - question: 今天天氣怎樣
    expect: null

consultations:
  - id: park-survey
    title: 公園改造意見
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(directory: Path) -> list[str]:
    """Every problem the loader reports, as staff see them."""
    with pytest.raises(KnowledgeBaseInvalid) as caught:
        load_knowledge(directory)
    return [str(p) for p in caught.value.problems]


def entry_file(tmp_path: Path, entry_yaml: str, extra: str = "") -> Path:
    """A directory whose ``a.yaml`` has one entry (given as YAML after ``entries:``), plus ``extra`` YAML."""
    write(tmp_path / "kb", "a.yaml", "entries:\n" + textwrap.dedent(entry_yaml) + textwrap.dedent(extra))
    return tmp_path / "kb"


GOOD_ENTRY = """\
  - id: good
    category: services
    title: 好
    questions: [好嗎]
    answer: 好。
"""


@pytest.fixture
def valid_dir(tmp_path: Path) -> Path:
    write(tmp_path / "kb", "services.yaml", SERVICES)
    write(tmp_path / "kb", "extras.yaml", EXTRAS)
    return tmp_path / "kb"


@pytest.fixture(autouse=True)
def plain_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loader on its own: `consultations` kept as written even if a feature registered its parser."""
    # setitem puts back whatever was registered before, also after a test registers its own parser.
    raw = sections.SectionParser(sections.keep_as_written, {"type": "array"})
    monkeypatch.setitem(sections.SECTIONS, "consultations", raw)


# --- a clean directory ---------------------------------------------------------------------------------------

def test_valid_directory_loads_every_value(valid_dir: Path) -> None:
    kb = load_knowledge(valid_dir)
    hall = kb.get("service-hall")
    assert hall is not None
    assert hall.title.get("zh-Hant") == "一站式服務大廳"
    assert hall.title.get("en") == "One-stop service hall"
    assert hall.title.get("zh-Hans") == "一站式服务大厅"  # converted from Traditional
    assert hall.questions == ("一站式服務大廳在哪裡", "where is the service hall")
    assert hall.answer.get("zh-Hant") == "沿河社區服務中心一樓。"  # block scalar's newline dropped
    assert hall.keywords == ("辦事大廳", "政務服務")
    assert hall.contact.phone.get("zh-Hant") == "025-8000-0000"
    assert hall.contact.address.get("en") == "1F Yanhe community centre"
    assert hall.contact.url.get("en") == "https://example.org/hall"
    assert (hall.location.lat, hall.location.lon) == (32.0301, 118.7322)
    assert hall.community.get("zh-Hant") == "沿河社區"
    assert hall.updated == date(2026, 10, 15)
    assert hall.related == ("elderly-canteen",)
    assert (hall.file, hall.line) == (str(valid_dir / "services.yaml"), 7)

    canteen = kb.get("elderly-canteen")
    assert canteen.category == "elderly"
    assert canteen.answer.get("zh-Hans") == "社区中心二楼。"
    assert canteen.updated == date(2026, 1, 5)  # a quoted date is a date too
    assert canteen.contact is None and canteen.location is None and canteen.related == ()

    assert [c.id for c in kb.categories] == ["services", "facilities", "schools", "policies", "elderly"]
    assert kb.category("elderly").title.get("en") == "Elderly care"
    assert kb.synonyms == (("最低生活保障", "低保", "低保金"), ("什麼", "甚麼", "啥"))
    assert [(c.question, c.expect, c.line) for c in kb.regression] == [
        ("服務大廳在哪", "service-hall", 6), ("今天天氣怎樣", None, 8)]
    assert kb.regression[0].file == str(valid_dir / "extras.yaml")
    assert kb.directory == str(valid_dir)


def test_consultations_are_kept_as_written_until_a_parser_is_registered(valid_dir: Path) -> None:
    kb = load_knowledge(valid_dir)
    assert kb.consultations == ({"id": "park-survey", "title": "公園改造意見"},)


def test_empty_file_is_allowed(valid_dir: Path) -> None:
    write(valid_dir, "notes.yaml", "# nothing here yet\n")
    assert len(load_knowledge(valid_dir).entries) == 2


def test_entries_in_several_files_are_read_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", "entries:\n" + GOOD_ENTRY.replace("good", "second"))
    write(tmp_path, "a.yaml", "entries:\n" + GOOD_ENTRY.replace("good", "first"))
    kb = load_knowledge(tmp_path)
    assert [(e.id, Path(e.file).name, e.line) for e in kb.entries] == [("first", "a.yaml", 2), ("second", "b.yaml", 2)]


# --- the directory itself ------------------------------------------------------------------------------------

def test_missing_directory(tmp_path: Path) -> None:
    [problem] = problems(tmp_path / "nope")
    assert problem.startswith(f"{tmp_path / 'nope'}: knowledge directory not found")


def test_directory_without_yaml_files_mentions_yml_files(tmp_path: Path) -> None:
    write(tmp_path, "services.yml", "entries: []\n")
    assert problems(tmp_path) == [f"{tmp_path}: no *.yaml files in this directory "
                                  "(rename services.yml to end in .yaml)"]


# --- one file ------------------------------------------------------------------------------------------------

def test_malformed_yaml_reports_its_line(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "entries:\n  - id: x\n    title: [unclosed\n    answer: y\n")
    [problem] = problems(tmp_path)
    assert problem.startswith(f"{tmp_path / 'a.yaml'}:4: malformed YAML: ")
    assert "line 3" in problem  # where the unclosed list started


def test_bad_indentation_is_malformed_yaml(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "entries:\n  - id: x\n   title: y\n")
    assert problems(tmp_path)[0].startswith(f"{tmp_path / 'a.yaml'}:3: malformed YAML")


def test_tab_indentation_is_named(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "entries:\n\t- id: x\n")
    [problem] = problems(tmp_path)
    assert problem.startswith(f"{tmp_path / 'a.yaml'}:2: malformed YAML: ")
    assert problem.endswith("this line has a tab: indent with spaces only")


def test_one_wrongly_indented_line_gives_one_message_in_words_listed_first(tmp_path: Path) -> None:
    # schools.yaml: `title` got its value on its own line, the language lines under it stayed. Other files relate
    # to entries of schools.yaml and name its category: none of that is reported while schools.yaml is unreadable.
    write(tmp_path, "categories.yaml", "categories:\n  - id: courses\n    title: 課程\n")
    write(tmp_path, "schools.yaml", "entries:\n  - id: school-a\n    category: courses\n    title: 學校\n"
                                    "      en: School\n    questions: [學校]\n    answer: 有\n")
    write(tmp_path, "other.yaml", "entries:\n  - id: other\n    category: services\n    title: 其他\n"
                                  "    questions: [其他]\n    answer: 有\n    related: [school-a, school-b]\n"
                                  "regression:\n  - {question: 學校, expect: school-a}\n")
    assert problems(tmp_path) == [
        f"{tmp_path / 'schools.yaml'}:5: malformed YAML: indentation: this line is indented deeper than `title:` on "
        "line 4, which already has a value there, so it cannot hold more keys; line this one up with `title:`, "
        "or move `title`'s value onto lines of their own below it"]


def test_an_unreadable_file_is_listed_before_other_mistakes(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "entries:\n  - id: Bad Id\n    category: services\n")
    write(tmp_path, "b.yaml", "entries:\n\t- id: x\n")
    found = problems(tmp_path)
    assert found[0].startswith(f"{tmp_path / 'b.yaml'}:2: malformed YAML") and len(found) > 1


def test_second_yaml_document_in_one_file(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "entries: []\n---\nsynonyms: []\n")
    assert problems(tmp_path) == [f"{tmp_path / 'a.yaml'}:2: malformed YAML: a second document starts here (`---`); "
                                  "keep one document per file"]


def test_file_whose_top_level_is_not_a_mapping(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "- id: x\n- id: y\n")
    assert problems(tmp_path) == [f"{tmp_path / 'a.yaml'}:1: the top level must be a map with one or more of the keys "
                                  "entries, categories, synonyms, regression, consultations, venues, not a list"]


def test_unknown_top_level_key_suggests_the_right_one(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "entries: []\nsynonym:\n  - [a, b]\n")
    assert problems(tmp_path) == [f"{tmp_path / 'a.yaml'}:2: unknown top-level key `synonym`; did you mean `synonyms`?"]


def test_section_that_is_not_a_list(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "entries:\n  id: x\n")
    assert problems(tmp_path) == [f"{tmp_path / 'a.yaml'}:2: `entries` must be a list (lines starting with '- '), "
                                  "not a map"]


def test_section_left_empty_is_allowed(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "entries:\n" + GOOD_ENTRY + "synonyms:\n  # - [低保, 低保金]\nregression:\n")
    assert load_knowledge(tmp_path).synonyms == ()


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes("entries:\n  - id: x\n    title: 大廳\n".encode("big5"))
    assert problems(tmp_path) == [f"{tmp_path / 'a.yaml'}:3: not UTF-8 text: save the file as UTF-8"]


# --- entries -------------------------------------------------------------------------------------------------

def test_unknown_entry_key_suggests_questions(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, GOOD_ENTRY + "    qestions: [x]\n")
    assert problems(kb) == [f"{kb / 'a.yaml'}:7: unknown key `qestions` in entry; did you mean `questions`?"]


def test_unknown_key_without_a_close_match_lists_the_known_keys(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, GOOD_ENTRY + "    zzz: 1\n")
    [problem] = problems(kb)
    assert problem.startswith(f"{kb / 'a.yaml'}:7: unknown key `zzz` in entry (known keys: id, category, title, ")


def test_unknown_nested_key(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, GOOD_ENTRY + "    contact:\n      phon: 123\n")
    assert problems(kb) == [f"{kb / 'a.yaml'}:8: unknown key `phon` in `contact`; did you mean `phone`?"]


def test_missing_required_keys_are_reported_at_the_entry(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, "  - id: lonely\n    category: services\n")
    assert problems(kb) == [
        f"{kb / 'a.yaml'}:2: entry is missing required key `answer`",
        f"{kb / 'a.yaml'}:2: entry is missing required key `questions`",
        f"{kb / 'a.yaml'}:2: entry is missing required key `title`",
    ]


def test_wrong_types(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, """\
      - id: typed
        category: services
        title: [a, b]
        questions: 只有一句
        answer: {zh-Hant: 好}
        location: {lat: 北緯32度, lon: 118.7}
        keywords: {a: b}
    """)
    assert problems(kb) == [
        f"{kb / 'a.yaml'}:4: `title` must be text (a string, or a map with keys zh-Hant, zh-Hans, en), not a list",
        f"{kb / 'a.yaml'}:5: `questions` must be a list, not '只有一句'",
        f"{kb / 'a.yaml'}:7: `location.lat` must be a number, not '北緯32度'",
        f"{kb / 'a.yaml'}:8: `keywords` must be a list, not a map",
    ]


def test_numbers_written_unquoted_in_text_fields_are_text(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, GOOD_ENTRY + "    keywords: [4050, yes, 0123]\n    contact: {phone: 12345}\n")
    good = load_knowledge(kb).get("good")
    assert good.keywords == ("4050", "yes", "0123")  # as written, not as YAML would convert them
    assert good.contact.phone.get("zh-Hant") == "12345"


def test_ids_must_be_lowercase_letters_digits_and_dashes(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, GOOD_ENTRY.replace("id: good", "id: Service_Hall"))
    assert problems(kb) == [f"{kb / 'a.yaml'}:2: `id` 'Service_Hall' may only contain a-z, 0-9 and '-'"]


def test_duplicate_id_across_two_files_names_both_places(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "entries:\n" + GOOD_ENTRY)
    write(tmp_path, "b.yaml", "# second file\nentries:\n" + GOOD_ENTRY.replace("title: 好", "title: 又一個"))
    assert problems(tmp_path) == [f"{tmp_path / 'b.yaml'}:3: duplicate id 'good' (first defined at a.yaml:2)"]


def test_duplicate_key_inside_an_entry(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, GOOD_ENTRY + "    answer: 另一個答案\n")
    assert problems(kb) == [f"{kb / 'a.yaml'}:7: key `answer` appears twice in entry (first on line 6)"]


def test_empty_answers_and_titles(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, """\
      - id: empty-plain
        category: services
        title: ""
        questions: [a]
        answer:
      - id: empty-by-language
        category: services
        title: {}
        questions: [b]
        answer:
          zh-Hant: 有
          en: "  "
    """)
    assert problems(kb) == [
        f"{kb / 'a.yaml'}:4: `title` is empty",
        f"{kb / 'a.yaml'}:6: `answer` is empty",
        f"{kb / 'a.yaml'}:9: `title` has no text in any language",
        f"{kb / 'a.yaml'}:13: `answer.en` is empty",
    ]


def test_no_questions_and_empty_questions(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, """\
      - id: silent
        category: services
        title: 無
        questions: []
        answer: 無
      - id: blank
        category: services
        title: 空
        questions:
          - 有字
          - ""
        answer: 空
    """)
    assert problems(kb) == [
        f"{kb / 'a.yaml'}:5: `questions` is empty; give at least 1 question",
        f"{kb / 'a.yaml'}:12: `questions[2]` is empty",
    ]


def test_the_same_question_twice_in_one_entry(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, """\
      - id: twice
        category: services
        title: 兩次
        questions:
          - 低保怎麼辦
          - 低保怎麼辦
        answer: 好
    """)
    assert problems(kb) == [f"{kb / 'a.yaml'}:7: `questions` lists '低保怎麼辦' twice (first on line 6)"]


def test_the_same_question_in_two_entries_is_allowed(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, GOOD_ENTRY + GOOD_ENTRY.replace("id: good", "id: other"))
    assert len(load_knowledge(kb).entries) == 2


def test_unknown_category_suggests_a_close_one(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, GOOD_ENTRY.replace("category: services", "category: servces")
                    + GOOD_ENTRY.replace("id: good", "id: other").replace("category: services", "category: sports"))
    assert problems(kb) == [
        f"{kb / 'a.yaml'}:3: unknown category 'servces'; did you mean `services`?",
        f"{kb / 'a.yaml'}:8: unknown category 'sports' (declare it under `categories`)",
    ]


def test_declared_categories_and_their_mistakes(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "entries:\n" + GOOD_ENTRY.replace("category: services", "category: sports"))
    write(tmp_path, "b.yaml", """\
        categories:
          - id: sports
            title: 體育
          - id: sports
            title: 運動
          - id: services
            title: 服務
    """)
    assert problems(tmp_path) == [
        f"{tmp_path / 'b.yaml'}:4: duplicate category id 'sports' (first defined at b.yaml:2)",
        f"{tmp_path / 'b.yaml'}:6: category 'services' is built in; declare only extra categories",
    ]


def test_related_ids_must_exist(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, GOOD_ENTRY + "    related:\n      - gooood\n      - good\n      - nothing-like-it\n")
    assert problems(kb) == [
        f"{kb / 'a.yaml'}:8: `related` names 'gooood', which is not an entry id; did you mean `good`?",
        f"{kb / 'a.yaml'}:9: an entry cannot be related to itself",
        f"{kb / 'a.yaml'}:10: `related` names 'nothing-like-it', which is not an entry id",
    ]


def test_latitude_and_longitude_ranges(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, GOOD_ENTRY + "    location:\n      lat: 118.73\n      lon: 200\n")
    assert problems(kb) == [
        f"{kb / 'a.yaml'}:8: `location.lat` must be between -90 and 90, not 118.73",
        f"{kb / 'a.yaml'}:9: `location.lon` must be between -180 and 180, not 200",
    ]


def test_location_needs_both_coordinates(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, GOOD_ENTRY + "    location: {lat: 32.0}\n")
    assert problems(kb) == [f"{kb / 'a.yaml'}:7: `location` is missing required key `lon`"]


@pytest.mark.parametrize(("written", "message"), [
    ("2026/10/15", "`updated` must be a date written YYYY-MM-DD, not '2026/10/15'"),
    ("2026-02-30", "`updated` '2026-02-30' is not a real date"),
    ("'15-10-2026'", "`updated` must be a date written YYYY-MM-DD, not '15-10-2026'"),
    ("2026-10-15 09:00:00", "`updated` must be a date written YYYY-MM-DD, not '2026-10-15 09:00:00'"),
])
def test_bad_dates(tmp_path: Path, written: str, message: str) -> None:
    kb = entry_file(tmp_path, GOOD_ENTRY + f"    updated: {written}\n")
    assert problems(kb) == [f"{kb / 'a.yaml'}:7: {message}"]


def test_unknown_language_key_in_a_text_map(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, GOOD_ENTRY.replace("title: 好", "title:\n      zh-hant: 好\n      fr: Bien"))
    assert problems(kb) == [
        f"{kb / 'a.yaml'}:5: unknown language `zh-hant` in `title`; did you mean `zh-Hant`? (use zh-Hant, zh-Hans, en)",
        f"{kb / 'a.yaml'}:6: unknown language `fr` in `title` (use zh-Hant, zh-Hans, en)",
    ]


# --- synonyms, regression ------------------------------------------------------------------------------------

def test_synonym_groups_need_two_words(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, GOOD_ENTRY, "synonyms:\n  - [低保]\n  - []\n  - 低保\n  - [a, b]\n")
    assert problems(kb) == [
        f"{kb / 'a.yaml'}:8: synonym group has 1 word; it needs at least 2 words",
        f"{kb / 'a.yaml'}:9: synonym group is empty; give at least 2 words",
        f"{kb / 'a.yaml'}:10: synonym group must be a list, not '低保'",
    ]


def test_regression_expectations_must_name_entries(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, GOOD_ENTRY, """\
        regression:
          - question: 好嗎
            expect: goood
          - question: 天氣
          - question: 不回答
            expect: ~
    """)
    assert problems(kb) == [
        f"{kb / 'a.yaml'}:9: `expect` names 'goood', which is not an entry id; did you mean `good`?",
        f"{kb / 'a.yaml'}:10: regression case is missing required key `expect`",
    ]


# --- many problems at once -----------------------------------------------------------------------------------

def test_every_problem_in_every_file_is_reported_at_once_in_order(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", "entries:\n" + GOOD_ENTRY.replace("answer: 好。", "answer: ''") + "    colour: red\n")
    write(tmp_path, "a.yaml", "entries:\n  - id: x\n   title: broken\n")
    write(tmp_path, "c.yaml", "synonyms: [[only-one]]\nregresion: []\n")
    found = problems(tmp_path)
    assert [p.split(": ", 1)[0] for p in found] == [
        f"{tmp_path / 'a.yaml'}:3", f"{tmp_path / 'b.yaml'}:6", f"{tmp_path / 'b.yaml'}:7",
        f"{tmp_path / 'c.yaml'}:1", f"{tmp_path / 'c.yaml'}:2",
    ]
    assert found[-1].endswith("unknown top-level key `regresion`; did you mean `regression`?")


def test_problems_are_typed_with_file_and_line(tmp_path: Path) -> None:
    kb = entry_file(tmp_path, GOOD_ENTRY.replace("id: good", "id: BAD"))
    with pytest.raises(KnowledgeBaseInvalid) as caught:
        load_knowledge(kb)
    assert caught.value.problems == [Problem(str(kb / "a.yaml"), 2, "`id` 'BAD' may only contain a-z, 0-9 and '-'")]


# --- sections registered by other features -------------------------------------------------------------------

SURVEY = Mapping(noun="consultation", fields=(
    Field("id", Str(), required=True, description="Survey id."),
    Field("questions", Str(), required=True, description="What residents are asked."),
))


def test_a_registered_section_parses_checks_and_lands_on_the_knowledge_base(tmp_path: Path) -> None:
    def parse(node: yaml.Node, report: Report) -> list:
        return [(record["id"], record.file, record.line) for record in check_list(node, "consultations", SURVEY, report)
                if "id" in record]

    def check(items: list, cross: sections.CrossCheck) -> None:
        for survey_id, file, line in items:
            if survey_id in cross.entry_ids:
                cross.error(file, line, f"consultation id '{survey_id}' is also an entry id")

    register_section("consultations", parse, {"type": "array", "description": "Surveys."}, check)
    kb = entry_file(tmp_path, GOOD_ENTRY, "consultations:\n  - id: park\n    questions: 好\n")
    assert load_knowledge(kb).consultations == (("park", str(kb / "a.yaml"), 8),)

    bad = entry_file(tmp_path / "bad", GOOD_ENTRY, "consultations:\n  - id: good\n    qestions: 好\n")
    assert problems(bad) == [
        f"{bad / 'a.yaml'}:8: consultation id 'good' is also an entry id",
        f"{bad / 'a.yaml'}:8: consultation is missing required key `questions`",
        f"{bad / 'a.yaml'}:9: unknown key `qestions` in consultation; did you mean `questions`?",
    ]
    assert knowledge_json_schema()["properties"]["consultations"]["description"] == "Surveys."


def test_built_in_sections_cannot_be_replaced() -> None:
    with pytest.raises(ValueError, match="cannot register section 'entries'"):
        register_section("entries", lambda node, report: [], {})


# --- size (load time is measured in benchmarks/bench_matching.py) ---------------------------------------------

def test_a_hundred_entries_linked_in_a_ring_load(tmp_path: Path) -> None:
    one = SERVICES.split("entries:\n", 1)[1].split("\n  - id: elderly-canteen")[0]
    entries = "".join(one.replace("service-hall", f"entry-{i}").replace("related: [elderly-canteen]",
                                                                         f"related: [entry-{(i + 1) % 100}]")
                      for i in range(100))
    write(tmp_path, "many.yaml", "entries:\n" + entries)
    kb = load_knowledge(tmp_path)
    assert len(kb.entries) == 100
    assert {e.related for e in kb.entries} == {(f"entry-{i}",) for i in range(100)}


# --- the JSON Schema -----------------------------------------------------------------------------------------

def _as_json(path: Path) -> object:
    # What an editor sees: YAML 1.2 editors read an unquoted 2026-10-15 as the string "2026-10-15".
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


SUPPORTED = {"$schema", "title", "description", "type", "properties", "required", "additionalProperties",
             "items", "minItems", "uniqueItems", "minLength", "minProperties", "pattern", "enum", "anyOf",
             "minimum", "maximum", "format"}


def _errors(value: object, schema: dict, where: str = "$") -> list[str]:
    """A small validator for the keywords the knowledge schema uses (jsonschema is not a dependency)."""
    assert set(schema) <= SUPPORTED, set(schema) - SUPPORTED
    if "anyOf" in schema and all(_errors(value, option, where) for option in schema["anyOf"]):
        return [f"{where}: matches no option"]
    kinds = {"object": dict, "array": list, "string": str, "number": (int, float), "integer": int,
             "boolean": bool, "null": type(None)}
    allowed = schema.get("type", list(kinds))
    allowed = [allowed] if isinstance(allowed, str) else allowed
    if not any(isinstance(value, kinds[t]) and (t == "boolean" or not isinstance(value, bool)) for t in allowed):
        return [f"{where}: not {schema.get('type')}"]
    found = []
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: not in enum")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or ("pattern" in schema and not re.search(schema["pattern"], value)):
            found.append(f"{where}: bad string")
    if isinstance(value, (int, float)) and not schema.get("minimum", value) <= value <= schema.get("maximum", value):
        found.append(f"{where}: out of range")
    if isinstance(value, list):
        duplicates = schema.get("uniqueItems") and len(set(map(str, value))) < len(value)
        if len(value) < schema.get("minItems", 0) or duplicates:
            found.append(f"{where}: bad list")
        for i, item in enumerate(value):
            found += _errors(item, schema.get("items", {}), f"{where}[{i}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        found += [f"{where}: missing {key}" for key in schema.get("required", []) if key not in value]
        found += [f"{where}: unknown {key}" for key in value if key not in properties and
                  schema.get("additionalProperties") is False]
        if len(value) < schema.get("minProperties", 0):
            found.append(f"{where}: too few keys")
        for key, item in value.items():
            found += _errors(item, properties.get(key, {}), f"{where}.{key}")
    return found


def test_schema_is_draft_2020_12_and_closed_at_every_level() -> None:
    schema = knowledge_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    objects = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object":
                objects.append(node)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(schema)
    assert len(objects) > 5 and all(o["additionalProperties"] is False for o in objects)
    entry = schema["properties"]["entries"]["items"]
    assert entry["required"] == ["id", "category", "title", "questions", "answer"]
    assert entry["properties"]["updated"]["format"] == "date"
    assert entry["properties"]["category"]["anyOf"][0]["enum"] == ["services", "facilities", "schools", "policies"]
    assert all(p["description"] for p in entry["properties"].values())


def test_schema_accepts_valid_files_and_rejects_mistakes(valid_dir: Path, tmp_path: Path) -> None:
    schema = knowledge_json_schema()
    for path in sorted(valid_dir.glob("*.yaml")):
        assert _errors(_as_json(path), schema) == [], path
    broken = {"entries": [{"id": "Bad_Id", "category": "services", "title": "t", "questions": [],
                           "answer": {"fr": "x"}, "qestions": ["x"], "location": {"lat": 91, "lon": 0}}]}
    assert sorted(_errors(broken, schema)) == sorted([
        "$.entries[0]: unknown qestions", "$.entries[0].answer: matches no option", "$.entries[0].id: bad string",
        "$.entries[0].location.lat: out of range", "$.entries[0].questions: bad list"])


SAMPLE_FILES = sorted((Path(__file__).resolve().parent.parent / "knowledge").glob("*.yaml"))


@pytest.mark.skipif(not SAMPLE_FILES, reason="no bundled knowledge/*.yaml")
def test_schema_accepts_the_bundled_sample() -> None:
    schema = knowledge_json_schema()
    for path in SAMPLE_FILES:
        assert _errors(_as_json(path), schema) == [], path


def test_schema_validates_with_jsonschema_when_installed(valid_dir: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = knowledge_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for path in sorted(valid_dir.glob("*.yaml")) + SAMPLE_FILES:
        assert list(validator.iter_errors(_as_json(path))) == [], path
