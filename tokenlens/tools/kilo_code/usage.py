"""Kilo Code (legacy extension): `<globalStorage>/kilocode.kilo-code/tasks/<taskId>/ui_messages.json`,
Roo Code's format, read by Roo Code's reader and so by Cline's (tokenlens.tools.cline.usage).

Read (through the code index, not a full checkout: the repository is too big to fetch) in
Kilo-Org/kilocode: `src/shared/globalFileNames.ts` @ 74d6e4839d20b7b8af79c013e09fe9b1ede35539
(ui_messages.json, task_metadata.json, task_history.json) and `src/shared/cost.ts` @
d93279da84ebf10613b8a988fd42f545b8c5c0c2 (the Anthropic/OpenAI cost split Roo had before its
2025-10-31 change). Roo's rule for tokensIn is applied as is.

Not confirmed: the extension id `kilocode.kilo-code` (from the research notes, not from Kilo's
package.json); the Kilo release that took Roo's whole-prompt tokensIn (a third-party reader says
4.119.0; the date cut-off is Roo's, with the same smaller-than-its-cache check); the
`usageMissing` and `inferenceProvider` fields the notes mention (not read); the project
(history_item.json `workspace`, as in Roo, when present).
"""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools import kilo_code as where
from tokenlens.tools.roo_code.usage import RooCode


class KiloCode(RooCode):
    id = "kilo-code"
    name = "Kilo Code"

    def roots(self, env: Env) -> list[Path]:
        return [home / "tasks" for home in where.homes(env)]
