"""Writers of log lines in the tools' real on-disk formats, for fixtures built in tests.

Each returns the exact bytes a tool would append; tests compute expected totals by hand or
from the arguments they pass, never from the parser under test.
"""

from __future__ import annotations

import json
from pathlib import Path

CANARY = "CANARY-7f3e9b-do-not-store"


def append(path: Path, *lines: dict | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        for line in lines:
            fh.write(line if isinstance(line, str) else json.dumps(line) + "\n")


def claude_user(ts: str, session: str, cwd: str = "/home/me/proj", text: str = CANARY) -> dict:
    return {
        "type": "user", "timestamp": ts, "sessionId": session, "cwd": cwd, "version": "2.1.40",
        "uuid": f"u-{ts}", "message": {"role": "user", "content": f"please {text} fix it"},
    }


def claude_assistant(
    ts: str, session: str, msg_id: str, req_id: str | None, *, model: str = "claude-sonnet-4-5-20250929",
    inp: int = 0, out: int = 0, cr: int = 0, cw: int = 0, cw_1h: int | None = None, stop: str | None = "end_turn",
    sidechain: bool = False, cwd: str = "/home/me/proj", text: str = CANARY, **extra,
) -> dict:
    usage = {"input_tokens": inp, "output_tokens": out, "cache_read_input_tokens": cr,
             "cache_creation_input_tokens": cw, "service_tier": "standard"}
    if cw_1h is not None:
        usage["cache_creation"] = {"ephemeral_5m_input_tokens": cw - cw_1h, "ephemeral_1h_input_tokens": cw_1h}
    line = {
        "type": "assistant", "timestamp": ts, "sessionId": session, "cwd": cwd, "version": "2.1.40",
        "isSidechain": sidechain, "uuid": f"a-{msg_id}-{ts}",
        "message": {"id": msg_id, "type": "message", "role": "assistant", "model": model,
                    "content": [{"type": "text", "text": f"answer about {text}"}],
                    "stop_reason": stop, "usage": usage},
    }
    if req_id is not None:
        line["requestId"] = req_id
    line.update(extra)
    return line


def codex_meta(ts: str, session: str, cwd: str = "/home/me/proj", **payload) -> dict:
    return {"timestamp": ts, "type": "session_meta",
            "payload": {"id": session, "cwd": cwd, "cli_version": "0.60.0", "originator": "codex_cli_rs",
                        "model_provider": "openai", "instructions": CANARY, **payload}}


def codex_turn(ts: str, model: str = "gpt-5.2-codex", cwd: str = "/home/me/proj") -> dict:
    return {"timestamp": ts, "type": "turn_context", "payload": {"cwd": cwd, "model": model, "effort": "high"}}


def codex_user(ts: str, text: str = CANARY) -> dict:
    return {"timestamp": ts, "type": "response_item",
            "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}}


def codex_tokens(ts: str, total: tuple[int, int, int, int] | None, last: tuple[int, int, int, int] | None) -> dict:
    def vec(v):
        if v is None:
            return None
        i, c, o, r = v
        return {"input_tokens": i, "cached_input_tokens": c, "output_tokens": o,
                "reasoning_output_tokens": r, "total_tokens": i + o}

    return {"timestamp": ts, "type": "event_msg",
            "payload": {"type": "token_count",
                        "info": {"total_token_usage": vec(total), "last_token_usage": vec(last),
                                 "model_context_window": 272000},
                        "rate_limits": {"primary": {"used_percent": 12.0, "window_minutes": 300}}}}
