"""Continue (continue.dev: the VS Code / JetBrains extension and its `cn` CLI): no provider
token counts on this computer, only estimates; its folder says whether it is installed.

Where: `$CONTINUE_GLOBAL_DIR`, else `~/.continue` (continuedev/continue core/util/paths.ts
`getContinueGlobalPath`; extensions/cli/src/session.ts `getSessionDir` @
09deed45dd252ad5d9abee478ac120551a41699f).

Why nothing is read (continuedev/continue):
- The extension's dev data (`dev_data/<schema>/tokensGenerated.jsonl`, `dev_data/devdata.sqlite`):
  core/llm/index.ts `_logEnd` @ 00985d3a5c219de9d14da9dad753712284c7077a writes `promptTokens`
  and `generatedTokens` as `this.countTokens(prompt)` / `this.countTokens(completion)`, Continue's
  own tokenizer over the text, whatever the provider reported (the provider's `usage` is passed
  only to `interaction?.logItem`, not to dev data): estimates, with no cache split.
  shared/specs/new_tools.md (Continue, H) says the same from @ d0a3c0b626b5bebc3bef4742eec05a0242be0bab.
- The `cn` CLI's `sessions/<id>.json`: extensions/cli/src/session.ts `trackUsage` keeps one
  running `usage` per session ({totalCost, promptTokens, completionTokens,
  promptTokensDetails{cachedTokens, cacheWriteTokens}}), fed by
  extensions/cli/src/stream/streamChatResponse.helpers.ts `recordStreamTelemetry` with the
  provider's usage when the stream carried one and otherwise with the CLI's own counts at a
  fallback price of $1/$2 per million tokens; the file does not say which, and has no time per
  request. A session total that may be an estimate is not shown as a count.

Not confirmed: whether `promptTokens` there includes the cached tokens for every provider
Continue's openai-adapters translate (it does in the OpenAI shape).
"""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    configured = env.get("CONTINUE_GLOBAL_DIR")
    return [Path(configured)] if configured else [env.home / ".continue"]


WHY_NO_LOCAL_DATA = ("Continue keeps no provider token counts locally: its dev data counts tokens with its "
                     "own tokenizer, and the cn CLI keeps one session total that may be an estimate")

TOOL = Tool(__name__, "continue", "Continue", homes, why_no_local_data=WHY_NO_LOCAL_DATA)
