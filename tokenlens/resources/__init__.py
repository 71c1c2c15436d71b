"""Icons shipped inside the package, found through importlib.resources.

They live in the package (not in a top-level `resources/` folder) so that a wheel, a pipx
install and a PyInstaller bundle all carry them and find them the same way. The PNGs are
rendered from the SVGs by `packaging/render_icons.py` and committed.

Qt-free on purpose: the app turns these paths into QIcons; the desktop-entry installer in
`tokenlens.desktop` copies them into the icon theme.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

APP_ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
TRAY_ICON_SIZES = (16, 22, 24, 32, 48)
APP_ICON_SVG = "tokenlens.svg"
# Dark glyph: the freedesktop "-symbolic" convention, for light panels (themes may recolour it).
TRAY_ICON_FOR_LIGHT_PANEL = "tokenlens-symbolic"
# Light glyph, for dark panels.
TRAY_ICON_FOR_DARK_PANEL = "tokenlens-symbolic-light"


def icon_path(name: str) -> Path:
    """The file of a shipped icon, e.g. `icon_path("tokenlens-48.png")`.

    Raises FileNotFoundError naming the icon if it is not shipped (a packaging bug)."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"not an icon file name: {name!r}")
    resource = files(__package__).joinpath(name)
    if not resource.is_file():
        raise FileNotFoundError(f"icon {name!r} is not in the tokenlens package")
    # Wheels, pipx and PyInstaller one-folder bundles all install the package as plain files.
    return Path(str(resource))


def app_icon_pngs() -> dict[int, Path]:
    """Every rendered size of the app icon, smallest first (for a multi-size QIcon)."""
    return {size: icon_path(f"tokenlens-{size}.png") for size in APP_ICON_SIZES}


def tray_icon_path(dark_panel: bool, size: int | None = None) -> Path:
    """The tray glyph that stays readable on the panel: light glyph on a dark panel and
    the other way round. Without `size`, the SVG; with one, the pre-rendered PNG (for Qt
    builds that lack the SVG icon engine)."""
    stem = TRAY_ICON_FOR_DARK_PANEL if dark_panel else TRAY_ICON_FOR_LIGHT_PANEL
    if size is None:
        return icon_path(f"{stem}.svg")
    if size not in TRAY_ICON_SIZES:
        raise ValueError(f"no {size} px tray icon; sizes: {', '.join(map(str, TRAY_ICON_SIZES))}")
    return icon_path(f"{stem}-{size}.png")


def panel_is_dark(red: int, green: int, blue: int) -> bool:
    """Whether a panel colour (0-255 per channel) is dark, by its relative luminance."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    # 0.179 is where black and white text have equal contrast (WCAG contrast ratios).
    return luminance < 0.179
