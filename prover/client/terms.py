"""Checking a gateway's 402 terms against the values pinned from its vault (PROTOCOL §9).

The client fetches `PAYMENT-REQUIRED` once per gateway (a request without payment and without a
body) and refuses to pay unless every value equals what discovery read from the vault on chain;
`TermsMismatchError.field` names the first value that differs. Roots never come from the gateway.
"""

from __future__ import annotations

from prover.client.errors import TermsMismatchError
from prover.client.profile import ProviderPin
from prover.wire import SCHEME, PaymentRequired
from prover.wire.required import CreditTerms, PaymentRequirements


def _same(field: str, pinned: object, offered: object) -> None:
    if pinned != offered:
        raise TermsMismatchError(
            f"gateway offers {field} = {offered!r} but the vault pins {pinned!r}", field=field
        )


def matching_offer(required: PaymentRequired, pin: ProviderPin) -> PaymentRequirements:
    """The `accepts[]` entry for our scheme and network, checked value by value."""
    network = f"eip155:{pin.service.chain_id}"
    offers = [a for a in required.accepts if a.scheme == SCHEME and a.network == network]
    if not offers:
        raise TermsMismatchError(
            f"the gateway accepts no {SCHEME} payment on {network}", field="accepts"
        )
    offer = offers[0]
    service = pin.service
    _same("payTo", service.vault_address.lower(), offer.pay_to.lower())
    _same("amount", str(service.c_max * service.unit), offer.amount)
    _same("asset", pin.asset.lower(), offer.asset.lower())
    check_terms(offer.extra, pin)
    return offer


def check_terms(terms: CreditTerms, pin: ProviderPin) -> None:
    service = pin.service
    _same("extra.service_id", service.service_id, terms.service_id)
    _same("extra.unit", service.unit, terms.unit)
    _same("extra.c_max", service.c_max, terms.c_max)
    _same("extra.reserve", service.reserve, terms.reserve)
    _same("extra.penalty_max", service.penalty_max, terms.penalty_max)
    _same("extra.server_pk", service.server_pk, terms.server_pk)
    pinned_hash = pin.price_schedule.schedule_hash()
    _same("extra.price_schedule_hash", pinned_hash, terms.price_schedule_hash)
    _same("extra.price_schedule", pinned_hash, terms.price_schedule.schedule_hash())
    _same("extra.vk_hashes.request", pin.vk_hashes.request, terms.vk_hashes.request)
    _same("extra.vk_hashes.withdraw", pin.vk_hashes.withdraw, terms.vk_hashes.withdraw)
    _same("extra.vk_hashes.slash", pin.vk_hashes.slash, terms.vk_hashes.slash)
    _same("extra.root_epoch", pin.root_epoch, terms.root_epoch)
    _same("extra.root_ttl", pin.root_ttl, terms.root_ttl)
