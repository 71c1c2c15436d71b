"""Aider: its analytics log, the only local record of Aider's token counts.

Aider writes token counts only when asked to: `--analytics-log FILE`, the env var
`AIDER_ANALYTICS_LOG`, or `analytics-log:` in `~/.aider.conf.yml`. Each reply appends one
JSONL `message_send` event (checked against Aider's `aider/analytics.py`):
`{"event": "message_send", "properties": {"main_model", "prompt_tokens",
"completion_tokens", "total_tokens", "cost", "total_cost", ...}, "user_id", "time"}` with
`time` in epoch seconds. Non-numeric properties are written as strings (so `"None"` appears).

Mapping (log_formats.md §9):
- `prompt_tokens` is what Aider "sent": no cache split exists in the log, so it is all
  counted as input; `completion_tokens` is output;
- `cost` is Aider's own estimate of the message (it knows the cache split): kept as the
  reported cost, so cached prompts are not re-priced at the full input price;
- key = (user_id, time, total_cost, prompt, completion): `total_cost` is the session's running
  total, so two replies in the same second still differ; a repeated line counts once;
- a model missing from Aider's model list is logged as `<provider>/REDACTED` or left out.

Not read: `.aider.chat.history.md`. Its token figures are rounded ("12k sent") and have no
timestamps, so they cannot be exact to the token. A relative `analytics-log` path in the
config file is relative to wherever Aider was started and cannot be resolved here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools.source import BadLine, FileContext, JsonlSource, count, iso_to_ms, text

# LiteLLM provider prefixes -> genai-prices provider ids.
PROVIDER_PREFIXES = {
    "anthropic": "anthropic",
    "openai": "openai",
    "gemini": "google",
    "vertex_ai": "google",
    "deepseek": "deepseek",
    "openrouter": "openrouter",
    "xai": "x-ai",
    "mistral": "mistral",
    "bedrock": "aws",
    "azure": "azure",
}
CONFIG_FILES = (".aider.conf.yml", ".aider.conf.yaml")


class Aider(JsonlSource):
    id = "aider"
    name = "Aider"
    line_markers = (b"message_send",)
    patterns = ("*.jsonl", "*.log")

    def roots(self, env: Env) -> list[Path]:
        paths = env.path_list("AIDER_ANALYTICS_LOG")
        for config in CONFIG_FILES:
            configured = _configured_log(env.home / config, env.home)
            if configured is not None and configured not in paths:
                paths.append(configured)
        return paths

    def parse_line(self, obj: dict, state: dict[str, Any], ctx: FileContext) -> list[UsageEvent]:
        if obj.get("event") != "message_send":
            return []
        props = obj.get("properties")
        if not isinstance(props, dict):
            raise BadLine("message_send without properties")
        seconds = obj.get("time")
        ts_ms = iso_to_ms(seconds)
        prompt = count(props.get("prompt_tokens"), "prompt_tokens")
        completion = count(props.get("completion_tokens"), "completion_tokens")
        if not (prompt or completion):
            return []
        model = _model(props.get("main_model"))
        return [
            UsageEvent(
                tool=self.id,
                event_key=f"{text(obj.get('user_id'))}:{seconds}:{props.get('total_cost')}:{prompt}:{completion}",
                ts_ms=ts_ms,
                model=model,
                provider=_provider(model),
                input_tokens=prompt,
                output_tokens=completion,
                reported_cost_usd=_cost(props.get("cost")),
            )
        ]


def _configured_log(config: Path, home: Path) -> Path | None:
    """`analytics-log:` from an Aider YAML config, if it names an absolute or ~ path."""
    try:
        if not config.is_file():
            return None
        import yaml

        data = yaml.safe_load(config.read_text(encoding="utf-8", errors="replace"))
    except Exception:  # an unreadable file or invalid YAML names no log path
        return None
    value = data.get("analytics-log") if isinstance(data, dict) else None
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if value == "~" or value.startswith("~/"):
        return home / value[2:]
    path = Path(value)
    return path if path.is_absolute() else None


def _model(value: Any) -> str:
    name = value if isinstance(value, str) else ""
    return name if name and name != "None" else "unknown"


def _provider(model: str) -> str:
    prefix, _, rest = model.partition("/")
    return PROVIDER_PREFIXES.get(prefix, "") if rest else ""


def _cost(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e9:
        return float(value)
    return None
