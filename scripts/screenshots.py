"""Take the README/AppStream screenshots of the popup and the main window's tabs.

Generates a realistic 8-week history of Claude Code and Codex logs (their real JSONL
formats) in a throwaway HOME, runs the real app on it and saves what the widgets render.

    Xvfb :99 -screen 0 1400x900x24 -nolisten tcp &
    DISPLAY=:99 trayer --edge top --align right --widthtype pixel --width 160 --height 32 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb .venv/bin/python scripts/screenshots.py [OUT_DIR] [--theme light|dark|both]

Each view at the window's default size: Overview (30 days and the last year), Sessions and
one session's detail, Permissions, Export, Settings, the popup, and the welcome dialog of a
computer with no AI tool yet; light, and dark ("-dark").

(QT_QPA_PLATFORM=offscreen works too; Xvfb gives the same fonts as a desktop session, and
trayer a tray, so the app runs as on a desktop instead of in its no-tray fallback.)
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.logs import append, claude_assistant, codex_meta, codex_tokens, codex_turn  # noqa: E402

PROJECTS = ["/home/me/src/billing-api", "/home/me/src/web-frontend", "/home/me/src/infra", "/home/me/notes", "/home/me/src/mobile-app"]
CLAUDE_MODELS = ["claude-sonnet-4-5-20250929"] * 4 + ["claude-opus-4-1-20250805", "claude-haiku-4-5-20251001"]
CODEX_MODELS = ["gpt-5-codex", "gpt-5"]
TOOL_CALLS = [("Read", {"file_path": "src/app.py"}), ("Edit", {"file_path": "src/app.py", "old_string": "a", "new_string": "b"}),
              ("Bash", {"command": "npm test"}), ("Grep", {"pattern": "TODO"}), ("Bash", {"command": "git status"}),
              ("WebFetch", {"url": "https://docs.example.com", "prompt": "summary"}), ("Bash", {"command": "rm -rf dist"})]


def stamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def generate(home: Path, days: int = 56, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = datetime.now().astimezone()
    for back in range(days, -1, -1):
        day = (now - timedelta(days=back)).replace(hour=0, minute=0, second=0, microsecond=0)
        weekend = day.weekday() >= 5
        sessions = 2 if back == 0 else rng.choice([0, 0, 1]) if weekend else rng.randint(1, 4)
        for n in range(sessions):
            start = day + timedelta(hours=rng.choice([9, 10, 11, 14, 15, 16, 20]), minutes=rng.randint(0, 50))
            if back == 0:  # today: sessions that ended within the last hours, whatever the time
                start = now - timedelta(hours=1 + 1.5 * n, minutes=rng.randint(0, 30))
            project = rng.choice(PROJECTS[:3] if rng.random() < 0.8 else PROJECTS)
            if rng.random() < 0.72:
                claude_session(home, rng, start, project, f"{back}-{n}", now)
            else:
                codex_session(home, rng, start, project, f"{back}-{n}", now)


def agent_configs(home: Path, later: bool = True) -> None:
    """Permission settings in the tools' real config files, for the Permissions tab. Written
    once before the app starts and again (`later`) with two more rules, so the tab's change
    history has something to show."""
    allow = ["Bash(npm run test:*)", "Bash(git push:*)", "WebFetch"]
    if later:
        allow += ["Bash(curl:*)", "Read(~/.ssh/**)"]
    claude = home / ".claude" / "settings.json"
    claude.parent.mkdir(parents=True, exist_ok=True)
    claude.write_text(json.dumps({
        "permissions": {"defaultMode": "acceptEdits", "allow": allow, "deny": ["Bash(rm -rf:*)"]},
    }, indent=2))
    codex = home / ".codex" / "config.toml"
    codex.parent.mkdir(parents=True, exist_ok=True)
    codex.write_text('approval_policy = "never"\nsandbox_mode = "danger-full-access"\n\n'
                     '[mcp_servers.github]\ncommand = "github-mcp"\n')


def claude_session(home: Path, rng: random.Random, start: datetime, project: str, tag: str, now: datetime) -> None:
    session = f"c0ffee00-0000-4000-8000-{abs(hash(tag)) % 10**12:012d}"
    path = home / ".claude" / "projects" / ("-" + project.strip("/").replace("/", "-")) / f"{session}.jsonl"
    model = rng.choice(CLAUDE_MODELS)
    context = rng.randint(8_000, 20_000)
    t = start
    for i in range(rng.randint(8, 60)):
        t += timedelta(seconds=rng.randint(20, 240))
        if t > now:
            break
        new = rng.randint(200, 3_000)
        line = claude_assistant(stamp(t), session, f"msg_{tag}_{i}", f"req_{tag}_{i}", model=model,
                                inp=rng.randint(3, 40), cr=context, cw=new, out=rng.randint(80, 1_800), cwd=project)
        if rng.random() < 0.6:  # the agent's tool calls, for "What agents did" and a session's detail
            line["message"]["content"] = [
                {"type": "tool_use", "id": f"toolu_{tag}_{i}_{k}", "name": name, "input": tool_input}
                for k, (name, tool_input) in enumerate(rng.sample(TOOL_CALLS, rng.randint(1, 3)))
            ]
        append(path, line)
        context += new


def codex_session(home: Path, rng: random.Random, start: datetime, project: str, tag: str, now: datetime) -> None:
    session = f"0199aaaa-bbbb-7ccc-8ddd-{abs(hash(tag)) % 10**12:012d}"
    folder = home / ".codex" / "sessions" / f"{start:%Y}" / f"{start:%m}" / f"{start:%d}"
    path = folder / f"rollout-{start:%Y-%m-%dT%H-%M-%S}-{session}.jsonl"
    append(path, codex_meta(stamp(start), session, cwd=project), codex_turn(stamp(start), model=rng.choice(CODEX_MODELS), cwd=project))
    total = [0, 0, 0, 0]
    t = start
    for _ in range(rng.randint(5, 30)):
        t += timedelta(seconds=rng.randint(30, 300))
        if t > now:
            break
        inp = rng.randint(6_000, 40_000)
        cached = int(inp * rng.uniform(0.5, 0.9))
        out = rng.randint(200, 3_000)
        reasoning = int(out * 0.4)
        last = (inp, cached, out, reasoning)
        total = [a + b for a, b in zip(total, last, strict=True)]
        line = codex_tokens(stamp(t), tuple(total), last)
        line["payload"]["rate_limits"] = codex_limits(t, now)
        append(path, line)


def codex_limits(t: datetime, now: datetime) -> dict:
    """Codex's current rate_limits shape (tools/codex/limits.py): a 5-hour window that started
    on the hour before `t`, and a week from last Monday, used in step with the hour."""
    five_start = t.replace(minute=0, second=0, microsecond=0)
    week_start = (t - timedelta(days=t.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    five = min(99.0, round((t - five_start).total_seconds() / 60 / 3, 1))
    week = min(99.0, round((t - week_start).total_seconds() / 3600 / 2.2, 1))
    return {"limit_id": "codex", "plan_type": "plus",
            "primary": {"used_percent": five, "window_minutes": 300, "resets_at": int((five_start + timedelta(hours=5)).timestamp())},
            "secondary": {"used_percent": week, "window_minutes": 10080,
                          "resets_at": int((week_start + timedelta(days=7)).timestamp())}}


def claude_limit_history(data_dir: Path, home: Path, now: datetime) -> None:
    """What `tokenlens statusline` would have recorded from Claude Code over the last days:
    each 5-hour window rising while in use, the week rising under it."""
    from tokenlens.limits import LimitReading
    from tokenlens.store import open_ledger
    from tokenlens.store.writer import write_transaction
    from tokenlens.store.writes import upsert_limit_readings

    week_reset = (now - timedelta(days=now.weekday())).replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=7)
    readings = []
    for days_back in range(6, -1, -1):
        for start_hour in (9, 15):
            start = (now - timedelta(days=days_back)).replace(hour=start_hour, minute=0, second=0, microsecond=0)
            if days_back == 0:
                start = now - timedelta(hours=3, minutes=20)
            reset = start + timedelta(hours=5)
            for step in range(0, 12):
                at = start + timedelta(minutes=20 * step)
                if at > now - timedelta(minutes=2):
                    break
                used = min(100.0, 6.0 * step + (3 if days_back else 8) * (step > 2))
                readings.append(LimitReading("claude-code", "5h", 300, int(at.timestamp() * 1000), used,
                                             int(reset.timestamp() * 1000), f"{int(reset.timestamp())}:{used:g}",
                                             "claude-statusline", "~/.claude", None, int(at.timestamp() * 1000)))
                week = round(min(100.0, 64.0 - 9 * days_back + step * 0.6), 1)
                if reset < week_reset:
                    readings.append(LimitReading("claude-code", "7d", 10080, int(at.timestamp() * 1000), max(0.0, week),
                                                 int(week_reset.timestamp() * 1000),
                                                 f"{int(week_reset.timestamp())}:{max(0.0, week):g}",
                                                 "claude-statusline", "~/.claude", None, int(at.timestamp() * 1000)))
    db = open_ledger(data_dir)
    try:
        with write_transaction(db):
            upsert_limit_readings(db, readings)
            other_device_window(db, now, week_reset)
    finally:
        db.conn.close()


def other_device_window(db, now: datetime, week_reset: datetime) -> None:
    """A laptop's week, as a synced folder brings it (tokenlens/sync/engine.py): the Limits tab
    lists it after this computer's windows, under the laptop's name."""
    device = "lapt0p2a3b4c5d6e"
    db.execute("INSERT INTO devices (id, name, first_seen_ms) VALUES (?, 'laptop', ?)",
               [device, int((now - timedelta(days=20)).timestamp() * 1000)])
    rows = []
    for hours_back, used in ((30, 21.0), (20, 27.0), (8, 33.0), (2, 36.0)):
        at = int((now - timedelta(hours=hours_back)).timestamp() * 1000)
        rows.append((device, "claude-code", "~/.claude", "7d", 10080, f"{int(week_reset.timestamp())}:{used:g}",
                     at, at, used, int(week_reset.timestamp() * 1000), None, "claude-statusline"))
    db.conn.executemany(
        "INSERT INTO device_limit_readings (device, tool, account, window, window_minutes, reading_key,"
        " observed_at_ms, last_seen_ms, used_percent, resets_at_ms, plan, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows)


# Names match packaging/io.github.tokenlens.metainfo.xml (the light ones); "-dark" for the rest.
TABS = {"Overview": "main-window", "Sessions": "sessions", "Limits": "limits", "Permissions": "permissions",
        "Export": "export", "Settings": "settings"}


def main(out_dir: Path, theme: str) -> None:
    from PySide6.QtWidgets import QApplication

    from tokenlens.app.application import TokenlensApp
    from tokenlens.config import Env, ensure_data_dir, save_settings

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        home, data_dir = Path(tmp) / "home", Path(tmp) / "data"
        generate(home, days=200)
        agent_configs(home, later=False)
        save_settings(ensure_data_dir(data_dir), {"welcomed": True})
        claude_limit_history(data_dir, home, datetime.now().astimezone())
        # The app reads only this Env; the process environment follows suit so nothing
        # (a keyring fallback, a file dialog) wanders into the real home.
        overrides = {"HOME": str(home), "XDG_CONFIG_HOME": str(Path(tmp) / "cfg")}
        os.environ.update(overrides)
        app = QApplication.instance() or QApplication(["tokenlens"])
        app.setStyle("Fusion")  # the same look under any desktop, so light and dark compare
        if theme == "dark":  # before any widget exists, as when the desktop's theme is dark
            app.setPalette(dark_palette())
        controller = TokenlensApp(data_dir, Env(environ={**os.environ, **overrides}))
        controller.start()
        while controller.scans_completed < 1 or controller.permission_scans_completed < 1:
            app.processEvents()
            time.sleep(0.01)
        agent_configs(home)  # the Permissions tab rescans when shown and lists these as changes
        try:
            window = controller.window
            window.set_banner("")
            # The window's own default size: what a person sees first (no resize here).
            print(f"window size {window.width()}x{window.height()}")
            shoot_theme(app, controller, out_dir, "-dark" if theme == "dark" else "", Path(tmp))
        finally:
            controller.shutdown()
    print(f"screenshots in {out_dir}")


def shoot_theme(app, controller, out_dir: Path, suffix: str, tmp: Path) -> None:
    window = controller.window
    window.show()
    for tab, name in TABS.items():
        _show_and_wait(app, window, tab)
        _settle(app)
        if window.tabs.currentWidget().objectName() == "featureMissing":
            print(f"skipped {name}: the {tab} tab is not installed")
            continue
        window.grab().save(str(out_dir / f"{name}{suffix}.png"))
        if tab == "Overview":
            _overview_year(app, window, out_dir / f"overview-year{suffix}.png")
        if tab == "Sessions":
            _session_detail(app, window, out_dir / f"session-detail{suffix}.png")
    window.hide()
    controller.popup.show_near(None)
    _settle(app)
    controller.popup.grab().save(str(out_dir / f"popup{suffix}.png"))
    controller.popup.hide()
    _welcome_nothing_found(app, controller, tmp, out_dir / f"welcome-empty{suffix}.png")


def _overview_year(app, window, path: Path) -> None:
    overview = window.overview
    year = overview.range.findData(365)
    before = overview.range.currentIndex()
    _repaint_after(app, overview, lambda: overview.range.setCurrentIndex(year))
    window.grab().save(str(path))
    _repaint_after(app, overview, lambda: overview.range.setCurrentIndex(before))


def _session_detail(app, window, path: Path) -> None:
    sessions = window.sessions
    biggest = max(range(sessions.proxy.rowCount()), key=lambda r: sessions.proxy.index(r, 5).data(
        sessions.proxy.sortRole()), default=None)
    if biggest is None:
        return
    sessions.open_detail(sessions.proxy.index(biggest, 0))
    deadline = time.monotonic() + 10
    while sessions.detail is None and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    if sessions.detail is None:
        print("skipped the session detail: it did not open")
        return
    _settle(app)
    sessions.detail.grab().save(str(path))
    sessions.detail.close()
    _settle(app)


def _welcome_nothing_found(app, controller, tmp: Path, path: Path) -> None:
    """The first-run dialog on a computer with no AI tool yet, its paths disclosed."""
    from tokenlens.app.welcome import WelcomeDialog
    from tokenlens.config import Env
    from tokenlens.status import sources_status
    from tokenlens.store.ledger import ledger_path

    empty = tmp / "empty-home"
    empty.mkdir(exist_ok=True)
    sources = sources_status(controller.read_db, Env(environ={"HOME": str(empty)}), unreadable={})
    dialog = WelcomeDialog(sources, ledger_path(controller.data_dir), home=empty)
    dialog.where.setChecked(True)
    dialog.show()
    _settle(app)
    dialog.grab().save(str(path))
    dialog.close()


def _repaint_after(app, tab, change) -> None:
    painted = []
    tab.loaded.connect(lambda: painted.append(1))
    change()
    deadline = time.monotonic() + 20
    while not painted and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    _settle(app)


def dark_palette():
    """A dark Fusion palette, the colours of a typical dark desktop theme."""
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    role = QPalette.ColorRole
    for name, colour in (
        (role.Window, "#2b2d31"), (role.WindowText, "#e6e6e6"), (role.Base, "#1e1f22"),
        (role.AlternateBase, "#26282c"), (role.ToolTipBase, "#3a3d42"), (role.ToolTipText, "#e6e6e6"),
        (role.Text, "#e6e6e6"), (role.Button, "#35373c"), (role.ButtonText, "#e6e6e6"),
        (role.BrightText, "#ff6b6b"), (role.Highlight, "#2f7fd1"), (role.HighlightedText, "#ffffff"),
        (role.Link, "#6cb6ff"), (role.PlaceholderText, "#9a9ca1"), (role.Mid, "#4a4d52"),
        (role.Dark, "#18191b"), (role.Light, "#4a4d52"), (role.Midlight, "#3f4247"), (role.Shadow, "#0d0d0e"),
    ):
        palette.setColor(name, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for name in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(disabled, name, QColor("#7a7c80"))
    return palette


def _show_and_wait(app, window, tab: str) -> None:
    """Show a tab and wait until it has painted its background refresh (its `loaded`)."""
    target = next(window.tabs.widget(i) for i in range(window.tabs.count()) if window.tabs.tabText(i) == tab)
    painted = []
    if hasattr(target, "loaded"):
        target.loaded.connect(lambda: painted.append(1))
    else:
        painted.append(1)
    window.show_tab(tab)
    deadline = time.monotonic() + 20
    while not painted and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)


def _settle(app, busy_prefix: str = "Scanning") -> None:
    """Let the tab finish its own background work (its status line stops saying so)."""
    from PySide6.QtWidgets import QApplication, QLabel

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        app.processEvents()
        labels = [w for w in QApplication.allWidgets() if isinstance(w, QLabel) and w.isVisible()]
        if not any(label.text().startswith(busy_prefix) for label in labels):
            break
        time.sleep(0.05)
    for _ in range(5):
        app.processEvents()


if __name__ == "__main__":
    import argparse
    import subprocess

    parser = argparse.ArgumentParser(description="README/AppStream screenshots, light and dark")
    parser.add_argument("out_dir", nargs="?", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--theme", choices=("light", "dark", "both"), default="both")
    args = parser.parse_args()
    if args.theme == "both":  # one process per theme: palettes copied at start-up stay right
        for theme in ("light", "dark"):
            subprocess.run([sys.executable, __file__, str(args.out_dir), "--theme", theme], check=True)
    else:
        main(args.out_dir, args.theme)
