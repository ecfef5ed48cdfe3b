"""Chinese word segmentation (jieba), loaded lazily once per process.

jieba builds its prefix dictionary on first use (about a second) and caches it as a file. The cache goes to a
directory of this user's own under the system's temporary directory (readable and writable by a non-root user,
and not shared with other users, whose cache files we would otherwise load), and its start-up messages are
silenced: they are debug output on stderr that a terminal consultation or a server log should not show.
"""

from __future__ import annotations

import getpass
import logging
import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol


class _Tokenizer(Protocol):
    def tokenize(self, text: str) -> Iterable[tuple[str, int, int]]: ...

    def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> None: ...


_lock = threading.Lock()
_tokenizers: dict[frozenset[str], _Tokenizer] = {}


def cache_directory() -> Path:
    """Where jieba keeps its dictionary cache: private to this user, inside the temporary directory."""
    user = os.getuid() if hasattr(os, "getuid") else getpass.getuser()
    return Path(tempfile.gettempdir()) / f"symptomcheck-{user}"


def _new_tokenizer(words: frozenset[str]) -> _Tokenizer:
    import jieba

    jieba.setLogLevel(logging.ERROR)
    directory = cache_directory()
    tokenizer = jieba.Tokenizer()  # its own instance: our words never change the process-wide dictionary
    try:
        directory.mkdir(mode=0o700, exist_ok=True)
        if not hasattr(os, "getuid") or directory.stat().st_uid == os.getuid():
            tokenizer.tmp_dir = str(directory)  # only a directory of our own: never load another user's cache
    except OSError:
        pass  # no writable temporary directory: jieba rebuilds its dictionary in memory on each start
    tokenizer.initialize()
    for word in sorted(words):
        # a high frequency keeps each phrase one word ("不发烧" splits as 不 + 发烧, never as 不发 + 烧)
        tokenizer.add_word(word, freq=100_000)
    typed: _Tokenizer = tokenizer
    return typed


def segment(text: str, words: frozenset[str] = frozenset()) -> list[tuple[str, int, int]]:
    """The words of `text` with their character offsets (start, end); `words` are kept whole."""
    tokenizer = _tokenizers.get(words)
    if tokenizer is None:
        with _lock:
            tokenizer = _tokenizers.get(words)
            if tokenizer is None:
                tokenizer = _tokenizers[words] = _new_tokenizer(words)
    return [(word, start, end) for word, start, end in tokenizer.tokenize(text)]
