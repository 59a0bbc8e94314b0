"""The ``consultations`` section of the knowledge directory: field specs, checks beyond the specs, and the model.

Importing this module registers the section with the knowledge loader, so consultations are validated with the
rest of the knowledge base (every problem as ``FILE:LINE: message``) and appear in ``KnowledgeBase.consultations``
and in the JSON Schema. The format is described in ``docs/feedback.md``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml

from bot.core.feedback.model import QUESTION_TYPES, SCALE, Condition, Consultation, Option, Question
from bot.core.knowledge.compound_specs import Field, ListOf, Mapping, Record, check_list
from bot.core.knowledge.model import Text
from bot.core.knowledge.sections import CrossCheck, register_section
from bot.core.knowledge.spec import ID_HINT, ID_PATTERN, Enum, KeyPath, LocalizedText, Number, Spec, Str
from bot.core.knowledge.yaml_nodes import Report, did_you_mean, to_python

#: Ids travel inside button actions (``fa:QUESTION:OPTION``, ≤ 64 bytes), so they are kept short.
MAX_ID = 24
#: Typed answers longer than this are refused even if a consultation allows more: one Telegram message holds 4096.
MAX_TEXT_LIMIT = 2000
DEFAULT_TEXT_LIMIT = 500

_ID = Str(pattern=ID_PATTERN, pattern_hint=ID_HINT)
_LOCALIZED = " Plain text, or a map with keys zh-Hant, zh-Hans and en."


@dataclass(frozen=True)
class Bool(Spec):
    """``true`` or ``false``."""

    noun: str = "value"
    label: ClassVar[str] = "true or false"

    def check(self, node: yaml.Node, path: KeyPath, report: Report) -> Any:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:bool":
            return self.wrong_type(node, path, report)
        return to_python(node)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


OPTION = Mapping(noun="option", description="One answer residents can choose.", fields=(
    Field("id", _ID, required=True, description=f"Unique within the question; a-z, 0-9 and '-', at most {MAX_ID} "
                                                "characters. Exports and `ask_if` use it."),
    Field("label", LocalizedText(), required=True, description="What the button shows." + _LOCALIZED),
))

SCALE_LABELS = Mapping(noun="`labels`", description="Words for the values of a 1-5 scale; 1 and 5 are required.",
                       fields=tuple(Field(str(n), LocalizedText(), required=n in (1, 5),
                                          description=f"Label of value {n}." + _LOCALIZED) for n in SCALE))

CONDITION = Mapping(noun="`ask_if`", description="Ask this question only if an earlier one got one of these "
                                                 "answers.", fields=(
    Field("question", _ID, required=True, description="Id of an earlier scale, single or multiple question."),
    Field("any_of", ListOf(Str(), min_items=1, unique=True, item_noun="answer"), required=True,
          description="Option ids (or scale values 1-5); a multiple-choice answer matches when it contains one."),
))

QUESTION = Mapping(noun="question", description="One question, asked one at a time.", fields=(
    Field("id", _ID, required=True, description=f"Unique within the consultation; at most {MAX_ID} characters."),
    Field("type", Enum(values=QUESTION_TYPES, noun="`type`"), required=True,
          description="scale (1-5 with labels), single or multiple choice, or typed text."),
    Field("prompt", LocalizedText(), required=True, description="The question." + _LOCALIZED),
    Field("required", Bool(), description="false lets residents skip it (default true)."),
    Field("options", ListOf(OPTION, min_items=2, item_noun="option"), description="single and multiple: the choices."),
    Field("labels", SCALE_LABELS, description="scale: words for the values (1 and 5 at least)."),
    Field("max_length", Number(minimum=1, maximum=MAX_TEXT_LIMIT, integer=True),
          description=f"text: the longest answer accepted, in characters (default {DEFAULT_TEXT_LIMIT})."),
    Field("ask_if", CONDITION, description="Ask only if an earlier question got one of the given answers."),
))

CONSULTATION = Mapping(noun="consultation", description="A policy-feedback survey.", fields=(
    Field("id", _ID, required=True, description="Unique across the directory; at most 40 characters."),
    Field("title", LocalizedText(), required=True, description="Shown in the list of consultations." + _LOCALIZED),
    Field("short", LocalizedText(), description="Button label where the title is too long for one (over 22 "
          "Chinese characters or 44 letters with the button's prefix)." + _LOCALIZED),
    Field("description", LocalizedText(), description="Shown before the first question." + _LOCALIZED),
    Field("open", Bool(), description="false hides it from residents (default true)."),
    Field("anonymous", Bool(), description="true never links answers to the resident; no contact details are "
                                           "asked and /mystatus cannot list it (default false)."),
    Field("questions", ListOf(QUESTION, min_items=1, item_noun="question"), required=True,
          description="The questions, in the order they are asked."),
))

MAX_CONSULTATION_ID = 40


def parse_section(node: yaml.Node, report: Report) -> list[Consultation]:
    """One file's ``consultations:`` list → consultations; every problem goes to ``report``."""
    built = []
    for record in check_list(node, "consultations", CONSULTATION, report):
        consultation = _consultation(record, report)
        if consultation is not None:
            built.append(consultation)
    return built


def check_across_files(consultations: list[Consultation], cross: CrossCheck) -> None:
    """Consultation ids are unique across the whole directory, and every entry's ``consultation`` names one."""
    seen: dict[str, Consultation] = {}
    for consultation in consultations:
        first = seen.setdefault(consultation.id, consultation)
        if first is not consultation:
            cross.error(consultation.file, consultation.line, f"duplicate consultation id '{consultation.id}' "
                        f"(first defined at {Path(first.file).name}:{first.line})")
    ids = sorted(seen)
    for file, line, consultation_id in cross.consultation_refs if cross.complete else ():
        if consultation_id not in seen:
            cross.error(file, line, f"`consultation` names '{consultation_id}', which is not a consultation id"
                                    f"{did_you_mean(consultation_id, ids) or _known(ids)}")


def _known(ids: list[str]) -> str:
    return f" (the consultations are: {', '.join(ids)})" if ids else " (there are no consultations)"


def _consultation(record: Record, report: Report) -> Consultation | None:
    problems_before = len(report.problems)
    cid = record.get("id")
    if cid is not None and len(cid) > MAX_CONSULTATION_ID:
        report.error(record.line_of("id"), f"consultation id '{cid}' is longer than {MAX_CONSULTATION_ID} characters")
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for q_record in record.get("questions", ()):
        question = _question(q_record, questions, seen, report)
        if question is not None:
            questions.append(question)
    if len(report.problems) > problems_before or "id" not in record or "title" not in record:
        return None
    description = record.get("description")
    return Consultation(
        id=record["id"], title=Text.of(record["title"]), description=Text.of(description) if description else None,
        questions=tuple(questions), open=record.get("open", True), anonymous=record.get("anonymous", False),
        file=record.file, line=record.line, short=Text.of(record["short"]) if record.get("short") else None,
    )


def _question(r: Record, earlier: list[Question], seen: dict[str, int], report: Report) -> Question | None:
    """Checks the specs cannot express: what each type needs, unique ids, and ``ask_if`` references."""
    before = len(report.problems)
    qid, qtype = r.get("id"), r.get("type")
    where = f"question '{qid}'" if qid else "question"
    if qid is not None:
        if len(qid) > MAX_ID:
            report.error(r.line_of("id"), f"{where}: id is longer than {MAX_ID} characters (buttons carry it)")
        if qid in seen:
            report.error(r.line_of("id"), f"question id '{qid}' appears twice in this consultation "
                                          f"(first on line {seen[qid]})")
        else:
            seen[qid] = r.line_of("id")
    if qtype is None:
        return None
    options = r.get("options")
    if qtype in ("single", "multiple"):
        if "options" not in r:
            report.error(r.line, f"{where} of type {qtype} needs `options`")
        _check_options(r, where, report)
    elif "options" in r:
        report.error(r.line_of("options"), f"{where}: `options` are only for single and multiple questions")
    if qtype == "scale" and "labels" not in r:
        report.error(r.line, f"{where} of type scale needs `labels` (at least for 1 and 5)")
    elif qtype != "scale" and "labels" in r:
        report.error(r.line_of("labels"), f"{where}: `labels` are only for scale questions")
    if qtype != "text" and "max_length" in r:
        report.error(r.line_of("max_length"), f"{where}: `max_length` is only for text questions")
    condition = _condition(r, where, earlier, report) if "ask_if" in r else None
    if len(report.problems) > before or qid is None or "prompt" not in r:
        return None
    labels = r.get("labels") or {}
    return Question(
        id=qid, type=qtype, prompt=Text.of(r["prompt"]), required=r.get("required", True),
        options=tuple(Option(o["id"], Text.of(o["label"])) for o in options or ()),
        labels=tuple((int(k), Text.of(v)) for k, v in sorted(labels.items(), key=lambda kv: int(kv[0]))),
        max_length=int(r.get("max_length", DEFAULT_TEXT_LIMIT)) if qtype == "text" else 0,
        ask_if=condition,
    )


def _check_options(r: Record, where: str, report: Report) -> None:
    options = r.get("options") or ()
    seen: dict[str, int] = {}
    for option in options:
        oid = option.get("id")
        if oid is None:
            continue
        if len(oid) > MAX_ID:
            report.error(option.line_of("id"), f"{where}: option id '{oid}' is longer than {MAX_ID} characters")
        if oid in seen:
            report.error(option.line_of("id"), f"{where}: option id '{oid}' appears twice (first on line "
                                               f"{seen[oid]})")
        else:
            seen[oid] = option.line_of("id")


def _condition(r: Record, where: str, earlier: list[Question], report: Report) -> Condition | None:
    cond = r.get("ask_if")
    if not isinstance(cond, Record) or "question" not in cond or "any_of" not in cond:
        return None
    target_id = cond["question"]
    target = next((q for q in earlier if q.id == target_id), None)
    if target is None:
        names = [q.id for q in earlier]
        why = ("it is this question" if target_id == r.get("id") else
               "only earlier questions can be referred to" if not names else
               f"it is not an earlier question{did_you_mean(target_id, names)}")
        report.error(cond.line_of("question"), f"{where}: `ask_if.question` names '{target_id}'; {why}")
        return None
    if target.type == "text":
        report.error(cond.line_of("question"), f"{where}: `ask_if` cannot depend on text question '{target_id}'; "
                                               "use a scale, single or multiple question")
        return None
    valid = [str(n) for n in SCALE] if target.type == "scale" else [o.id for o in target.options]
    values = cond["any_of"]
    for value, line in zip(values, getattr(values, "lines", [cond.line_of("any_of")] * len(values)), strict=True):
        if value not in valid:
            report.error(line, f"{where}: `ask_if.any_of` has '{value}', which is not an answer of question "
                               f"'{target_id}'{did_you_mean(value, valid)} (use {', '.join(valid)})")
    return Condition(question=target_id, any_of=tuple(values))


SCHEMA: dict[str, Any] = {"description": "Policy-feedback surveys (see docs/feedback.md).",
                          **ListOf(CONSULTATION).json_schema()}

register_section("consultations", parse_section, SCHEMA, check_across_files)
