"""Field types every settings class shares, so one value means the same in every process, and
the one error a bad setting is at a boundary.

`FinalitySetting`: how deep a block must be before a process trusts it: `auto` (0 confirmations
on the local chains 31337/1337, the node's `finalized` tag elsewhere), `finalized` (the node's
tag), or a number of confirmations 0–10000. The gateway (`ZKCREDITS_GATEWAY_FINALITY`) and the
client (`ZKCREDITS_CONFIRMATIONS`) both take it; `confirmations_of` turns it into a depth
(None: the node's `finalized` tag).

`SettingsValueError`: a setting's value is malformed; it names the variable (or option) it came
from. The command line reports it as one line and exit status 2 (`prover.cli.errors`).
"""

from __future__ import annotations

import os
from typing import Annotated, Any, Final, TypeVar

from pydantic import BeforeValidator, SecretStr, ValidationError
from pydantic_settings import BaseSettings

from prover.chain.local_chains import LOCAL_CHAIN_IDS
from prover.errors import SettingsValueError

S = TypeVar("S", bound=BaseSettings)


"""Chains on which every block is final at once (Anvil, Hardhat)."""
MAX_CONFIRMATIONS: Final = 10_000
FINALITY_WORDS: Final = ("auto", "finalized")
FINALITY_RULE: Final = f"auto, finalized or a number of confirmations (0-{MAX_CONFIRMATIONS})"


def _finality(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"must be {FINALITY_RULE}")
    text = str(value).strip().lower()
    if text in FINALITY_WORDS:
        return text
    if text.isascii() and text.isdigit() and int(text) <= MAX_CONFIRMATIONS:
        return str(int(text))
    raise ValueError(f"must be {FINALITY_RULE}")


FinalitySetting = Annotated[str, BeforeValidator(_finality)]
"""`auto`, `finalized` or `0`…`10000` (normalised: lower case, no padding)."""


def confirmations_of(finality: str, chain_id: int) -> int | None:
    """The depth `finality` means on `chain_id`: a number of confirmations, or None for the
    node's `finalized` tag."""
    text = _finality(finality)
    if text == "finalized":
        return None
    if text == "auto":
        return 0 if chain_id in LOCAL_CHAIN_IDS else None
    return int(text)


def _hex_key(value: object) -> object:
    """A chain key: 32 bytes of hex, `0x` optional, surrounding space ignored; empty = unset."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError("must be 32 bytes of hex (a chain key)")
    text = text.strip()
    if not text:
        return None
    body = text[2:] if text[:2].lower() == "0x" else text
    if len(body) != 64 or any(c not in "0123456789abcdefABCDEF" for c in body):
        raise ValueError("must be 32 bytes of hex (a chain key)")  # the value is never shown
    return SecretStr("0x" + body)


HexKeySetting = Annotated[SecretStr | None, BeforeValidator(_hex_key)]
"""A secp256k1 private key given as hex (`0x` optional); shown nowhere, checked at start-up."""


def env_name(cls: type[BaseSettings], field: str) -> str:
    """The environment variable of `field` in `cls` (prefix + name, upper case)."""
    return f"{cls.model_config.get('env_prefix', '')}{field}".upper()


def is_secret(cls: type[BaseSettings], field: str) -> bool:
    info = cls.model_fields.get(field)
    return info is not None and "Secret" in repr(info.annotation)


def settings_error(cls: type[BaseSettings], exc: ValidationError) -> SettingsValueError:
    """The first error of `exc` as one line naming its variable (never a secret's value)."""
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else "settings"
    variable = env_name(cls, field)
    where = variable if variable in os.environ or field not in cls.model_fields else field
    message = str(error["msg"]).removeprefix("Value error, ")
    given = error.get("input")
    shown = (
        ""
        if is_secret(cls, field) or isinstance(given, dict) or given is None
        else f" (got {given!r})"
    )
    return SettingsValueError(f"{where}: {message}{shown}", variable=variable, field=field)


def settings_class(title: str) -> type[BaseSettings] | None:
    """The imported settings class named `title` (a `ValidationError`'s title), if any."""
    todo: list[type[BaseSettings]] = [BaseSettings]
    while todo:
        cls = todo.pop()
        if cls.__name__ == title and cls is not BaseSettings:
            return cls
        todo += cls.__subclasses__()
    return None


def load_settings(cls: type[S], **given: Any) -> S:
    """`cls` from the environment, with the `given` values (None dropped) winning; a bad value
    is a `SettingsValueError` naming its variable."""
    values: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    try:
        return cls(**values)
    except ValidationError as exc:
        raise settings_error(cls, exc) from None
