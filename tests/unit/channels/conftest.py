"""The `wechat` fixture: a stand-in for WeChat's servers (see wechat_peer.py), fresh for each test."""

from __future__ import annotations

import pytest
from wechat_peer import FakeWeChat


@pytest.fixture
def wechat() -> FakeWeChat:
    return FakeWeChat()
