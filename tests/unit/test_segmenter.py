"""Chinese segmentation: jieba is loaded once, silently, and writes its cache only to a private temp directory."""

from __future__ import annotations

import stat
import tempfile
from pathlib import Path

import pytest

from symptomcheck.interview import segmenter


def test_the_first_use_writes_only_to_a_private_directory_under_the_temp_dir_and_logs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(segmenter, "_tokenizers", {})
    words = segmenter.segment("不发烧也不咳嗽", frozenset({"发烧", "咳嗽"}))
    assert [w for w, _, _ in words] == ["不", "发烧", "也", "不", "咳嗽"]
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all(p.parent == segmenter.cache_directory() for p in written)
    assert stat.S_IMODE(segmenter.cache_directory().stat().st_mode) == 0o700
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_words_keep_their_character_offsets_and_the_tokenizer_is_built_once() -> None:
    words = segmenter.segment("我头很疼，有点发烧", frozenset({"头疼", "发烧"}))
    text = "我头很疼，有点发烧"
    assert all(text[start:end] == word for word, start, end in words)
    before = dict(segmenter._tokenizers)
    segmenter.segment("咳嗽", frozenset({"头疼", "发烧"}))
    assert segmenter._tokenizers == before
