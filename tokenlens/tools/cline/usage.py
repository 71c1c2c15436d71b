"""Cline: `<globalStorage>/saoudrizwan.claude-dev/tasks/<taskId>/ui_messages.json` in each
VS Code-family editor, and `~/.cline/data/tasks/<taskId>/ui_messages.json` (Cline CLI).

Read in Cline's own source (cline/cline @ 21cb8d2525bcedf1f4b6890b27a74a14fe7451e4, and the
pre-SDK tree at 9ee618111d58630fea30b27439216448225458e0, the parent of "Move vscode to apps"):
- file names and layout: `apps/vscode/src/core/storage/disk.ts` (GlobalFileNames: tasks/<id>/
  ui_messages.json, task_metadata.json; `getGlobalStorageDir` = the host's globalStorageFsPath;
  `saveClineMessages` writes the whole array with `atomicWriteFile`; state/taskHistory.json);
  `apps/vscode/src/hosts/vscode/vscode-to-file-migration.ts` (in VS Code tasks stay under the
  editor's globalStorage, not ~/.cline/data); `apps/vscode/src/sdk/legacy-state-reader.ts` and
  `apps/vscode/src/shared/storage/storage-context.ts` (the CLI's data dir: CLINE_DATA_DIR, else
  CLINE_DIR/data, else ~/.cline/data, same tasks/<id>/ layout);
- the record: `apps/vscode/src/shared/ExtensionMessage.ts` (ClineMessage {ts, type, say, text,
  modelInfo?}; ClineApiReqInfo {request, tokensIn, tokensOut, cacheWrites, cacheReads, cost,
  cancelReason, streamingFailedMessage}; ClineSubagentUsageInfo for `say: "subagent_usage"`);
  `src/core/task/utils.ts` `updateApiReqMsg` fills the api_req_started text when a stream ends
  or is cancelled (cancelReason with what was counted so far); `src/core/task/index.ts` first
  writes a placeholder `{request}` (no usage: not an event);
- tokensIn: each provider's `type: "usage"` chunk (`src/core/api/providers/*.ts`). Anthropic,
  Vertex, OpenRouter, Gemini, DeepSeek, OpenAI native and most others give fresh input with
  cache reads/writes apart; the OpenAI-compatible family (openai, litellm, lmstudio, xai, zai,
  fireworks, doubao, qwen, hicap, oca) passes `prompt_tokens`, which includes the cached part.
  For those provider ids (the message's modelInfo, else task_metadata.json) the cache buckets
  are taken out of tokensIn. The SDK path (`apps/vscode/src/sdk/message-translator.ts`
  normalizeUsageEvent) writes disjoint buckets too.
- model: `modelInfo.modelId` on the message when present, else the task_metadata.json
  `model_usage` entry {ts, model_id, model_provider_id} in force at the request's ts
  (`src/core/context/context-tracking/ContextTrackerTypes.ts`), else "unknown";
- project: the task's `cwdOnTaskInitialization` in `state/taskHistory.json`
  (`src/core/task/message-state.ts`), else "".

Key (taskId, message ts): a rewrite of the file (it is rewritten whole on every save) upserts
the same events. `cost` is Cline's own figure (provider-reported, else its price table) and
is kept as the reported cost. `deleted_api_reqs` (the sum of requests a checkpoint restore
removed) is not counted: those requests were counted when read before the restore.

Not confirmed: whether the SDK-based builds (2026) still write ui_messages.json for new tasks
(`sdk-task-control-coordinator.ts` says SDK session persistence owns history; its session
store was not read); provider ids are the providers' file names, not checked one by one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import orjson

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import cline as where
from tokenlens.tools.source import (
    RECORD_ERRORS,
    BadLine,
    FileContext,
    SnapshotSource,
    count,
    iso_to_ms,
    read_json_settings,
    text,
)

UNKNOWN_MODEL = "unknown"
USAGE_SAYS = ("api_req_started", "subagent_usage")
USAGE_FIELDS = ("tokensIn", "tokensOut", "cacheWrites", "cacheReads", "cost")
# Cline providers whose tokensIn is the whole prompt, cache included (see the docstring).
PROMPT_INCLUDES_CACHE = frozenset(
    {"openai", "litellm", "lmstudio", "xai", "zai", "fireworks", "doubao", "qwen", "hicap", "oca"})
MAX_HISTORY_BYTES = 64 << 20


class Cline(SnapshotSource):
    """The reader Roo Code and Kilo Code reuse: they differ in ids, homes and `fresh_input`."""

    id: ClassVar[str] = "cline"
    name: ClassVar[str] = "Cline"
    patterns = ("ui_messages.json",)

    def __init__(self) -> None:
        self._history: dict[Path, tuple[tuple[int, int], dict[str, str]]] = {}

    def roots(self, env: Env) -> list[Path]:
        return [home / "tasks" for home in where.homes(env)]

    def companion_files(self, path: Path) -> tuple[Path, ...]:
        return (path.with_name("task_metadata.json"),)

    # ---- what differs between Cline and its forks ---------------------------------------

    def project(self, task_dir: Path, storage: Path) -> str:
        """The task's workspace folder: Cline keeps it in state/taskHistory.json."""
        return self._task_history(storage / "state" / "taskHistory.json").get(task_dir.name, "")

    def fresh_input(self, tokens_in: int, reads: int, writes: int, info: dict, provider: str, ts_ms: int) -> int:
        if provider in PROMPT_INCLUDES_CACHE:
            return max(0, tokens_in - reads - writes)
        return tokens_in

    # ---- the shared reader ------------------------------------------------------------------

    def read_snapshot(self, path: Path, ctx: FileContext) -> tuple[list[UsageEvent], int]:
        try:
            messages = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            return [], 1  # damaged: the next save rewrites it whole and it is read again
        if not isinstance(messages, list):
            return [], 1
        task_dir = path.parent
        task_id = task_dir.name
        storage = ctx.root.parent if ctx.root is not None else task_dir.parent.parent
        models = _model_usage(task_dir / "task_metadata.json")
        project = self.project(task_dir, storage)
        events, bad = [], 0
        for message in messages:
            if not isinstance(message, dict) or message.get("type") != "say" or message.get("say") not in USAGE_SAYS:
                continue
            try:
                event = self._event(message, task_id, project, models)
            except RECORD_ERRORS:
                bad += 1
                continue
            if event is not None:
                events.append(event)
        return events, bad

    def _event(self, message: dict, task_id: str, project: str, models: list[tuple[int, str, str]]) -> UsageEvent | None:
        raw = message.get("text")
        if not isinstance(raw, str):
            raise BadLine("usage text missing")
        try:
            info = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise BadLine("usage text is not JSON") from exc
        if not isinstance(info, dict):
            raise BadLine("usage text is not an object")
        if not any(field in info for field in USAGE_FIELDS):
            return None  # the placeholder written before the request starts
        ts = message.get("ts")
        if isinstance(ts, bool) or not isinstance(ts, int | float):
            raise BadLine("ts missing")
        ts_ms = iso_to_ms(ts)
        model_info = message.get("modelInfo") if isinstance(message.get("modelInfo"), dict) else {}
        used_model, used_provider = _model_at(models, ts_ms)
        model = text(info.get("modelId")) or text(model_info.get("modelId")) or used_model or UNKNOWN_MODEL
        provider = text(info.get("providerId")) or text(model_info.get("providerId")) or used_provider
        reads = count(info.get("cacheReads"), "cacheReads")
        writes = count(info.get("cacheWrites"), "cacheWrites")
        tokens_in = count(info.get("tokensIn"), "tokensIn")
        output = count(info.get("tokensOut"), "tokensOut")
        cost = _cost(info.get("cost"))
        if not (tokens_in or reads or writes or output) and cost is None:
            return None  # a request that ended before any usage was reported
        suffix = ":subagents" if message.get("say") == "subagent_usage" else ""
        return UsageEvent(
            tool=self.id,
            event_key=f"{task_id}:{int(ts_ms)}{suffix}",
            ts_ms=ts_ms,
            model=model,
            session_id=task_id,
            project=project,
            provider=provider,
            input_tokens=self.fresh_input(tokens_in, reads, writes, info, provider, ts_ms),
            cache_read_tokens=reads,
            cache_write_5m_tokens=writes,
            output_tokens=output,
            reasoning_tokens=count(info.get("reasoningTokens"), "reasoningTokens") if "reasoningTokens" in info else 0,
            reported_cost_usd=cost,
        )

    def _task_history(self, path: Path) -> dict[str, str]:
        """{task id: workspace folder} from a task list file, read again only when it changes."""
        try:
            st = os.stat(path)
        except OSError:
            return {}
        stamp = (st.st_size, st.st_mtime_ns)
        cached = self._history.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        found: dict[str, str] = {}
        if st.st_size <= MAX_HISTORY_BYTES:
            try:
                items = orjson.loads(path.read_bytes())
            except (OSError, orjson.JSONDecodeError):
                items = None
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and text(item.get("id")):
                    found[item["id"]] = text(item.get("cwdOnTaskInitialization")) or text(item.get("workspace"))
        self._history[path] = (stamp, found)
        return found


def _model_usage(path: Path) -> list[tuple[int, str, str]]:
    """(ts ms, model id, provider id) of task_metadata.json's model_usage, oldest first."""
    meta = read_json_settings(path)
    entries = meta.get("model_usage") if meta else None
    found = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not text(entry.get("model_id")):
            continue
        ts = entry.get("ts")
        ts = ts if isinstance(ts, int | float) and not isinstance(ts, bool) else 0
        found.append((ts, entry["model_id"], text(entry.get("model_provider_id"))))
    found.sort(key=lambda e: e[0])
    return found


def _model_at(models: list[tuple[int, str, str]], ts_ms: int) -> tuple[str, str]:
    """The model in use at `ts_ms`: the last one chosen at or before it (else the first)."""
    if not models:
        return "", ""
    chosen = models[0]
    for entry in models:
        if entry[0] <= ts_ms:
            chosen = entry
    return chosen[1], chosen[2]


def _cost(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value and value > 0:
        return float(value)
    return None
