"""Hypothesis state machine over random deposits, exits, slashes, expiries, sweeps and pulls.

Invariants after every step, on the live Anvil vault (proofs from the `proofs` source):
balance == Σ deposits of Active/Exiting notes + Σ unpaid owed + burned; every account's owed
equals the model's; no note ever pays out more than it deposited.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from zkcredits_testing.vault_proofs import WithdrawStatement

from prover.chain.errors import ContractRevertError
from prover.chain.vault import CreditVaultClient, NoteStatus
from prover.crypto.rln import note_id

DAY = 86400
GWEI = 10**9
KEYS = list(range(0xA000, 0xA008))
LIVE = (NoteStatus.ACTIVE, NoteStatus.EXITING)


@pytest.mark.slow
def test_random_histories_keep_the_vault_solvent_and_payouts_bounded(
    proof_vault: CreditVaultClient,
    proofs: Any,
    dev: Any,
    accounts: list[str],
    treasury: str,
    server_pk: tuple[int, int],
) -> None:
    users = accounts[2:6]
    params = proof_vault.params()
    sid = proof_vault.service_id()
    proof_cache: dict[tuple[int, str, bool, int], Any] = {}

    class VaultMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snap = dev.snapshot()
            self.notes: dict[int, dict[str, Any]] = {}
            self.owed: dict[str, int] = {}
            self.burned = 0

        def teardown(self) -> None:
            dev.revert(self.snap)

        def _with_status(self, *statuses: NoteStatus) -> list[int]:
            return [k for k, n in self.notes.items() if n["status"] in statuses]

        def deposit(self, data: st.DataObject) -> None:
            units = data.draw(st.integers(10_000, 30_000))
            free = [k for k in KEYS if k not in self.notes]
            if not free:
                return
            k = data.draw(st.sampled_from(free))
            proof_vault.deposit(note_id(k), units * GWEI, sender=users[0])
            self.notes[k] = {"status": NoteStatus.ACTIVE, "D": units, "paid": 0}

        def request_exit(self, data: st.DataObject) -> None:
            pending, who = data.draw(st.booleans()), data.draw(st.integers(0, 3))
            k = data.draw(st.sampled_from(self._with_status(NoteStatus.ACTIVE)))
            note = proof_vault.note(note_id(k))
            if proof_vault.current_day() > note.expiry + params.exit_grace_days:
                return  # the window closed: only the sweep is left
            key = (k, users[who], pending, self.notes[k]["D"])
            if key not in proof_cache:
                proof_cache[key] = proofs.withdraw(
                    WithdrawStatement(
                        k=k,
                        deposit=self.notes[k]["D"],
                        service_id=sid,
                        c_max=params.c_max,
                        penalty_max=params.penalty_max,
                        server_pk=server_pk,
                        recipient=users[who],
                        pending=pending,
                    )
                )
            proof = proof_cache[key]
            proof_vault.request_withdrawal(proof.calldata, proof.signals, sender=users[3])
            n = self.notes[k]
            n.update(
                status=NoteStatus.EXITING,
                recipient=users[who],
                charged=params.c_max * pending,
                penalties=params.penalty_max * pending,
            )

        def finalize(self, data: st.DataObject) -> None:
            k = data.draw(st.sampled_from(self._with_status(NoteStatus.EXITING)))
            nid = note_id(k)
            ready = proof_vault.note(nid).exit_ready_at
            if dev.timestamp() < ready:
                dev.advance_to(ready)  # wait out the challenge window
            proof_vault.finalize_withdrawal(nid, sender=users[1])
            n = self.notes[k]
            payout = n["D"] - n["charged"] - n["penalties"]
            self.owed[n["recipient"]] = self.owed.get(n["recipient"], 0) + payout * GWEI
            self.owed[treasury] = self.owed.get(treasury, 0) + n["charged"] * GWEI
            self.burned += n["penalties"] * GWEI
            n.update(status=NoteStatus.CLOSED, paid=payout)

        def slash(self, data: st.DataObject) -> None:
            k = data.draw(st.sampled_from(self._with_status(*LIVE)))
            proof = proofs.slash(k, sid)
            proof_vault.slash_with_signals(proof.calldata, proof.signals, sender=users[2])
            self.owed[treasury] = self.owed.get(treasury, 0) + self.notes[k]["D"] * GWEI
            self.notes[k]["status"] = NoteStatus.SLASHED

        def sweep(self, data: st.DataObject) -> None:
            k = data.draw(st.sampled_from(self._with_status(NoteStatus.ACTIVE)))
            nid = note_id(k)
            last_exit_day = proof_vault.note(nid).expiry + params.exit_grace_days
            if proof_vault.current_day() <= last_exit_day:
                dev.advance_to((last_exit_day + 1) * DAY)  # let the note expire unexited
            proof_vault.claim_expired(nid, sender=users[2])
            self.owed[treasury] = self.owed.get(treasury, 0) + self.notes[k]["D"] * GWEI
            self.notes[k]["status"] = NoteStatus.SWEPT

        def advance(self, data: st.DataObject) -> None:
            days = data.draw(st.sampled_from([1, 2, 3, 12, 35]))
            dev.advance(int(days * DAY))

        def pull(self, data: st.DataObject) -> None:
            who = data.draw(st.sampled_from(sorted(a for a, v in self.owed.items() if v)))
            proof_vault.withdraw_owed(sender=who)
            self.owed[who] = 0

        def misuse_is_refused(self, data: st.DataObject) -> None:
            k = data.draw(st.sampled_from(sorted(self.notes)))
            nid, status = note_id(k), self.notes[k]["status"]
            with pytest.raises(ContractRevertError) as reused:
                proof_vault.deposit(nid, 10_000 * GWEI, sender=users[0])
            assert reused.value.name == "IdAlreadyUsed"
            if status != NoteStatus.EXITING:
                with pytest.raises(ContractRevertError) as early:
                    proof_vault.finalize_withdrawal(nid, sender=users[1])
                assert early.value.name == "NoteNotExiting"
            if status not in LIVE:
                with pytest.raises(ContractRevertError) as dead:
                    proof = proofs.slash(k, sid)
                    proof_vault.slash_with_signals(proof.calldata, proof.signals, sender=users[2])
                assert dead.value.name == "NoteNotSlashable"

        @rule(data=st.data())
        def act(self, data: st.DataObject) -> None:
            """One applicable action, chosen uniformly (explicit dispatch keeps the mix even)."""
            actions: list[Any] = []
            if self._with_status(NoteStatus.EXITING):
                actions.append(self.finalize)
            if self._with_status(NoteStatus.ACTIVE):
                actions += [self.request_exit, self.sweep]
            if self._with_status(*LIVE):
                actions.append(self.slash)
            if any(self.owed.values()):
                actions.append(self.pull)
            if self.notes:
                actions.append(self.misuse_is_refused)
            if len(self._with_status(*LIVE)) < 4 and len(self.notes) < len(KEYS):
                actions.append(self.deposit)
            actions.append(self.advance)
            data.draw(st.sampled_from(actions))(data)

        @invariant()
        def solvent_and_bounded(self) -> None:
            live = sum(n["D"] for n in self.notes.values() if n["status"] in LIVE) * GWEI
            assert proof_vault.balance() == live + sum(self.owed.values()) + self.burned
            assert proof_vault.burned() == self.burned
            for account in {*users, treasury}:
                assert proof_vault.owed(account) == self.owed.get(account, 0)
            for k, n in self.notes.items():
                assert n["paid"] <= n["D"]
                assert proof_vault.note(note_id(k)).status == n["status"]

    VaultMachine.TestCase.settings = settings(
        max_examples=10,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    VaultMachine.TestCase().runTest()
