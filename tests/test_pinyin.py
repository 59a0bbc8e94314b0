"""Homophone typo repair (bot/core/matching/pinyin.py)."""
from __future__ import annotations

from bot.core.matching.pinyin import homophones, repair

PAIRS = {"结婚": 3, "婚登": 2, "登记": 5, "低保": 9, "保金": 2, "家政": 3, "政服": 1, "服务": 8, "记处": 1}


def weight(pair: str) -> float:
    return PAIRS.get(pair, 0)


def test_homophones_use_each_characters_common_reading():
    assert "婚" in homophones("昏") and "保" in homophones("宝")
    assert "借" not in homophones("家")  # jie is a rare reading of 家
    assert "昏" not in homophones("昏")
    assert homophones("a") == "" and homophones("體") == ""  # not in the table (folded text is Simplified)


def test_a_character_that_fits_no_neighbour_is_replaced_by_one_that_fits_both():
    assert repair("结昏登记", weight) == ("结婚登记", 1)
    assert repair("低宝金", weight) == ("低保金", 1)
    assert repair("家正服务", weight) == ("家政服务", 1)


def test_a_character_that_fits_a_neighbour_is_left_alone():
    assert repair("结婚登记", weight) == ("结婚登记", 0)
    assert repair("登记处", weight) == ("登记处", 0)


def test_one_sided_repairs_need_a_common_pair():
    # 昏 at the end has one neighbour: 结婚 (weight 3) is common enough at an edge (edge_weight 2) …
    assert repair("结昏", weight) == ("结婚", 1)
    assert repair("结昏", weight, edge_weight=4) == ("结昏", 0)
    # … and between two neighbours, one fitting pair is not enough unless it is common (one_sided)
    assert repair("结昏好", weight) == ("结昏好", 0)
    assert repair("结昏好", weight, one_sided=3) == ("结婚好", 1)


def test_skipped_positions_and_other_scripts_are_left_alone():
    assert repair("结昏", weight, skip=frozenset({1})) == ("结昏", 0)
    assert repair("wifi 密码", weight) == ("wifi 密码", 0)
    assert repair("", weight) == ("", 0)
