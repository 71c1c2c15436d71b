"""Roo Code: `<globalStorage>/rooveterinaryinc.roo-cline/tasks/<taskId>/ui_messages.json`,
Cline's format, read by Cline's reader (tokenlens.tools.cline.usage).

Read in Roo Code's source (RooCodeInc/Roo-Code @ cb836567180a3ff1da6d082f3178b90c3bd22a70):
`src/shared/globalFileNames.ts` (ui_messages.json, task_metadata.json, history_item.json,
_index.json), `src/package.json` (publisher RooVeterinaryInc, name roo-cline),
`packages/types/src/vscode-extension-host.ts` (ClineApiReqInfo: Cline's fields plus
`apiProtocol: "anthropic" | "openai"`), `packages/types/src/history.ts` (HistoryItem.workspace),
`src/core/task-persistence/TaskHistoryStore.ts` (tasks/<id>/history_item.json),
`src/core/task/Task.ts` updateApiReqMsg and `src/shared/cost.ts`.

tokensIn differs from Cline's: since "Fix cost and token tracking between provider styles"
(416fa5727e, 2025-10-31) Roo writes `costResult.totalInputTokens`, the whole prompt with cache
reads and writes included, for both protocols; before it, tokensIn was the provider's input
(fresh for the Anthropic protocol, the whole prompt for the OpenAI one). So cache reads and
writes are taken out of tokensIn for `apiProtocol: "openai"` and for requests from that day on;
a newer-dated tokensIn smaller than its cache buckets is an older build's fresh figure, kept.
Project: `workspace` in the task's history_item.json, else "".

Not confirmed: the release that first shipped 416fa5727e (the cut-off is the commit's day);
Roo's model per request (its task_metadata.json has no model_usage in what was read: model
is `modelId` when the text has it, else "unknown").
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools import roo_code as where
from tokenlens.tools.cline.usage import Cline
from tokenlens.tools.source import read_json_settings, text

WHOLE_PROMPT_SINCE_MS = int(datetime(2025, 10, 31, tzinfo=UTC).timestamp() * 1000)


class RooCode(Cline):
    id = "roo-code"
    name = "Roo Code"

    def roots(self, env: Env) -> list[Path]:
        return [home / "tasks" for home in where.homes(env)]

    def project(self, task_dir: Path, storage: Path) -> str:
        item = read_json_settings(task_dir / "history_item.json")
        return text(item.get("workspace")) if item else ""

    def fresh_input(self, tokens_in: int, reads: int, writes: int, info: dict, provider: str, ts_ms: int) -> int:
        cached = reads + writes
        whole_prompt = info.get("apiProtocol") == "openai" or ts_ms >= WHOLE_PROMPT_SINCE_MS
        return tokens_in - cached if whole_prompt and tokens_in >= cached else tokens_in
