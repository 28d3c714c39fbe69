"""Amounts of money as Stripe keeps them (whole units of the currency's smallest coin, e.g. pence)
and as people read them, in the currency they are in."""

from __future__ import annotations

SYMBOLS = {"gbp": "£", "eur": "€", "usd": "$"}
# Stripe's zero-decimal currencies: an amount in them is whole units, not hundredths.
ZERO_DECIMAL = frozenset(
    ("bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga")
    + ("pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf")
)


def major_units(amount: int, currency: str = "gbp") -> float:
    """2.5 for 250 pence; 500 for 500 yen."""
    return float(amount) if currency.lower() in ZERO_DECIMAL else amount / 100


def money(amount: int, currency: str = "gbp") -> str:
    """ "£2.50", "€1,000.00", "-£3.00"; other currencies by their ISO code ("CHF 2.50")."""
    currency = (currency or "gbp").lower()
    whole, cents = divmod(abs(amount), 1 if currency in ZERO_DECIMAL else 100)
    number = f"{whole:,}" if currency in ZERO_DECIMAL else f"{whole:,}.{cents:02d}"
    sign = "-" if amount < 0 else ""
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{currency.upper()} {number}"
