"""Policy feedback: consultations defined in YAML, one question at a time, reference numbers, staff replies and
ratings, cases from unanswered questions, 👍/👎 on answers. See ``docs/feedback.md``.

Importing the package registers the ``consultations`` section with the knowledge loader.
"""
from bot.core.feedback import consultations as _consultations  # noqa: F401  (registers the YAML section)
