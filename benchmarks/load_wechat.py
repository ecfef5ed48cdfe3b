"""A bounded load on the WeChat webhook: concurrent WeChat users each completing a consultation by text messages.

    python benchmarks/load_wechat.py [--senders 20] [--think 1.0] [--safe] [--database-url URL]

Starts `symptomcheck serve` in its own process with the WeChat channel configured (on a new SQLite file unless
--database-url names a PostgreSQL database), then runs `--senders` concurrent users. Each says hello, gives
an age and a sex, a complaint, and answers every question (reading the reply to know what kind of answer it
wants) until the result comes, waiting a think time (uniform between 0.5x and 1.5x `--think` seconds) between
messages. Every push is signed (and in `--safe` mode encrypted) by wechatpy, as WeChat's servers would.

Prints, as JSON: the reply time per message (p50, p90, p99, max, in ms, measured by the client around each
request; WeChat gives up after 5000 ms), messages per second, consultations completed and the errors (any
response that is not a passive text reply). Figures only: it asserts nothing but that the run completed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import statistics
import string
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
from load_api import free_port, start_server
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

TOKEN = "benchToken2024"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx1a2b3c4d5e6f7a8b"
ACCOUNT = "gh_0123456789ab"
COMPLAINTS = ["发烧", "咳嗽", "拉肚子", "胸痛", "呼吸困难", "fever", "cough"]


def start_wechat_server(database_url: str, port: int, safe: bool) -> subprocess.Popen[bytes]:
    settings = {"SYMPTOMCHECK_WECHAT_TOKEN": TOKEN}
    if safe:
        settings.update(SYMPTOMCHECK_WECHAT_APP_ID=APP_ID, SYMPTOMCHECK_WECHAT_AES_KEY=AES_KEY)
    return start_server(database_url, port, settings=settings)


class User:
    def __init__(self, url: str, safe: bool, http: httpx.AsyncClient, rng: random.Random) -> None:
        self.url, self.safe, self.http, self.rng = url, safe, http, rng
        self.openid = "o" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(27))
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)

    async def say(self, content: str, timings: list[float], errors: list[str]) -> str | None:
        timestamp, nonce = str(int(time.time())), str(self.rng.randrange(10**9, 10**10))
        xml = (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{self.openid}]]></FromUserName>"
            f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{secrets.randbits(62)}</MsgId></xml>"
        )
        signer = WeChatSigner()
        signer.add_data(TOKEN, timestamp, nonce)
        params = {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce, "openid": self.openid}
        body = xml
        if self.safe:
            envelope = ET.fromstring(self.crypto.encrypt_message(xml, nonce, timestamp))
            params.update(encrypt_type="aes", msg_signature=envelope.findtext("MsgSignature") or "")
            body = f"<xml><Encrypt><![CDATA[{envelope.findtext('Encrypt')}]]></Encrypt></xml>"
        started = time.perf_counter()
        try:
            response = await self.http.post(f"{self.url}/wechat", params=params, content=body.encode())
        except httpx.HTTPError as error:
            errors.append(type(error).__name__)
            return None
        timings.append(time.perf_counter() - started)
        if response.status_code != 200 or response.content in (b"", b"success"):
            errors.append(f"HTTP {response.status_code}")
            return None
        reply = response.text
        if self.safe:
            envelope = ET.fromstring(reply)
            reply = self.crypto.decrypt_message(
                reply, envelope.findtext("MsgSignature"), envelope.findtext("TimeStamp"), envelope.findtext("Nonce")
            )
        content_out: str = parse_message(reply).content
        return content_out

    def answer(self, reply: str) -> str:
        if "回复 1 是，2 否，3 不知道" in reply:
            return self.rng.choice(["1", "2", "2", "2", "3"])
        if "0 到 10" in reply:
            return str(self.rng.randint(0, 10))
        if "最接近" in reply:
            return "1"
        return "1"  # one or several numbered values: the first


async def consult(user: User, think: float, timings: list[float], errors: list[str]) -> bool:
    # the opening: greeting, for whom (1: oneself), age, sex (1 or 2), the complaint
    steps = ["你好", "1", str(user.rng.randint(18, 85)), user.rng.choice(["1", "2"]), user.rng.choice(COMPLAINTS)]
    reply: str | None = None
    for step in steps:
        reply = await user.say(step, timings, errors)
        if reply is None:
            return False
        await asyncio.sleep(think * user.rng.uniform(0.5, 1.5))
    for _ in range(60):
        assert reply is not None
        if "【评估结果】" in reply:
            return True
        reply = await user.say(user.answer(reply), timings, errors)
        if reply is None:
            return False
        await asyncio.sleep(think * user.rng.uniform(0.5, 1.5))
    # an interview asks 30 questions at most: the conversation went wrong (an opening step refused, an answer
    # not understood), and the figures would time something other than a consultation
    errors.append("no result after 60 answers")
    return False


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(url: str, senders: int, think: float, safe: bool, seed: int) -> dict[str, Any]:
    timings: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=senders, max_keepalive_connections=senders)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        users = [User(url, safe, http, random.Random(seed + n)) for n in range(senders)]
        started = time.perf_counter()
        done = await asyncio.gather(*(consult(u, think, timings, errors) for u in users))
        elapsed = time.perf_counter() - started
    ms = [t * 1000 for t in timings]
    return {
        "senders": senders,
        "mode": "safe" if safe else "plain",
        "think_seconds": think,
        "consultations_completed": sum(done),
        "messages": len(timings),
        "messages_per_second": round(len(timings) / elapsed, 1),
        "reply_ms": {
            "p50": round(statistics.median(ms), 1),
            "p90": round(percentile(ms, 0.90), 1),
            "p99": round(percentile(ms, 0.99), 1),
            "max": round(max(ms), 1),
        },
        "over_5s": sum(1 for t in timings if t >= 5),
        "errors": {e: errors.count(e) for e in sorted(set(errors))},
        "wall_seconds": round(elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between messages, seconds")
    parser.add_argument("--safe", action="store_true", help="safe mode (AES-encrypted messages)")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        port = free_port()
        server = start_wechat_server(database_url, port, args.safe)
        try:
            report = asyncio.run(run(f"http://127.0.0.1:{port}", args.senders, args.think, args.safe, args.seed))
            report["database"] = database_url.split(":", 1)[0]
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
