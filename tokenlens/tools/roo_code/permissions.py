"""Roo Code's MCP servers and their auto-approved tools: `<extension storage>/settings/mcp_settings.json`,
Cline's shape (a fork of Cline), read by Cline's scanner."""

from __future__ import annotations

from tokenlens.permissions.base import ScanContext
from tokenlens.tools import roo_code as where
from tokenlens.tools.cline.permissions import SETTINGS, scan_mcp_settings  # noqa: F401 - the hints' setting

TOOL = "roo-code"


def scan(ctx: ScanContext) -> None:
    scan_mcp_settings(ctx, TOOL, where.homes(ctx.env), "mcp_settings.json")
