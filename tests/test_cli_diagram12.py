"""``symconv diagram`` draws every figure of issue 12: the same figure, byte for byte, as the Python call."""

from __future__ import annotations

from pathlib import Path

import pytest

import symconv
from symconv.cli.app import main


@pytest.mark.parametrize(
    ("argv", "figure"),
    [
        (
            ["--input-shape", "4,4", "--padding", "1", "--kind", "matrix"],
            lambda: symconv.block_matrix_picture(symconv.Conv2d(1, 1, 3, padding=1), (4, 4)),
        ),
        (
            ["--input-length", "4", "--transposed", "--stride", "2", "--kind", "transposed"],
            lambda: symconv.zero_inserted_diagram(symconv.ConvTranspose1d(1, 1, 3, stride=2), 4),
        ),
        (
            ["--input-shape", "5,5", "--stride", "2", "--padding", "1", "--kind", "window", "--outputs", "0,0;1,2"],
            lambda: symconv.window_diagram(
                symconv.Conv2d(1, 1, 3, stride=2, padding=1), (5, 5), outputs=[(0, 0), (1, 2)]
            ),
        ),
        (
            ["--input-length", "7", "--padding", "1", "--from-output", "3"],
            lambda: symconv.connectivity_diagram(symconv.Conv1d(1, 1, 3, padding=1), 7, from_output=3),
        ),
    ],
)
def test_diagram_writes_the_python_figure(tmp_path: Path, argv: list[str], figure) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "figure.svg"
    assert main(["diagram", *argv, "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == figure().svg()


def test_transposed_2d_is_drawn_as_its_zero_inserted_grid(tmp_path: Path) -> None:
    from symconv.figures.zero_inserted2d import zero_inserted_grid

    out = tmp_path / "grid.svg"
    argv = ["diagram", "--input-shape", "3,3", "--transposed", "--stride", "2", "--kind", "transposed", "-o", str(out)]
    assert main(argv) == 0
    assert (
        out.read_text(encoding="utf-8") == zero_inserted_grid(symconv.ConvTranspose2d(1, 1, 3, stride=2), (3, 3)).svg()
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--input-shape", "4,4"], "'--kind connectivity' draws layers with one spatial axis"),
        (["--input-shape", "4,4", "--kind", "matrix", "--from-output", "0,1"], "with an isolated view"),
        (["--input-length", "4", "--kind", "transposed"], "add --transposed"),
        (["--input-length", "4", "--transposed", "--kind", "window"], "--kind transposed"),
    ],
)
def test_diagram_refusals_name_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["diagram", *argv, "-o", str(tmp_path / "x.png")])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
