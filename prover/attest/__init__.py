"""TEE attestation of the provider's gateway (Intel TDX): quotes, verification, policy, binding.

Zero-knowledge payments hide who calls; a gateway running in an attested trust domain lets a
client also check *what runs* on the other side (docs/tee.md). One concept per module:

- `binding`: the `report_data` a quote must carry (server key, vault, chain, gateway key);
- `gateway_key`: the gateway's TLS public key or onion address, hashed;
- `quote`: strict framing of a TDX quote, its measurements and `report_data`;
- `collateral`: Intel's collateral in dcap-qvl's JSON shape;
- `verify`: dcap-qvl verification at a given time (signatures, chain, collateral time);
- `policy`: accepted TCB statuses (default: only UpToDate);
- `pins`: measurement pins (MRTD, RTMR0-3 and the image they come from);
- `appraise`: all checks in order, and the `Verdict` naming the failed one;
- `evidence`: the attestation document a gateway serves and a validation request commits to;
- `route`: the gateway's `GET /.well-known/zkcredits/attestation`;
- `fetch`, `require`: the client side (`require_tee`), cached by quote hash;
- `tsm`: quote generation through Linux configfs-tsm (written to the kernel's documented ABI,
  never run on TDX hardware here);
- `registry`, `registration`, `validator`: the ERC-8004 validator (`zkcredits validator run`).

`_dcap` is the only module that calls dcap-qvl. Errors: `errors` (root `AttestError`).
"""
