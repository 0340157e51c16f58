"""The proving API: keys loaded once and kept, a warm witness process, typed results.

keys = CircuitKeys.load("request")
with Prover(keys) as prover:
    proof = prover.prove(inputs)          # witness (Node) → [R1CS check ∥ prove] → self-verify
    assert keys.verify(proof)             # ~2 ms, groth16py's prepared verifier

groth16py proves on one core and releases the GIL, so while it proves on the calling thread, a
worker thread reads the witness and checks every R1CS constraint on the other core.
A proof is returned only after the check passed and the proof verified; otherwise it is
discarded and a typed error raised (a proof is spent only when sent, so the overlap keeps
"never spend a ticket on a bad witness").
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import groth16py

from prover.circuits.artifacts import CIRCUITS_BUILD_DIR, KEYS_DIR, CircuitArtifacts
from prover.circuits.errors import (
    ArtifactError,
    CircuitError,
    MalformedProofError,
    ProvingFailedError,
    WitnessFailedError,
)
from prover.circuits.g16 import guarded
from prover.circuits.keys import key_dir
from prover.circuits.manifest import PROVING_KEY_NAME, VK_JSON_NAME, KeyManifest, read_manifest
from prover.circuits.node_witness import NodeWitnessCalculator
from prover.circuits.proof import Proof, calldata_words, parse_signals
from prover.circuits.r1cs import R1cs, read_r1cs, read_wtns
from prover.circuits.vkey import SnarkjsVerifyingKey, parse_vk
from prover.plumbing.digest import sha256_file


@dataclass(frozen=True)
class CircuitKeys:
    """One circuit's loaded keys (proving key, prepared verifier) and compiled artifacts."""

    name: str
    manifest: KeyManifest
    vk: SnarkjsVerifyingKey
    proving_key: groth16py.ProvingKey
    verifier: groth16py.Verifier
    artifacts: CircuitArtifacts
    r1cs: R1cs

    @classmethod
    def load(
        cls, name: str, keys_dir: Path = KEYS_DIR, build_dir: Path = CIRCUITS_BUILD_DIR
    ) -> CircuitKeys:
        """Load `build/keys/<name>/` (hash-checked) for the circuit compiled in `build_dir`."""
        return cls.load_from(
            key_dir(name, keys_dir), CircuitArtifacts.in_dir(name, build_dir / name)
        )

    @classmethod
    def load_from(cls, directory: Path, artifacts: CircuitArtifacts) -> CircuitKeys:
        """Load a key directory for explicit artifacts; refuses keys made for another r1cs."""
        manifest = read_manifest(directory)
        if manifest.r1cs_sha256 != sha256_file(artifacts.r1cs):
            raise ArtifactError(
                f"keys in {directory} were made for another r1cs of {artifacts.name}: "
                "run `zkcredits circuits build`",
                field="r1cs_sha256",
            )
        vk = parse_vk((directory / VK_JSON_NAME).read_text())
        vk_obj = guarded(
            ArtifactError,
            "loading the vk",
            groth16py.VerifyingKey.from_snarkjs,
            vk.canonical_json(),
        )
        pk = guarded(
            ArtifactError,
            "loading the proving key",
            groth16py.ProvingKey.load,
            str(directory / PROVING_KEY_NAME),
        )
        return cls(
            name=artifacts.name,
            manifest=manifest,
            vk=vk,
            proving_key=pk,
            verifier=groth16py.Verifier(vk_obj),
            artifacts=artifacts,
            r1cs=read_r1cs(artifacts.r1cs),
        )

    @property
    def n_public(self) -> int:
        return self.vk.n_public

    @property
    def is_dev(self) -> bool:
        """True for single-party dev keys (never for a public chain)."""
        return self.manifest.setup == "dev-single-party"

    def verify(
        self, proof: Proof | bytes, public_signals: Sequence[int | str] | None = None
    ) -> bool:
        """True iff the proof verifies for the signals (default: the proof's own).

        Malformed proof bytes or non-canonical/miscounted signals raise a typed error naming the
        field; a well-formed proof that does not verify returns False.
        """
        blob = proof.calldata if isinstance(proof, Proof) else proof
        calldata_words(blob)
        if public_signals is None:
            if not isinstance(proof, Proof):
                raise MalformedProofError("public_signals are required with raw bytes")
            public_signals = proof.public_signals
        signals = parse_signals(public_signals, self.n_public)
        return bool(
            guarded(
                MalformedProofError,
                "proof decoding",
                self.verifier.verify,
                bytes(blob),
                signals,
                field="proof",
            )
        )


class Prover:
    """Proves one circuit with its keys kept loaded and one warm Node witness process."""

    def __init__(
        self,
        keys: CircuitKeys,
        witness: NodeWitnessCalculator | None = None,
        *,
        check_witness: bool = True,
    ) -> None:
        self.keys = keys
        self._witness = witness or NodeWitnessCalculator()
        self._owns_witness = witness is None
        self._check = check_witness
        scratch_root = "/dev/shm" if os.path.isdir("/dev/shm") else None
        self._scratch = tempfile.TemporaryDirectory(prefix="zkcredits-wtns-", dir=scratch_root)
        self._counter = itertools.count()
        self._checking = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zkcredits-r1cs")
        self.last_timings: dict[str, float] = {}
        """Seconds per stage of the last call: witness, check (read + R1CS check, on the worker,
        overlapping prove), prove (groth16py), check_wait (check left after prove), verify."""

    def prove(self, inputs: Mapping[str, Any]) -> Proof:
        """Witness in Node → [R1CS check ∥ `prove_wtns`] → self-verify; never an invalid proof."""
        wtns = Path(self._scratch.name) / f"{next(self._counter)}.wtns"
        try:
            art = self.keys.artifacts
            start = time.perf_counter()
            self._witness.compute(art.wasm, art.witness_calculator_js, inputs, wtns)
            witness_s = time.perf_counter() - start
            proof = self.prove_wtns(wtns)
            self.last_timings["witness"] = witness_s
            return proof
        finally:
            wtns.unlink(missing_ok=True)

    def prove_wtns(self, wtns: Path) -> Proof:
        """Prove from a `.wtns` file (any generator); never returns a proof of a bad witness.

        groth16py proves on this thread (GIL released) while the worker thread reads the
        witness and checks it against every R1CS constraint. If the check fails, the proof is
        discarded and the check's typed error raised; the proof must then self-verify.
        """
        t0 = time.perf_counter()
        check = self._checking.submit(self._read_checked, wtns)
        try:
            blob = guarded(
                ProvingFailedError,
                f"proving {self.keys.name}",
                groth16py.prove_wtns,
                self.keys.proving_key,
                str(wtns),
            )
        except CircuitError:
            check.result()  # a bad witness explains a failed proof best: its error wins
            raise
        except BaseException:
            wait([check])  # no work outlives the call
            raise
        t1 = time.perf_counter()
        signals, check_s = check.result()  # raises the check's error: the proof is discarded
        t2 = time.perf_counter()
        proof = Proof(calldata=blob, public_signals=signals)
        if not self.keys.verify(proof):
            raise ProvingFailedError(
                f"{self.keys.name}: the proof does not verify (unsatisfied witness or wrong keys)"
            )
        t3 = time.perf_counter()
        self.last_timings = {
            "check": check_s,
            "prove": t1 - t0,
            "check_wait": t2 - t1,
            "verify": t3 - t2,
        }
        return proof

    def _read_checked(self, wtns: Path) -> tuple[list[str], float]:
        """(worker thread) The public signals of a witness that satisfies every constraint."""
        start = time.perf_counter()
        witness = read_wtns(wtns)
        if self._check:
            broken = self.keys.r1cs.first_unsatisfied(witness)
            if broken is not None:
                raise WitnessFailedError(
                    f"{self.keys.name}: the witness breaks constraint #{broken}", field="witness"
                )
        signals = [str(v) for v in witness[1 : 1 + self.keys.n_public]]
        return signals, time.perf_counter() - start

    def verify(
        self, proof: Proof | bytes, public_signals: Sequence[int | str] | None = None
    ) -> bool:
        """See `CircuitKeys.verify`."""
        return self.keys.verify(proof, public_signals)

    def close(self) -> None:
        """Stop the checking thread and our Node process, and remove scratch files."""
        self._checking.shutdown(wait=True)
        if self._owns_witness:
            self._witness.close()
        self._scratch.cleanup()

    def __enter__(self) -> Prover:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
