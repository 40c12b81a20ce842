"""Writes of selling, one module per concern: `selling` (online sales), `shifts`, `refunds`
(refunds and voids) and `offline` (the device sync). Import the module you need."""
