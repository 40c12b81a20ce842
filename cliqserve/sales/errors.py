"""Domain errors of selling: stable codes from the API contract."""

from __future__ import annotations

from cliqserve.core.errors import DomainError


class ShiftNotOpen(DomainError):
    status_code = 409
    code = "shift_not_open"
    default_detail = "The shift is not open."


class ShiftAlreadyOpen(DomainError):
    status_code = 409
    code = "shift_already_open"
    default_detail = "This device already has an open shift."


class PaymentInsufficient(DomainError):
    status_code = 400
    code = "payment_insufficient"
    default_detail = "The payments do not cover the total."


class RefundExceedsSale(DomainError):
    status_code = 409
    code = "refund_exceeds_sale"
    default_detail = "The refund exceeds what was sold."
