"""The plan-window alert thresholds in the Settings tab: typed as "80, 95", checked, saved to
settings.json when editing ends, read by the tray's alerts; a wrong entry says why, saves
nothing."""

from __future__ import annotations

from tokenlens import limits as core
from tokenlens.app.limits_view import THRESHOLDS_SETTING, LimitsWatch
from tokenlens.app.settings import AppSettings, load_settings
from tokenlens.app.settings_tab import SettingsTab
from tokenlens.config import Env


def make_tab(qtbot, tmp_path, settings=None):
    (tmp_path / "data").mkdir(exist_ok=True)
    settings = settings or AppSettings(tmp_path / "data")
    tab = SettingsTab(settings, Env(environ={"HOME": str(tmp_path / "home")}), ["tokenlens"])
    qtbot.addWidget(tab)
    return tab, settings


def type_in(tab, text: str) -> None:
    tab.limit_alerts.setText(text)
    tab.limit_alerts.editingFinished.emit()  # as when the person presses Enter or leaves the box


def window_at(percent: float) -> core.WindowStatus:
    return core.WindowStatus("codex", "~/.codex", "5h", 300, percent, 1_800_000_000_000, 1_799_990_000_000,
                             1_799_990_000_000, "codex-log", None, "current")


def test_thresholds_typed_in_settings_are_saved_and_used_by_the_alerts(qtbot, tmp_path):
    tab, settings = make_tab(qtbot, tmp_path)
    assert tab.limit_alerts.text() == "80, 95"  # the defaults, before anything is saved
    type_in(tab, "95 50,70%, 50")
    assert load_settings(settings.data_dir)[THRESHOLDS_SETTING] == [50, 70, 95]
    assert tab.limit_alerts.text() == "50, 70, 95" and tab.limit_alerts_error.isHidden()
    watch = LimitsWatch(settings.data_dir, settings)
    watch.bars.setParent(tab)  # as the popup holds them in the app: never a window of their own
    assert watch.thresholds() == (50, 70, 95)
    told = []
    watch.alert.connect(told.append)
    watch._paint([window_at(60.0)], 1_799_990_060_000, fullscreen=False)
    assert len(told) == 1 and "50" in told[0]  # 50 % told; with the defaults nothing would be

    # Shown again (a restart): the saved thresholds.
    again, _ = make_tab(qtbot, tmp_path, AppSettings(tmp_path / "data"))
    assert again.limit_alerts.text() == "50, 70, 95"


def test_a_wrong_entry_says_why_and_keeps_the_saved_thresholds(qtbot, tmp_path):
    tab, settings = make_tab(qtbot, tmp_path)
    type_in(tab, "60, 90")
    for text, why in (("80, 120", "'120' is not a whole percentage from 1 to 100"),
                      ("eighty", "'eighty' is not a whole percentage"), ("0", "'0' is not a whole percentage"),
                      (", ".join(str(n) for n in range(1, 12)), "at most 10 thresholds")):
        type_in(tab, text)
        assert not tab.limit_alerts_error.isHidden() and why in tab.limit_alerts_error.text()
        assert tab.limit_alerts.text() == text  # kept as typed, to be fixed
        assert load_settings(settings.data_dir)[THRESHOLDS_SETTING] == [60, 90]
    type_in(tab, "")  # blank: back to the defaults
    assert load_settings(settings.data_dir)[THRESHOLDS_SETTING] == [80, 95]
    assert tab.limit_alerts.text() == "80, 95" and tab.limit_alerts_error.isHidden()


def test_a_hand_damaged_setting_means_the_defaults(tmp_path):
    assert core.alert_thresholds([True, 50]) == core.DEFAULT_ALERT_THRESHOLDS
    assert core.alert_thresholds("80") == core.DEFAULT_ALERT_THRESHOLDS
    assert core.alert_thresholds([95, 80, 80]) == (80, 95)


def test_settings_that_cannot_be_written_say_so_in_one_line(qtbot, tmp_path):
    tab, settings = make_tab(qtbot, tmp_path)
    (tmp_path / "a-file").write_text("")
    settings.data_dir = tmp_path / "a-file" / "data"  # under a file: the settings cannot be written there
    type_in(tab, "70")
    assert "Not saved: cannot write the settings" in tab.limit_alerts_error.text()
    assert not tab.limit_alerts_error.isHidden()
