"""The app's settings, persisted with `tokenlens.config.load_settings/save_settings`.

Other features keep their own keys in the same file, so every write re-reads the file and
changes only the keys given (never a stale whole-dict overwrite).
"""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import disabled_in, load_settings, save_settings

TZ = "tz"
AUTOSTART = "autostart"
DAILY_THRESHOLD = "daily_threshold_tokens"
WELCOMED = "welcomed"
# The newest permissions snapshot the person was told about: a notification per new
# snapshot, not per rescan, and not again after a restart.
NOTIFIED_PERMISSION_SCAN = "notified_permission_scan"


class AppSettings:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._values = load_settings(data_dir)

    def reload(self) -> None:
        self._values = load_settings(self.data_dir)

    def update(self, **changes) -> None:
        current = load_settings(self.data_dir)
        current.update(changes)
        save_settings(self.data_dir, current)
        self._values = current

    def get(self, key: str):
        """A feature's own key (e.g. app/limits_view.py's), as stored."""
        return self._values.get(key)

    def disabled_sources(self) -> list[str]:
        return sorted(disabled_in(self._values))

    def tz(self) -> str | None:
        value = self._values.get(TZ)
        return value if isinstance(value, str) and value else None

    def autostart(self) -> bool:
        return self._values.get(AUTOSTART) is True

    def daily_threshold(self) -> int | None:
        value = self._values.get(DAILY_THRESHOLD)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        return None

    def welcomed(self) -> bool:
        return self._values.get(WELCOMED) is True

    def notified_permission_scan(self) -> int | None:
        value = self._values.get(NOTIFIED_PERMISSION_SCAN)
        return value if isinstance(value, int) and not isinstance(value, bool) else None
