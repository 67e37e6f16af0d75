"""Money as Chinese finance writes it: the amount in capitals (大写金额) on receipts."""

from decimal import Decimal

import cn2an


def amount_in_capitals(amount: Decimal) -> str:
    """50 → 伍拾元整, 1234.50 → 壹仟贰佰叁拾肆元伍角 (cn2an's RMB mode)."""
    return cn2an.an2cn(f"{Decimal(amount):.2f}", "rmb")
