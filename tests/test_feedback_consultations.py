"""The ``consultations`` section of the knowledge directory: the bundled sample, and every mistake staff can make,
reported as ``FILE:LINE: message`` together with the rest of the knowledge base."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from feedback_helpers import CONSULTATIONS_YAML, ENTRIES_YAML, memory_world, write_knowledge

import bot.core.feedback  # noqa: F401  (registers the section)
from bot.core.errors import KnowledgeBaseInvalid
from bot.core.feedback.model import QUESTION_TYPES
from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.schema import knowledge_json_schema
from bot.core.knowledge.service import KnowledgeService

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sample():
    return load_knowledge(ROOT / "knowledge")


def all_text(consultation) -> str:
    parts = [*consultation.title.variants(), *(consultation.description.variants() if consultation.description else ())]
    for q in consultation.questions:
        parts += q.prompt.variants()
        for o in q.options:
            parts += o.label.variants()
    return " ".join(parts)


def test_the_sample_covers_the_seed_topics(sample):
    by_id = {c.id: c for c in sample.consultations}
    text = {cid: all_text(c) for cid, c in by_id.items()}
    assert any("兩后生" in t and "高校畢業生" in t for t in text.values()), "employment of new entrants"
    assert any(all(w in t for w in ("廉租房", "經濟適用房", "棚戶區", "塌陷區")) for t in text.values()), "housing"
    assert any("低保" in t for t in text.values()), "minimum living allowance"
    assert any("社區服務" in t for t in text.values()), "community services"
    assert any(len(c.questions) == 1 and c.questions[0].type == "text" for c in by_id.values()), "free suggestion"


def test_the_sample_uses_every_feature(sample):
    questions = [q for c in sample.consultations for q in c.questions]
    assert {q.type for q in questions} == set(QUESTION_TYPES)
    assert any(q.ask_if for q in questions)
    assert any(not q.required for q in questions)
    assert any(c.anonymous for c in sample.consultations)
    for c in sample.consultations:
        assert {"zh-Hant", "zh-Hans", "en"} <= set(c.title.by_lang), c.id
        for q in c.questions:
            assert q.prompt.by_lang.get("en"), (c.id, q.id)


@pytest.mark.parametrize("lang", ["zh-Hant", "zh-Hans", "en"])
async def test_every_sample_consultation_can_be_completed(lang):
    """Press the first answer of every question (or type), and submit: each sample survey ends in a reference."""
    world = memory_world(KnowledgeService(ROOT / "knowledge"))
    r = world.resident(language_code={"zh-Hant": "zh-hant", "zh-Hans": "zh-hans", "en": "en"}[lang])
    await r.say("/feedback")
    titles = r.buttons()
    for title in titles:
        await r.say("/feedback")
        await r.press(title)
        for _ in range(20):
            actions = r.actions()
            if "fok" in actions:
                break
            answer = next((a for a in actions if a.startswith(("fa:", "ft:"))), None)
            if answer is None:
                await r.say({"en": "More evening opening", "zh-Hans": "希望晚上也开放"}.get(lang, "希望晚上也開放"))
                continue
            await r.send(action=answer)
            if answer.startswith("ft:"):
                await r.send(action=next(a for a in r.actions() if a.startswith("fd:")))
        await r.send(action="fok")
        if "fct:n" in r.actions():
            await r.send(action="fct:n")
        assert r.reference(), title
    assert len(await world.store.submissions()) == len(titles) == 5


def problems_for(tmp_path: Path, consultations: str, extra_files: dict[str, str] | None = None) -> list[str]:
    directory = write_knowledge(tmp_path / "kb", textwrap.dedent(consultations))
    for name, text in (extra_files or {}).items():
        (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(KnowledgeBaseInvalid) as invalid:
        load_knowledge(directory)
    return [f"{Path(p.file).name}:{p.line}: {p.message}" for p in invalid.value.problems]


BASE = """\
consultations:
  - id: c1
    title: 問卷
    questions:
      - id: q1
        type: single
        prompt: 選一個
        options:
          - {id: a, label: 甲}
          - {id: b, label: 乙}
"""


@pytest.mark.parametrize("addition, expected", [
    ("      - {id: q2, type: scale, prompt: 打分}\n", "consultations.yaml:11: question 'q2' of type scale needs "
                                                        "`labels`"),
    ("      - {id: q2, type: single, prompt: 選}\n", "consultations.yaml:11: question 'q2' of type single needs "
                                                      "`options`"),
    ("      - {id: q2, type: text, prompt: 寫, options: [{id: a, label: 甲}, {id: b, label: 乙}]}\n",
     "`options` are only for single and multiple questions"),
    ("      - {id: q2, type: text, prompt: 寫, labels: {1: 低, 5: 高}}\n", "`labels` are only for scale questions"),
    ("      - {id: q2, type: single, prompt: 選, max_length: 10, options: [{id: a, label: 甲}, {id: b, label: 乙}]}\n",
     "`max_length` is only for text questions"),
    ("      - {id: q2, type: text, prompt: 寫, max_length: 5000}\n",
     "`questions[2].max_length` must be between 1 and 2000"),
    ("      - {id: q2, type: scale, prompt: 打分, labels: {1: 低, 6: 高}}\n", "unknown key `6`"),
    ("      - {id: q2, type: scale, prompt: 打分, labels: {1: 低}}\n", "missing required key `5`"),
    ("      - {id: q1, type: text, prompt: 寫}\n", "question id 'q1' appears twice in this consultation (first on "
                                                    "line 5)"),
    ("      - {id: q2, type: essay, prompt: 寫}\n", "must be one of scale, single, multiple, text"),
    ("      - {id: q2, type: text, prompt: 寫, required: maybe}\n", "must be true or false"),
    ("      - {id: q2, type: text, prompt: 寫, ask_if: {question: q3, any_of: [a]}}\n",
     "`ask_if.question` names 'q3'; it is not an earlier question"),
    ("      - {id: q2, type: text, prompt: 寫, ask_if: {question: q2, any_of: [a]}}\n", "it is this question"),
    ("      - {id: q2, type: text, prompt: 寫, ask_if: {question: q1, any_of: [a, c]}}\n",
     "`ask_if.any_of` has 'c', which is not an answer of question 'q1'"),
    ("      - {id: q2, type: text, prompt: 寫}\n      - {id: q3, type: text, prompt: 再寫, ask_if: {question: q2, "
     "any_of: [x]}}\n", "`ask_if` cannot depend on text question 'q2'"),
    ("      - {id: q2, type: scale, prompt: 打分, labels: {1: 低, 5: 高}}\n      - {id: q3, type: text, prompt: 寫, "
     "ask_if: {question: q2, any_of: [1, 7]}}\n", "has '7', which is not an answer of question 'q2'"),
    ("      - {id: q2, type: single, prompt: 選, options: [{id: a, label: 甲}, {id: a, label: 乙}]}\n",
     "option id 'a' appears twice"),
    ("      - {id: q2, type: single, prompt: 選, options: [{id: a, label: 甲}]}\n", "it needs at least 2 options"),
    ("      - {id: this-id-is-far-too-long-for-a-button, type: text, prompt: 寫}\n", "longer than 24 characters"),
    ("      - {id: q2, type: text, promt: 寫}\n", "unknown key `promt` in `questions[2]`; did you mean `prompt`?"),
])
def test_mistakes_are_reported_with_file_and_line(tmp_path, addition, expected):
    problems = problems_for(tmp_path, BASE + addition)
    assert any(expected in p for p in problems), problems


def test_consultation_level_mistakes(tmp_path):
    problems = problems_for(tmp_path, """\
        consultations:
          - id: Bad_Id
            title: 問卷
            anonymous: yes please
            questions: []
          - id: c2
            questions:
              - {id: q, type: text, prompt: 寫}
        """)
    text = "\n".join(problems)
    assert "consultations.yaml:2:" in text and "may only contain a-z" in text
    assert "consultations.yaml:4:" in text and "must be true or false" in text
    assert "consultations.yaml:5:" in text and "is empty" in text
    assert "consultations.yaml:6: consultation is missing required key `title`" in text


def test_consultation_ids_are_unique_across_files(tmp_path):
    problems = problems_for(tmp_path, BASE, {"more.yaml": """\
        consultations:
          - id: c1
            title: 另一份
            questions:
              - {id: q, type: text, prompt: 寫}
        """})
    assert any(p.startswith("more.yaml:2: duplicate consultation id 'c1' (first defined at consultations.yaml:2)")
               for p in problems), problems


def test_consultation_problems_are_listed_with_the_rest_of_the_knowledge_base(tmp_path):
    problems = problems_for(tmp_path, BASE + "      - {id: q2, type: scale, prompt: 打分}\n",
                            {"entries.yaml": ENTRIES_YAML.replace("category: policies", "category: polices")})
    assert any("entries.yaml" in p and "unknown category" in p for p in problems)
    assert any("consultations.yaml" in p and "needs `labels`" in p for p in problems)


def test_the_sample_policy_answers_offer_their_consultation(sample):
    named = {e.id: e.consultation for e in sample.entries if e.consultation}
    assert named["policy-minimum-living-allowance-apply"] == "minimum-living-allowance"
    assert named["policy-low-rent-housing"] == "affordable-housing"
    assert named["policy-graduate-registration"] == "employment-new-entrants"
    open_ids = {c.id for c in sample.consultations if c.open}
    assert set(named.values()) <= open_ids


def test_an_entry_can_name_a_consultation_and_a_wrong_name_is_reported_at_its_line(tmp_path):
    def named(consultation: str) -> str:
        return ENTRIES_YAML.replace("開放。\n", f"開放。\n    consultation: {consultation}\n")

    problems = problems_for(tmp_path / "wrong", CONSULTATIONS_YAML, {"entries.yaml": named("jbos")})
    assert "entries.yaml:12: `consultation` names 'jbos', which is not a consultation id; did you mean `jobs`?" \
        in problems, problems
    kb = load_knowledge(write_knowledge(tmp_path / "right"))
    (Path(kb.directory) / "entries.yaml").write_text(named("closed-one"), encoding="utf-8")
    library = load_knowledge(kb.directory).get("facility-yanhe-library")
    assert library.consultation == "closed-one"  # a closed one may be named: its button shows once it reopens


def test_a_valid_section_builds_the_model(tmp_path):
    kb = load_knowledge(write_knowledge(tmp_path / "kb"))
    jobs = next(c for c in kb.consultations if c.id == "jobs")
    assert [q.type for q in jobs.questions] == ["single", "multiple", "scale", "text"]
    assert jobs.question("help").ask_if.any_of == ("grad", "leaver")
    assert jobs.question("note").max_length == 50 and not jobs.question("note").required
    assert [n for n, _ in jobs.question("rating").labels] == [1, 3, 5]
    assert next(c for c in kb.consultations if c.id == "dibao").anonymous
    assert not next(c for c in kb.consultations if c.id == "closed-one").open


def test_the_json_schema_describes_consultations():
    schema = knowledge_json_schema()["properties"]["consultations"]
    question = schema["items"]["properties"]["questions"]["items"]
    assert question["properties"]["type"]["enum"] == list(QUESTION_TYPES)
    assert {"question", "any_of"} <= set(question["properties"]["ask_if"]["properties"])
    assert schema["items"]["properties"]["anonymous"]["type"] == "boolean"
    assert question["additionalProperties"] is False


def test_sample_labels_fit_on_a_button_with_their_marks(sample):
    """Titles carry "✅ " once answered, multiple-choice options "☑️ "/"⬜ "; nothing may be cut with "…"."""
    from bot.core.dialog.render import BUTTON_LABEL_COLUMNS, button_title, columns
    from bot.core.i18n import texts_for

    too_long = []
    for c in sample.consultations:
        for lang in ("zh-Hant", "zh-Hans", "en"):
            survey = texts_for(lang)("fb.entry_consultation", title=button_title(c, lang))  # under an answer
            for text in ("✅ " + button_title(c, lang), survey):
                if columns(text) > BUTTON_LABEL_COLUMNS:
                    too_long.append((c.id, lang, text))
            for q in c.questions:
                mark = "☑️ " if q.type == "multiple" else ""
                too_long += [(c.id, q.id, o.label.get(lang)) for o in q.options
                             if columns(mark + o.label.get(lang)) > BUTTON_LABEL_COLUMNS]
    assert too_long == []
