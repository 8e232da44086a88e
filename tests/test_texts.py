"""The (zh, en) text tables the dashboard, the briefing and its files share."""
import pytest

from data_access.present.texts import Texts


def test_chinese_first_english_on_request_formatted():
    texts = Texts({"rows": ("共 {n} 处", "{n} points")})
    assert texts("rows", n=3) == "共 3 处"
    assert texts("rows", "en", n=3) == "3 points"
    assert texts("rows", "fr", n=3) == "共 3 处"  # anything else reads as Chinese


def test_a_key_cannot_be_taken_twice_with_other_text():
    texts = Texts({"a": ("甲", "A")})
    texts.register({"a": ("甲", "A")})  # the same text again is harmless (a page re-imported)
    with pytest.raises(KeyError, match="a"):
        texts.register({"a": ("乙", "B")})
    assert texts("a") == "甲" and "a" in texts and "b" not in texts
