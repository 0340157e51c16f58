"""Gas benchmark of the CreditVault (and, through its engineer's hook, ERC-8004 registration).

    .venv/bin/python bench/gas.py [--max-log2 16] [--out bench/results/gas.json]

Runs its own Anvil. Deposit gas is measured with the tree already holding 0, 2^10 and 2^16
notes: that state is written into the vault's storage
(`testing/zkcredits_testing/tree_state.py`: size, root
and the frontier node of every complete subtree, computed by the Python LeanIMT twin over N real
Poseidon leaves, plus the stale frontier nodes real deposits leave behind), never faked: the
measured deposit's emitted root is checked against the twin. The cost of one deposit depends on
the index it lands on (popcount(index) Poseidon hashes), so the table also gives the worst case
(index 2^k − 1) and the mean over 16 random indices.
Naive reference, same run: the classic fixed-depth (20) incremental Merkle tree over the same
PoseidonT3 (`contracts/test/FixedDepthMerkleTree.sol`, 20 hashes per insert; bench/fixed_tree.py),
its state written the same way, at the same indices, next to our deposit and our bare
LeanIMTAppend insert ("comparison": ratio = reference / ours; each new root checked in Python).
requestWithdrawal and slash verify real Groth16 proofs of the real circuits (explicit gas limit);
if the circuits are not built yet those rows say so instead of a number.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from web3 import Web3
from zkcredits_testing.devchain import DevChain
from zkcredits_testing.tree_state import (
    SLOT_LAST_DEPOSIT_EPOCH,
    TreeLevels,
    check_layout,
    inject_tree,
)
from zkcredits_testing.vault_proofs import WithdrawStatement, proof_source

from prover.chain.artifacts import artifact
from prover.chain.tx import deploy
from prover.chain.vault import CreditVaultClient, deploy_eth_vault, deploy_libraries
from prover.chain.vault_params import VaultParams
from prover.crypto.eddsa import public_key
from prover.crypto.poseidon import poseidon_unchecked
from prover.crypto.rln import note_id
from prover.toolchain.anvil import AnvilProcess

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixed_tree import (  # bench/ is not a package
    Case,
    comparison,
    deploy_trees,
    lean_appended_root,
    render_comparison,
)

ROOT = Path(__file__).resolve().parents[1]
GWEI = 10**9
D = 10_000
TARGETS = {"deposit": 200_000, "requestWithdrawal": 350_000, "slash": 300_000}
console = Console()


def params_for(
    w3: Web3, accounts: list[str], verifiers: tuple[str, str, str, str] | None
) -> VaultParams:
    """`verifiers` = (withdraw, slash, withdraw vk hash, slash vk hash)."""
    pk = public_key(0x1234567)
    if verifiers is None:  # deposits, sweeps and pulls never call a verifier
        art = artifact("AcceptAllVerifier", test=True)
        hashes = ("0x" + "22" * 32, "0x" + "33" * 32)
        addrs = [
            str(
                deploy(
                    w3,
                    sender=accounts[0],
                    abi=art.abi,
                    bytecode=art.bytecode,
                    args=[bytes.fromhex(h[2:])],
                ).contract_address
            )
            for h in hashes
        ]
        verifiers = (addrs[0], addrs[1], hashes[0], hashes[1])
    return VaultParams(
        unit=GWEI,
        c_max=1_000,
        penalty_max=5_000,
        reserve=5_000,
        min_deposit=10_000,
        note_ttl_days=30,
        exit_grace_days=2,
        exit_delay=2 * 86400,
        root_epoch=600,
        root_ttl=3600,
        server_pk_x=pk.x,
        server_pk_y=pk.y,
        price_schedule_hash="0x" + "11" * 32,
        treasury=accounts[1],
        withdraw_verifier=verifiers[0],
        slash_verifier=verifiers[1],
        withdraw_vk_hash=verifiers[2],
        slash_vk_hash=verifiers[3],
        max_depth=20,
    )


def deposit_at(
    dev: DevChain, vault: CreditVaultClient, levels: TreeLevels, size: int, sender: str
) -> int:
    """Inject the first `size` leaves, deposit once in the current epoch; the deposit's gas.

    The deposit's emitted root must equal the twin's root with the new leaf appended.
    """
    snap = dev.snapshot()
    inject_tree(dev, vault.address, levels, size)  # stale frontier nodes included
    epoch = vault.current_epoch()
    dev.set_storage(vault.address, SLOT_LAST_DEPOSIT_EPOCH, epoch)  # no checkpoint write
    nid = note_id(10**9 + size)
    receipt = vault.deposit(nid, D * GWEI, sender=sender)
    (event,) = vault.events("Deposited", receipt)
    check = TreeLevels([*levels.levels[0][:size], event["leaf"]]) if size < 4096 else None
    expected = (
        check.frontier(size + 1)[1] if check else lean_appended_root(levels, size, event["leaf"])
    )
    if event["index"] != size or event["root"] != expected:
        raise SystemExit(f"deposit at {size}: index/root disagree with the Python twin")
    dev.revert(snap)
    return receipt.gas_used


def leaf_at(index: int) -> int:
    """The benchmark's leaf at `index` (a real Poseidon leaf, as deposits make them)."""
    return poseidon_unchecked(2, index + 1, D, 20_000)


def measure_deposits(
    dev: DevChain, vault: CreditVaultClient, sender: str, max_log2: int, rows: list[dict[str, Any]]
) -> tuple[TreeLevels, list[Case]]:
    """Deposit rows; returns the leaves' tree and the measured indices for the reference."""
    check_layout(dev, vault.address, vault.tree_size, vault.root)
    snap = dev.snapshot()
    first = vault.deposit(note_id(1), D * GWEI, sender=sender).gas_used
    second = vault.deposit(note_id(2), D * GWEI, sender=sender).gas_used
    dev.revert(snap)
    rows.append(row("deposit", "1st note (empty tree, first of its epoch)", first))
    rows.append(row("deposit", "2nd note (same epoch)", second))
    cases = [Case("index 1 (2nd note)", [1], [second])]
    n = 1 << max_log2
    t = time.monotonic()
    levels = TreeLevels([leaf_at(i) for i in range(n)])
    console.print(f"[dim]{n} Poseidon leaves and their tree in {time.monotonic() - t:.1f}s")
    rng = random.Random(2026)
    for k in sorted({10, max_log2}):
        size = 1 << k
        sample = [rng.randrange(size // 2, size) for _ in range(16)]
        for case, label, indices in (
            (f"with 2^{k} notes (lands at index 2^{k})", f"index 2^{k}", [size]),
            (f"worst case: index 2^{k}-1 ({k} merges)", f"index 2^{k}-1", [size - 1]),
            (
                f"mean of 16 random indices in [2^{k - 1}, 2^{k})",
                f"mean of 16 random indices in [2^{k - 1}, 2^{k})",
                sample,
            ),
        ):
            gas = [deposit_at(dev, vault, levels, i, sender) for i in indices]
            rows.append(row("deposit", case, sum(gas) // len(gas)))
            cases.append(Case(label, indices, gas))
    snap = dev.snapshot()
    vault.deposit(note_id(3), D * GWEI, sender=sender)
    dev.advance(600)
    crossing = vault.deposit(note_id(4), D * GWEI, sender=sender).gas_used
    same = vault.deposit(note_id(5), D * GWEI, sender=sender).gas_used
    dev.revert(snap)
    rows.append(
        row(
            "deposit",
            "extra for the first deposit of an epoch (checkpoint)",
            crossing - same,
            target=None,
        )
    )
    return levels, cases


def row(
    op: str, case: str, gas: int | None, *, target: int | str | None = "default", note: str = ""
) -> dict[str, Any]:
    goal = TARGETS.get(op) if target == "default" else target
    return {
        "operation": op,
        "case": case,
        "gas": gas,
        "target": goal if isinstance(goal, int) else None,
        "note": note,
    }


def measure_exits(
    w3: Web3, dev: DevChain, accounts: list[str], libs: dict[str, str], rows: list[dict[str, Any]]
) -> None:
    source = proof_source()
    v = source.deploy_verifiers(w3, accounts[0])
    params = params_for(w3, accounts, (v.withdraw, v.slash, v.withdraw_vk_hash, v.slash_vk_hash))
    vault = deploy_eth_vault(w3, params, sender=accounts[0], libraries=libs)
    sid = vault.service_id()
    alice, bob, carol = accounts[2], accounts[3], accounts[4]
    k1, k2, k3 = 0xA11CE, 0xB0B, 0xCAFE
    for k in (k1, k2, k3):
        vault.deposit(note_id(k), D * GWEI, sender=alice)
    note = f"proofs: {source.label}"
    wd = source.withdraw(
        WithdrawStatement(
            k=k1,
            deposit=D,
            service_id=sid,
            c_max=params.c_max,
            penalty_max=params.penalty_max,
            server_pk=(params.server_pk_x, params.server_pk_y),
            recipient=bob,
            pending=False,
        )
    )
    gas_req = vault.request_withdrawal(wd.calldata, wd.signals, sender=carol).gas_used
    rows.append(row("requestWithdrawal", "Active note, 13 public signals", gas_req, note=note))
    sl = source.slash(k2, sid)
    gas_slash = vault.slash_with_signals(sl.calldata, sl.signals, sender=carol).gas_used
    rows.append(row("slash", "Active note, 2 public signals", gas_slash, note=note))
    wd3 = source.withdraw(
        WithdrawStatement(
            k=k3,
            deposit=D,
            service_id=sid,
            c_max=params.c_max,
            penalty_max=params.penalty_max,
            server_pk=(params.server_pk_x, params.server_pk_y),
            recipient=bob,
            pending=True,
        )
    )
    vault.request_withdrawal(wd3.calldata, wd3.signals, sender=carol)
    sl3 = source.slash(k3, sid)
    gas_slash_exit = vault.slash_with_signals(sl3.calldata, sl3.signals, sender=carol).gas_used
    rows.append(row("slash", "Exiting note (cancels the exit)", gas_slash_exit, note=note))
    dev.advance(2 * 86400)
    gas_fin = vault.finalize_withdrawal(note_id(k1), sender=carol).gas_used
    rows.append(row("finalizeWithdrawal", "after exit_delay", gas_fin))


def measure_sweep_and_pull(
    w3: Web3, dev: DevChain, accounts: list[str], libs: dict[str, str], rows: list[dict[str, Any]]
) -> None:
    vault = deploy_eth_vault(w3, params_for(w3, accounts, None), sender=accounts[0], libraries=libs)
    vault.deposit(note_id(7), D * GWEI, sender=accounts[2])
    vault.deposit(note_id(8), D * GWEI, sender=accounts[2])
    dev.advance(33 * 86400)
    gas_claim = vault.claim_expired(note_id(7), sender=accounts[3]).gas_used
    rows.append(row("claimExpired", "after expiry + grace", gas_claim))
    vault.claim_expired(note_id(8), sender=accounts[3])
    gas_pull = vault.withdraw_owed(sender=accounts[1]).gas_used
    rows.append(row("withdrawOwed", "ETH to an EOA", gas_pull))


def measure_registration(w3: Web3, rows: list[dict[str, Any]]) -> None:
    """Hook into the ERC-8004 engineer's measurement, if present."""
    try:
        from zkcredits_testing.devkeys import anvil_account
        from zkcredits_testing.registration_gas import measure_agent_registration_gas
    except ImportError as exc:
        rows.append(row("registerAgent", "ERC-8004", None, note=f"not measured: {exc}"))
        return
    uri = "data:application/json;base64," + "A" * 600
    gas = measure_agent_registration_gas(w3, anvil_account(0), anvil_account(9), uri)
    rows.append(
        row(
            "registerAgent",
            f"ERC-8004 register(agentURI), {gas.agent_uri_bytes} B URI",
            gas.register_with_uri,
            target=None,
        )
    )
    rows.append(row("setAgentWallet", "ERC-8004", gas.set_agent_wallet, target=None))


def render(rows: list[dict[str, Any]]) -> None:
    table = Table(title="CreditVault gas (solc 0.8.37, optimizer 200; Poseidon libs runs=1e6)")
    for col in ("operation", "case", "gas", "target", "ok"):
        table.add_column(col, justify="right" if col in ("gas", "target") else "left")
    for r in rows:
        gas, target = r["gas"], r["target"]
        ok = "" if gas is None or target is None else ("[green]yes" if gas <= target else "[red]no")
        table.add_row(
            r["operation"],
            r["case"] + (f" [dim]{r['note']}" if r["note"] else ""),
            "—" if gas is None else f"{gas:,}",
            "" if target is None else f"≤ {target:,}",
            ok,
        )
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--max-log2", type=int, default=16)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "gas.json")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    started = time.monotonic()
    with AnvilProcess() as info:
        w3 = Web3(Web3.HTTPProvider(info.rpc_url, request_kwargs={"timeout": 120}))
        dev = DevChain(w3)
        accounts = [str(a) for a in w3.eth.accounts]
        libs = deploy_libraries(w3, accounts[0])
        vault = deploy_eth_vault(
            w3, params_for(w3, accounts, None), sender=accounts[0], libraries=libs
        )
        levels, cases = measure_deposits(dev, vault, accounts[2], args.max_log2, rows)
        trees = deploy_trees(w3, accounts[0], libs)
        compared = comparison(dev, trees, levels, cases, leaf_at, accounts[2])
        steps: list[Callable[[], None]] = [
            lambda: measure_exits(w3, dev, accounts, libs, rows),
            lambda: measure_sweep_and_pull(w3, dev, accounts, libs, rows),
            lambda: measure_registration(w3, rows),
        ]
        for step in steps:
            step()
    render(rows)
    render_comparison(console, compared)
    result = {
        "method": __doc__,
        "machine": platform.platform(),
        "python": sys.version.split()[0],
        "elapsed_s": round(time.monotonic() - started, 1),
        "targets": TARGETS,
        "rows": rows,
        "comparison": compared,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
