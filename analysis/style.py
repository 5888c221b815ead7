"""The one plotting style of the analysis figures, and how they are saved.

Figures are built on ``matplotlib.figure.Figure`` objects (no pyplot state,
so nothing depends on the interactive backend; raster output uses Agg) inside
``matplotlib.rc_context(STYLE)``. Colours are the Okabe-Ito palette, which is
distinguishable with the common colour-vision deficiencies; points beyond
eight take colours from viridis (without its palest yellow, hard to see on
white). Saved files carry no creation date, so a regenerated report has
identical SVG and PDF files.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import matplotlib

from analysis.errors import SweepError

#: Okabe & Ito (2008) colour-blind-safe palette, black last.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
)

#: Matplotlib settings applied while a figure is built and saved.
STYLE: dict[str, Any] = {
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "figure.titlesize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=list(OKABE_ITO)),
    "figure.constrained_layout.use": True,
    "image.cmap": "viridis",
    "savefig.dpi": 150,
    "svg.hashsalt": "race-analyze",
    "svg.fonttype": "none",
}

#: Output formats of saved figures.
FORMATS: tuple[str, ...] = ("png", "svg", "pdf")

#: Metadata keys cleared on save so files do not change between runs.
_NO_DATE: dict[str, dict[str, None]] = {
    "png": {},
    "svg": {"Date": None},
    "pdf": {"CreationDate": None, "ModDate": None},
}

P = ParamSpec("P")
R = TypeVar("R")


def styled(function: Callable[P, R]) -> Callable[P, R]:
    """Run a figure function inside the analysis style (a decorator)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with matplotlib.rc_context(STYLE):
            return function(*args, **kwargs)

    return wrapper


def new_figure(width_in: float, height_in: float) -> Any:
    """Return an empty ``Figure`` of the given size in inches (no pyplot state)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in))


def point_colors(jobs: Sequence[int]) -> dict[int, Any]:
    """Return one colour per job: Okabe-Ito up to eight points, viridis beyond.

    Args:
        jobs: Job ids in display order.

    Returns:
        Job id -> colour.
    """
    if len(jobs) <= len(OKABE_ITO):
        return {job: OKABE_ITO[i] for i, job in enumerate(jobs)}
    cmap = matplotlib.colormaps["viridis"]
    return {job: cmap(0.88 * i / (len(jobs) - 1)) for i, job in enumerate(jobs)}


def save_figure(figure: Any, path: str | Path, fmt: str | None = None) -> Path:
    """Save a figure in the analysis style and return the file path.

    Args:
        figure: A ``matplotlib.figure.Figure``.
        path: Target file; its suffix is replaced by ``.<fmt>`` when ``fmt`` is given.
        fmt: ``"png"``, ``"svg"`` or ``"pdf"``; ``None`` takes the suffix of
            ``path`` (``png`` if it has none).

    Returns:
        The written file.

    Raises:
        SweepError: Unknown format.
    """
    target = Path(path)
    kind = (fmt or target.suffix.lstrip(".") or "png").lower()
    if kind not in FORMATS:
        raise SweepError(f"--format {kind}: allowed: {', '.join(FORMATS)}")
    target = target.with_suffix(f".{kind}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(STYLE):
        figure.savefig(target, format=kind, metadata=_NO_DATE[kind])
    return target
