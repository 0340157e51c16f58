"""The HTTP wire format between the prover service and the gateway (PROTOCOL §9, x402-style).

`codec` (base64-JSON headers with size limits), `fields` (strict field-element strings),
`required` (402 `PAYMENT-REQUIRED`), `payment` (`PAYMENT-SIGNATURE`), `response`
(`PAYMENT-RESPONSE`), `errors` (one error shape, stable codes).
"""

from prover.wire.codec import MAX_HEADER_BYTES, decode_header, encode_header
from prover.wire.errors import ErrorBody, ErrorCode, ErrorDetail, WireError, http_status
from prover.wire.payment import PaymentPayload, PaymentSignature, signed_payment
from prover.wire.required import CreditTerms, PaymentRequired, PaymentRequirements
from prover.wire.response import PaymentResponse

HEADER_REQUIRED = "PAYMENT-REQUIRED"
HEADER_SIGNATURE = "PAYMENT-SIGNATURE"
HEADER_RESPONSE = "PAYMENT-RESPONSE"
SCHEME = "zk-rln-credit"
X402_VERSION = 2

__all__ = [
    "HEADER_REQUIRED",
    "HEADER_RESPONSE",
    "HEADER_SIGNATURE",
    "MAX_HEADER_BYTES",
    "SCHEME",
    "X402_VERSION",
    "CreditTerms",
    "ErrorBody",
    "ErrorCode",
    "ErrorDetail",
    "PaymentPayload",
    "PaymentRequired",
    "PaymentRequirements",
    "PaymentResponse",
    "PaymentSignature",
    "WireError",
    "decode_header",
    "encode_header",
    "http_status",
    "signed_payment",
]
