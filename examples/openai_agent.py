"""A small agent paying for each call anonymously: the official `openai` SDK through zkcredits.

Start the proxy first (`zkcredits client serve`, default http://127.0.0.1:8420/v1); it pays each
call with a zero-knowledge proof from your wallet. Then:

    ZKCREDITS_PROXY_TOKEN=<token from `zkcredits client init --show-token`> \\
        python examples/openai_agent.py "what is a nullifier?"

Environment: `ZKCREDITS_PROXY_URL` (default http://127.0.0.1:8420/v1), `ZKCREDITS_PROXY_TOKEN`
(or `ZKCREDITS_WALLET`: the token is read from the wallet's profile), `ZKCREDITS_MODEL`.
Every reply says what it cost (`X-Zkcredits-Cost`) and what is left (`X-Zkcredits-Balance`);
a streamed reply says it in a comment line before `[DONE]`, so it is read from the balance
endpoint instead. Errors keep the proxy's code (`no_deposit`, `credit_exhausted`,
`note_expired`, `ticket_pending`, `checkpoint_pending`, `gateway_unreachable`, ...).
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

import openai


def settings() -> tuple[str, str, str]:
    url = os.environ.get("ZKCREDITS_PROXY_URL", "http://127.0.0.1:8420/v1").rstrip("/")
    token = os.environ.get("ZKCREDITS_PROXY_TOKEN")
    if not token:
        wallet = Path(os.environ.get("ZKCREDITS_WALLET", Path.home() / ".zkcredits/wallet.zkw"))
        profile = wallet.with_name(wallet.name + ".client.json")
        token = json.loads(profile.read_text())["token"]
    return url, token, os.environ.get("ZKCREDITS_MODEL", "zk-embedded-chat")


def balance(url: str, token: str) -> dict[str, object]:
    """The proxy's own endpoint (behind the same token): what the next calls can spend."""
    request = urllib.request.Request(
        f"{url}/zkcredits/balance", headers={"Authorization": f"Bearer {token}"}
    )
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no $HTTP_PROXY
    with direct.open(request, timeout=30) as reply:
        data: dict[str, object] = json.load(reply)
    return data


def main(question: str) -> int:
    url, token, model = settings()
    client = openai.OpenAI(base_url=url, api_key=token, max_retries=0)
    messages: list[dict[str, str]] = [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": f"{question} Answer in 12 words."},
    ]
    try:
        raw = client.chat.completions.with_raw_response.create(
            model=model, messages=messages, max_tokens=32
        )
        answer = raw.parse().choices[0].message.content
        print(f"answer: {answer}")
        print(
            f"paid: {raw.headers.get('x-zkcredits-cost')} units; "
            f"left: {raw.headers.get('x-zkcredits-balance')} units "
            f"({raw.headers.get('x-zkcredits-calls-left')} calls)"
        )
        messages += [
            {"role": "assistant", "content": answer or ""},
            {"role": "user", "content": "Now say it again, streamed. Answer in 8 words."},
        ]
        pieces = []
        for chunk in client.chat.completions.create(
            model=model, messages=messages, max_tokens=16, stream=True
        ):
            if chunk.choices and chunk.choices[0].delta.content:
                pieces.append(chunk.choices[0].delta.content)
        print(f"streamed: {''.join(pieces)}")
    except openai.APIStatusError as exc:
        error = exc.body if isinstance(exc.body, dict) else {}
        print(f"refused ({exc.status_code} {error.get('code')}): {error.get('message')}")
        return 1
    except openai.APIConnectionError:
        print(f"no proxy answers at {url}: start it with `zkcredits client serve`")
        return 1
    left = balance(url, token)
    print(f"balance: {left['spendable']} units spendable, {left['calls_left']} calls left")
    for warning in left.get("warnings", []):
        print(f"warning: {warning['message']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(" ".join(sys.argv[1:]) or "What does a zero-knowledge proof prove?"))
