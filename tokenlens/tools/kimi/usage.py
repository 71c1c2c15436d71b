"""Kimi CLI: `<share dir>/sessions/<md5(work dir)>/<session id>/wire.jsonl`, and each subagent's
`<session dir>/subagents/<agent id>/wire.jsonl`.

Confirmed against github:MoonshotAI/kimi-cli (HEAD 4a550ef, 2026-07-16):
- share dir `$KIMI_SHARE_DIR`, else `~/.kimi` (src/kimi_cli/share.py); the sessions folder is
  `md5(work dir path)`, prefixed `<kaos>_` for a non-local KAOS, and `kimi.json` lists
  `work_dirs[].path` (+ `kaos`), which is how the project is found here
  (src/kimi_cli/metadata.py); subagents' wire files (src/kimi_cli/subagents/store.py);
- line 1 `{"type": "metadata", "protocol_version"}`, then `{"timestamp": <epoch seconds,
  float>, "message": {"type", "payload"}}` written by `json.dumps` (src/kimi_cli/wire/file.py);
- each LLM step sends one `StatusUpdate(token_usage=usage, message_id=result.id)`
  (src/kimi_cli/soul/kimisoul.py); other StatusUpdates (`/compact`, `/clear`, plan mode, MCP
  status) carry `token_usage: null` (src/kimi_cli/soul/slash.py, wire/types.py);
- `token_usage {input_other, output, input_cache_read, input_cache_creation}`: `input_other`
  excludes both cache buckets, `output` is all output (packages/kosong/src/kosong/
  chat_provider/__init__.py `TokenUsage`);
- `/fork` and `/undo` write a new session dir whose wire.jsonl is a verbatim copy of the
  source's lines up to a turn (src/kimi_cli/session_fork.py). The event key is the step's
  `message_id` alone (no session, no path), so a copied step is one event wherever it is
  read; a step without a message_id (`result.id` may be None) is keyed on its timestamp and
  counts, which the copy also keeps.
- A subagent's events also reach the parent's wire nested in a `SubagentEvent`; only
  top-level StatusUpdates are read, so they count once (from the subagent's own file).

Not confirmed / not read:
- the model: a step record does not name it and the session state has no model field
  (src/kimi_cli/session_state.py); `config.toml`'s `default_model` is today's default, not
  necessarily the session's (`--model`, `/model`), so the model is "unknown" and no cost is
  computed;
- the usage of the compaction call (no token_usage is sent for it);
- Kimi Code (the successor, `$KIMI_CODE_HOME` / `~/.kimi-code`, `usage.record` lines): only
  third-party readers describe it; its own source or package was not found, so it is not read.
"""

from __future__ import annotations

from hashlib import md5
from pathlib import Path
from typing import Any

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import kimi as where
from tokenlens.tools.source import (
    BadLine,
    FileContext,
    JsonlSource,
    count,
    iso_to_ms,
    read_json_settings,
    text,
)


class Kimi(JsonlSource):
    id = "kimi-cli"
    name = "Kimi CLI"
    line_markers = (b'"token_usage"',)
    patterns = ("wire.jsonl",)

    def __init__(self) -> None:
        self._work_dirs: dict[Path, dict[str, str]] = {}

    def roots(self, env: Env) -> list[Path]:
        return [home / "sessions" for home in where.homes(env)]

    def new_state(self) -> dict[str, Any]:
        return {"session": None, "project": None}

    def parse_line(self, obj: dict, state: dict[str, Any], ctx: FileContext) -> list[UsageEvent]:
        message = obj.get("message")
        if not isinstance(message, dict) or message.get("type") != "StatusUpdate":
            return []
        payload = message.get("payload")
        if not isinstance(payload, dict):
            raise BadLine("StatusUpdate without a payload")
        usage = payload.get("token_usage")
        if usage is None:
            return []
        if not isinstance(usage, dict):
            raise BadLine("token_usage is not an object")
        fresh = count(usage.get("input_other"), "input_other")
        output = count(usage.get("output"), "output")
        cache_read = count(usage.get("input_cache_read"), "input_cache_read")
        cache_write = count(usage.get("input_cache_creation"), "input_cache_creation")
        if not (fresh or output or cache_read or cache_write):
            return []
        ts_ms = iso_to_ms(obj.get("timestamp"))
        if state.get("session") is None:
            state["session"], state["project"] = self._where(ctx)
        message_id = text(payload.get("message_id"))
        key = message_id or f"t{obj.get('timestamp')!r}:{fresh}:{output}:{cache_read}:{cache_write}"
        return [
            UsageEvent(
                tool=self.id,
                event_key=key,
                ts_ms=ts_ms,
                model="unknown",
                session_id=state["session"],
                project=state["project"],
                input_tokens=fresh,
                cache_read_tokens=cache_read,
                cache_write_5m_tokens=cache_write,
                output_tokens=output,
            )
        ]

    def _where(self, ctx: FileContext) -> tuple[str, str]:
        """(session id, work dir) of `<sessions>/<hash>/<session>/[subagents/<id>/]wire.jsonl`."""
        sessions = ctx.root if ctx.root is not None and ctx.root in ctx.path.parents else None
        if sessions is None:
            sessions = next((p for p in ctx.path.parents if p.name == "sessions"), ctx.path.parent)
        try:
            parts = ctx.path.relative_to(sessions).parts
        except ValueError:
            parts = ()
        if len(parts) < 3:
            return ctx.path.parent.name, ""
        return parts[1], self._work_dirs_of(sessions.parent).get(parts[0], "")

    def _work_dirs_of(self, share_dir: Path) -> dict[str, str]:
        """{sessions folder name: work dir} from `kimi.json`, read once per share dir."""
        found = self._work_dirs.get(share_dir)
        if found is None:
            found = {}
            data = read_json_settings(share_dir / "kimi.json") or {}
            entries = data.get("work_dirs")
            for entry in entries if isinstance(entries, list) else []:
                path = entry.get("path") if isinstance(entry, dict) else None
                if isinstance(path, str) and path:
                    digest = md5(path.encode("utf-8")).hexdigest()
                    kaos = entry.get("kaos")
                    found[digest if kaos in (None, "local") else f"{kaos}_{digest}"] = path
            self._work_dirs[share_dir] = found
        return found
