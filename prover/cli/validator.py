"""`zkcredits validator run`: answer ERC-8004 validation requests about TDX quotes (docs/tee.md).

The validator's key comes from `--key-file` or `ZKCREDITS_VALIDATOR_KEY`, never an argument.
Every other value from an option or `ZKCREDITS_VALIDATOR_*` (options win).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from web3 import Web3
from web3.exceptions import Web3Exception

from prover.attest.errors import AttestConfigError, ValidatorError
from prover.attest.registry import VALIDATION_ABI, ValidationRegistry
from prover.attest.settings import validator_settings
from prover.attest.validator import Validator
from prover.chain.sender import Sender, load_account
from prover.cli.operator_settings import operator_key
from prover.errors import ZkCreditsError
from prover.logs import configure_logging, get_logger
from prover.plumbing.errors import SecretFileError, SecretFileMissingError
from prover.plumbing.secret_file import read_secret_text

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
err = Console(stderr=True, soft_wrap=True)
log = get_logger("zkcredits.validator")
KEY_ENV = "ZKCREDITS_VALIDATOR_KEY"


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except ZkCreditsError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from exc


def _key(path: Path | None) -> str:
    if path is not None:
        try:
            return read_secret_text(path)
        except SecretFileMissingError as exc:
            raise AttestConfigError(f"key file {path} does not exist", field="key_file") from exc
        except SecretFileError as exc:
            raise AttestConfigError(f"key file: {exc}", field="key_file") from exc
    value = operator_key(KEY_ENV)  # `OperatorKeySettings`
    if value:
        return value
    raise AttestConfigError(f"give --key-file or set {KEY_ENV}", field="key_file")


@app.command()
def run(
    rpc_url: Annotated[str | None, typer.Option(help="Chain JSON-RPC URL.")] = None,
    validation_registry: Annotated[str | None, typer.Option(help="Validation Registry.")] = None,
    identity_registry: Annotated[str | None, typer.Option(help="Identity Registry.")] = None,
    key_file: Annotated[Path | None, typer.Option(help="The validator's key (hex).")] = None,
    state_file: Annotated[Path | None, typer.Option(help="Where progress is kept.")] = None,
    start_block: Annotated[int | None, typer.Option(help="First block to watch.")] = None,
    poll_seconds: Annotated[float | None, typer.Option(help="Seconds between polls.")] = None,
    accept_tcb_status: Annotated[
        list[str] | None, typer.Option(help="Accepted TCB status (repeat; default UpToDate).")
    ] = None,
    allow_private_hosts: Annotated[
        bool | None, typer.Option(help="Fetch request URIs on private addresses (dev only).")
    ] = None,
    once: Annotated[bool, typer.Option(help="One poll, print the answers, exit.")] = False,
) -> None:
    """Watch `ValidationRequest` events naming this validator; verify each quote and answer."""
    configure_logging()
    with _errors():
        settings = validator_settings(
            rpc_url=rpc_url,
            validation_registry=validation_registry,
            identity_registry=identity_registry,
            state_file=state_file,
            start_block=start_block,
            poll_seconds=poll_seconds,
            accepted_tcb_statuses=frozenset(accept_tcb_status) if accept_tcb_status else None,
            allow_private_hosts=allow_private_hosts,
        )
        account = load_account(_key(key_file))
        w3 = Web3(Web3.HTTPProvider(settings.rpc_url, request_kwargs={"timeout": 30}))
        try:
            w3.eth.chain_id  # noqa: B018 - the call is the check
        except (Web3Exception, OSError, ValueError) as exc:
            raise ValidatorError(
                f"no Ethereum node answers at {settings.rpc_url}", field="rpc_url"
            ) from exc
        validator = Validator(
            w3,
            ValidationRegistry(w3, settings.validation_registry),
            settings.identity_registry,
            Sender(w3, account, abis=[VALIDATION_ABI]),
            settings.state_file,
            config=settings.validator_config(),
            start_block=settings.start_block,
        )
        if once:
            _print_answers(validator)
            return
        stop = threading.Event()

        def _stop(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        log.info("validator_started", validator=account.address, rpc_url=settings.rpc_url)
        validator.run(stop, settings.poll_seconds)


def _print_answers(validator: Validator) -> None:
    answers = validator.poll_once()
    table = Table("request hash", "agent", "score", "failed check", "field")
    for a in answers:
        v = a.verdict
        row = (a.request_hash, str(a.agent_id), str(a.score), v.failed_check or "-", v.field or "-")
        table.add_row(*row)
    Console().print(table)
