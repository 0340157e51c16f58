"""Opening everything a paid call needs from the wallet path: wallet, profile, chain, payer."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from web3 import Web3

from prover.chain.mirror import Finality, MirrorError, VaultMirror
from prover.client.client_settings import client_settings
from prover.client.discovery import connect_chain
from prover.client.errors import ChainViewError, ClientError
from prover.client.keyring import Keyring, provider_key_files, provider_keys
from prover.client.passphrase import PASSPHRASE_ENV as PASSPHRASE_ENV  # re-export
from prover.client.passphrase import read_passphrase as read_passphrase  # re-export
from prover.client.payer.note_choice import NotePicker
from prover.client.payer.payer import Payer
from prover.client.payer.proof_pool import PoolProver
from prover.client.payer.ready_proofs import ProofKeeper
from prover.client.payer.request_prover import NoteProver, RequestProving, ThreadProver
from prover.client.payer.settings import ProvingSettings
from prover.client.profile import ClientProfile, ProviderPin, load_profile
from prover.client.transport.config import TransportSettings
from prover.client.transport.delay import DelayBounds, PreSendDelay
from prover.client.transport.private import AsyncPrivateTransport, PrivateTransport
from prover.client.tree_view import MirrorTreeView
from prover.client.wallet import Wallet
from prover.client.why_not import Timing
from prover.settings_types import confirmations_of


def mirror_path(wallet_path: Path, pin: ProviderPin) -> Path:
    return wallet_path.with_name(f"{wallet_path.name}.mirror-{pin.service.chain_id}.sqlite")


def open_mirror(
    w3: Web3, wallet_path: Path, pin: ProviderPin, confirmations: int | None
) -> VaultMirror:
    """The client's mirror of the pinned vault (`confirmations` None: the node's `finalized`
    block)."""
    finality = Finality.finalized_tag() if confirmations is None else Finality.after(confirmations)
    try:
        return VaultMirror(
            w3,
            pin.service.vault_address,
            mirror_path(wallet_path, pin),
            finality=finality,
        )
    except MirrorError as exc:
        raise ChainViewError(f"cannot open the chain mirror: {exc}", field=exc.field) from exc


def client_confirmations(chain_id: int) -> int | None:
    """`ZKCREDITS_CONFIRMATIONS` (`FinalitySetting`, default 12) on `chain_id`: a number of
    confirmations, or None for the node's `finalized` block."""
    return confirmations_of(client_settings().confirmations, chain_id)


@dataclass
class Session:
    """An open wallet with its profile and chain; `payer()` builds the paying machinery."""

    wallet_path: Path
    wallet: Wallet
    profile: ClientProfile
    stack: ExitStack

    def w3(self, rpc_url: str | None = None) -> Web3:
        url = rpc_url or self.profile.rpc_url
        if url is None:
            raise ClientError("no RPC URL: pass --rpc-url or set it at init", field="rpc_url")
        return connect_chain(url, PrivateTransport(TransportSettings()))

    def payer(
        self,
        pin: ProviderPin,
        *,
        rpc_url: str | None = None,
        confirmations: int | None = None,
        retries: int | None = None,
        retry_wait_s: float | None = None,
        service: bool = False,
    ) -> Payer:
        """The paying machinery. `service`: the long-running prover service (a proof pool, one
        process per core, and ready proofs per `ProvingSettings`); else one in-process prover
        proving on each call's path (a one-off `zkcredits client call`)."""
        settings = TransportSettings()
        w3 = self.w3(rpc_url)
        depth = confirmations
        if depth is None:
            depth = client_confirmations(pin.service.chain_id)
        mirror = open_mirror(w3, self.wallet_path, pin, depth)
        self.stack.callback(mirror.close)
        proving = ProvingSettings()
        keyring = Keyring.from_settings()  # the provider's keys: built, cached or fetched once
        prover: RequestProving
        if service:
            directory, artifacts = provider_key_files(keyring, pin, "request")
            pool = PoolProver(
                directory,
                artifacts,
                pin.vk_hashes.request,
                max_depth=pin.max_depth,
                workers=proving.proof_workers,
            )
            self.stack.callback(pool.close)
            pool.start()
            prover = pool
        else:
            single = NoteProver(provider_keys(keyring, pin, "request"), max_depth=pin.max_depth)
            self.stack.callback(single.close)
            prover = ThreadProver(single)
        keeper = ProofKeeper(
            self.wallet,
            MirrorTreeView(mirror),
            prover,
            pin.service.service_id,
            enabled=service and proving.ready_proofs,
            refresh_s=proving.proof_refresh_s,
        )
        payer = Payer(
            wallet=self.wallet,
            pin=pin,
            proofs=keeper,
            transport=AsyncPrivateTransport(settings),
            delay=PreSendDelay(DelayBounds.from_settings(settings)),
            notes=NotePicker(timing=Timing.of(pin, depth)),  # says why no note can pay
        )
        if retries is not None:
            payer.retries = retries
        if retry_wait_s is not None:
            payer.retry_wait_s = retry_wait_s
        return payer

    def close(self) -> None:
        self.stack.close()
        self.wallet.close()


def open_session(wallet_path: Path, passphrase: str) -> Session:
    """Open the wallet (nothing written on a wrong passphrase) and its profile."""
    profile = load_profile(wallet_path)
    wallet = Wallet.open(wallet_path, passphrase)
    return Session(wallet_path, wallet, profile, ExitStack())
