"""Side-by-side timing of ours and a reference on the same inputs, outputs checked equal.

`Versus` interleaves the two sides (`timing.interleave`): ROUNDS rounds of one batch of ours then
one batch of the reference, each side's value its median round mean. The reference is a callable
(another Python path) or an op of a Node helper served by `harness.mjs` (`node_ref`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reference.node_worker import NodeWorker
from reference.timing import Timed, comparison_row, interleave, measure, sig

Reference = Callable[[list[Any], dict[str, Any]], Timed]


class Mismatch(SystemExit):
    def __init__(self, what: str, detail: object) -> None:
        super().__init__(f"ours and the reference disagree on {what}: {detail}")


ROUNDS = 5


class Versus:
    """Each comparison runs interleaved (bench/reference/timing.py `interleave`): ROUNDS rounds of
    one batch of ours then one of the reference; each side's value is its median round mean."""

    def __init__(
        self, node: NodeWorker, node_name: str, unit: str, per_ms: float, budget_s: float
    ) -> None:
        """`unit` of the comparison rows, `per_ms` of them in a millisecond (µs: 1000)."""
        self.node, self.node_name, self.budget_s = node, node_name, budget_s
        self.unit, self.per_ms = unit, per_ms
        self.rows: list[dict[str, Any]] = []
        self.details: dict[str, Any] = {}

    def node_once(self, op: str, inputs: list[Any]) -> list[Any]:
        """The Node helper's outputs on `inputs`, each computed once (a check, not a timing)."""
        request = {"op": op, "inputs": inputs, "budget_ms": 0, "batches": 1, "warmup": 0}
        return self.node.call(request | {"max_iter": 1})["outputs"]  # type: ignore[no-any-return]

    def versus(
        self, ours_fn: Callable[[Any], Any], ref: Reference, inputs: list[Any], one_pass: bool
    ) -> tuple[Timed, Timed, list[Any]]:
        """Interleaved timing of ours and `ref`; returns both and the reference's outputs by
        input position (None where it made no call: a slow reference times fewer inputs).

        Round r starts at input r·n/ROUNDS (so a slow side still covers many inputs); ours
        computes every output (cheap). `one_pass` gives each round its own slice of the inputs,
        each used at most once (e.g. for a cache that a third use fills)."""
        n = len(inputs)
        size = n // ROUNDS if one_pass else n
        ref_out: list[Any] = [None] * (size * ROUNDS if one_pass else n)

        def part(r: int) -> tuple[int, list[Any], dict[str, Any]]:
            start = r * size if one_pass else r * n // ROUNDS
            chunk = inputs[start : start + size] if one_pass else inputs[start:] + inputs[:start]
            opts = {
                "budget_s": self.budget_s / ROUNDS,
                "batches": 1,
                "warmup": 1,
                "max_iter": size - 1 if one_pass else None,
            }
            return start, chunk, opts

        def ours(r: int) -> Timed:
            _, chunk, opts = part(r)
            t = measure(ours_fn, chunk, **opts, complete=one_pass or r == 0)
            return t if one_pass or r == 0 else {**t, "outputs": []}

        def theirs(r: int) -> Timed:
            start, chunk, opts = part(r)
            t = ref(chunk, opts)
            for i, out in enumerate(t["outputs"]):
                at = (start + i) % len(ref_out)
                if ref_out[at] is None:
                    ref_out[at] = out
            return {**t, "outputs": []}

        mine, other = interleave([ours, theirs], ROUNDS)
        return mine, other, ref_out

    def node_ref(self, op: str, wire: Callable[[Any], Any]) -> Reference:
        def ref(chunk: list[Any], opts: dict[str, Any]) -> Timed:
            request = {
                "op": op,
                "inputs": [wire(x) for x in chunk],
                "complete": False,
                "budget_ms": opts["budget_s"] * 1e3,
                "batches": 1,
                "warmup": 1,
            }
            if opts["max_iter"] is not None:
                request["max_iter"] = opts["max_iter"]
            return self.node.call(request)  # type: ignore[return-value]

        return ref

    def compare(
        self, name: str, ref_name: str, ours: Timed, ref: Timed, mine: list[Any], theirs: list[Any]
    ) -> None:
        """Record a comparison after checking equal outputs wherever the reference ran."""
        pairs = [(a, b) for a, b in zip(mine, theirs, strict=True) if b is not None]
        bad = [(a, b) for a, b in pairs if a != b]
        if bad or not pairs:
            raise Mismatch(name, f"{bad[:1]!r} ({len(pairs)} compared)")
        checked = f"equal outputs on the {len(pairs)} inputs the reference ran (ours: {len(mine)})"
        self.add(name, ours, ref, ref_name, checked)

    def versus_node(
        self,
        name: str,
        ours_fn: Callable[[Any], Any],
        inputs: list[Any],
        op: str,
        wire: Callable[[Any], Any],
        show: Callable[[Any], Any],
        one_pass: bool = False,
    ) -> Timed:
        """Time ours and the Node helper on the same inputs; their outputs must be equal."""
        ours, ref, theirs = self.versus(ours_fn, self.node_ref(op, wire), inputs, one_pass)
        self.compare(name, self.node_name, ours, ref, [show(o) for o in ours["outputs"]], theirs)
        return ours

    def add(self, name: str, ours: Timed, ref: Timed, ref_name: str, checked: str) -> None:
        ours_v, ref_v = ours["ms"] * self.per_ms, ref["ms"] * self.per_ms
        self.rows.append(comparison_row(name, self.unit, ours_v, ref_v, ref_name))
        stats = ("ms", "min_ms", "max_ms", "iterations")
        self.details[name] = {
            "ours": {k: sig(ours[k]) if k != "iterations" else ours[k] for k in stats},
            "reference": {k: sig(ref[k]) if k != "iterations" else ref[k] for k in stats},
            "checked": checked,
        }
