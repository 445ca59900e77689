"""invoices endpoints (see API-NOTES)."""

from __future__ import annotations
