"""Greetings and thanks: a resident who says 你好, hi, 謝謝 or 👍 gets a friendly word back, not "not found".

Recognised only when the whole message is made of such words (after the matcher's fold: script, width, case and
punctuation), so "你好，低保怎麼申請" is still a question. Not recorded as unanswered, never sent to staff.
"""
from __future__ import annotations

import re
from typing import Literal

from bot.core.matching.normalize import Normalizer

SmallTalk = Literal["greeting", "thanks"]

#: Simplified, lower-case, stemmed forms (questions are folded the same way before the lookup: thanks → thank,
#: very → veri).
GREETINGS = ("你好", "您好", "你们好", "大家好", "哈喽", "哈啰", "嗨", "在吗", "在不在", "有人吗", "早上好", "早安",
             "早", "上午好", "中午好", "午安", "下午好", "晚上好", "晚安", "hi", "hello", "hey", "hiya", "yo",
             "good morning", "good afternoon", "good evening", "there", "啊", "呀", "哦", "喔")
THANKS = ("谢谢", "谢谢你", "谢谢您", "谢了", "谢啦", "多谢", "多谢你", "感谢", "感谢你", "非常感谢", "辛苦了",
          "好的", "好", "收到", "明白了", "明白", "知道了", "懂了",
          "ok", "okay", "thanks", "thank", "thank you", "thank u",
          "veri much", "so much", "a lot", "thx", "ty", "cheers", "great", "👍", "🙏", "👌", "❤️", "😊")
_WORDS = sorted({*GREETINGS, *THANKS}, key=len, reverse=True)
_ALL = re.compile("(?:" + "|".join(re.escape(w) for w in _WORDS) + r"|[\s!！?？,，.。~～、…:：;；]+)+")
_GREETING_ONLY = frozenset(GREETINGS)


def small_talk(text: str) -> SmallTalk | None:
    """``greeting`` or ``thanks`` when the whole message is made of such words, else None."""
    folded = Normalizer.base(text[:80]).strip() if text else ""
    if not folded:
        raw = text.strip()
        folded = raw if raw and all(not ch.isalnum() for ch in raw) else ""
    if not folded or not _ALL.fullmatch(folded):
        return None
    words = re.findall("|".join(re.escape(w) for w in _WORDS), folded)
    if not words:
        return None
    return "thanks" if any(w not in _GREETING_ONLY for w in words) else "greeting"
