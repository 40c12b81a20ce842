"""Writes to stock, by concern: the ledger every change goes through (`ledger`), stock in and out
at a branch (`stock`), transfers between branches (`transfers`) and low-stock notices
(`low_stock`). Other apps import from here, never from the modules: this is the package's
public surface, and the modules may move behind it.
"""

from .ledger import MAX_QUANTITY
from .low_stock import LOW_STOCK_MAIL, low_stock_mail_send, low_stock_notify
from .stock import (
    DECREMENT_KINDS,
    RETURN_KINDS,
    stock_adjustment_create,
    stock_decrement,
    stock_level_update,
    stock_receipt_create,
    stock_return,
)
from .transfers import (
    TRANSFER_FIELDS,
    stock_transfer_cancel,
    stock_transfer_create,
    stock_transfer_receive,
    stock_transfer_send,
    stock_transfer_update,
)
from .validation import ReceiptLine, StockLine

__all__ = [
    "DECREMENT_KINDS",
    "LOW_STOCK_MAIL",
    "MAX_QUANTITY",
    "RETURN_KINDS",
    "TRANSFER_FIELDS",
    "ReceiptLine",
    "StockLine",
    "low_stock_mail_send",
    "low_stock_notify",
    "stock_adjustment_create",
    "stock_decrement",
    "stock_level_update",
    "stock_receipt_create",
    "stock_return",
    "stock_transfer_cancel",
    "stock_transfer_create",
    "stock_transfer_receive",
    "stock_transfer_send",
    "stock_transfer_update",
]
