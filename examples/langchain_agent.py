"""A small LangChain agent paying for each call anonymously through the zkcredits proxy.

`ChatOpenAI` talks to `zkcredits client serve` like to any OpenAI endpoint; the proxy proves and
pays for each call from your wallet. Then:

    ZKCREDITS_PROXY_TOKEN=<token> python examples/langchain_agent.py "rate-limiting nullifiers"

Environment as in `openai_agent.py`. LangSmith tracing stays off unless you turn it on yourself
(`LANGSMITH_TRACING=true`): this script sends nothing anywhere but the local proxy.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI


def settings() -> tuple[str, str, str]:
    url = os.environ.get("ZKCREDITS_PROXY_URL", "http://127.0.0.1:8420/v1").rstrip("/")
    token = os.environ.get("ZKCREDITS_PROXY_TOKEN")
    if not token:
        wallet = Path(os.environ.get("ZKCREDITS_WALLET", Path.home() / ".zkcredits/wallet.zkw"))
        profile = wallet.with_name(wallet.name + ".client.json")
        token = json.loads(profile.read_text())["token"]
    return url, token, os.environ.get("ZKCREDITS_MODEL", "zk-embedded-chat")


def main(topic: str) -> int:
    url, token, model = settings()
    llm = ChatOpenAI(
        base_url=url,
        api_key=token,
        model=model,
        max_tokens=32,
        max_retries=0,
        include_response_headers=True,  # the proxy's X-Zkcredits-Cost / -Balance
    )
    outline = ChatPromptTemplate.from_messages(
        [("system", "You write outlines."), ("user", "Outline {topic}. Answer in 10 words.")]
    )
    summary = ChatPromptTemplate.from_messages(
        [("user", "Summarise this outline: {outline}. Answer in 6 words.")]
    )
    first = (outline | llm).invoke({"topic": topic})
    headers = first.response_metadata.get("headers", {})
    print(f"outline: {first.content}")
    print(f"paid: {headers.get('x-zkcredits-cost')} units; left: "
          f"{headers.get('x-zkcredits-balance')} units")  # fmt: skip
    chain = summary | llm | StrOutputParser()
    print(f"summary: {chain.invoke({'outline': first.content})}")
    return 0


if __name__ == "__main__":
    sys.exit(main(" ".join(sys.argv[1:]) or "rate-limiting nullifiers"))
