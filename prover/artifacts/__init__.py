"""The build's products, shipped inside the package: contract ABIs and bytecode, circuit wasm,
dev verifying keys, verifier codehashes and the circuit instances.

`scripts/build_artifacts.py` (`prover.toolchain.artifact_build`) writes them to
`prover/artifacts/data/` (git-ignored, never edited by hand); `packaged.py` reads them through
`importlib.resources`, so an installed wheel runs without the source checkout.
"""
