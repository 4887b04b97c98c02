"""Tariff Ledger: an open, source-cited record of US tariff negotiations since 2025."""

__version__ = "0.1.0"
