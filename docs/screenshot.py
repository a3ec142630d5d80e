#!/usr/bin/env python3
"""Regenerate docs/screenshot.png: the interactive shell, from a real session.

    .venv/bin/pip install '.[docs]'      # Pillow
    apt-get install fonts-dejavu-core    # the monospace font (DejaVu Sans Mono)
    .venv/bin/python docs/screenshot.py  # writes docs/screenshot.png

It starts a real QEMU (q35, stopped, two null-co block nodes) with two QMP
monitors, opens qmpsh from this tree on the first one in a tmux window of
100x30, runs two commands, starts a backup job from the second monitor (so
its JOB_STATUS_CHANGE and BLOCK_JOB_COMPLETED events arrive in the event
pane while the shell waits for input), types a command and presses Tab to
open the completion menu.  ``tmux capture-pane -e`` gives the coloured
screen, which is drawn with Pillow as a light terminal would show it.
Every step waits for the screen to show its result.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshot.png"
WIDTH, HEIGHT = 100, 30
FONTS = Path("/usr/share/fonts/truetype/dejavu")
FONT_SIZE = 16
PAD = 18

# a light terminal: Tango's 16 colours, dark text on white
DEFAULT_FG = (0x2E, 0x34, 0x36)
DEFAULT_BG = (0xFF, 0xFF, 0xFF)
PALETTE16 = [
    (0x2E, 0x34, 0x36), (0xCC, 0x00, 0x00), (0x4E, 0x9A, 0x06), (0xC4, 0xA0, 0x00),
    (0x34, 0x65, 0xA4), (0x75, 0x50, 0x7B), (0x06, 0x98, 0x9A), (0xD3, 0xD7, 0xCF),
    (0x55, 0x57, 0x53), (0xEF, 0x29, 0x29), (0x8A, 0xE2, 0x34), (0xFC, 0xE9, 0x4F),
    (0x72, 0x9F, 0xCF), (0xAD, 0x7F, 0xA8), (0x34, 0xE2, 0xE2), (0xEE, 0xEE, 0xEC),
]  # fmt: skip

RGB = tuple[int, int, int]


# -- the terminal's colours and cells: pure -----------------------------------


def color256(n: int) -> RGB:
    """xterm's 256-colour palette."""
    if n < 16:
        return PALETTE16[n]
    if n < 232:
        n -= 16
        steps = (0, 95, 135, 175, 215, 255)
        return steps[n // 36], steps[(n // 6) % 6], steps[n % 6]
    level = 8 + (n - 232) * 10
    return level, level, level


class Style(NamedTuple):
    fg: RGB | None = None
    bg: RGB | None = None
    bold: bool = False
    italic: bool = False
    underline: bool = False
    strike: bool = False
    reverse: bool = False


class Cell(NamedTuple):
    char: str
    style: Style


def _extended(params: list[int], i: int) -> tuple[RGB | None, int]:
    """A ``38;5;N`` or ``38;2;R;G;B`` colour starting at params[i]; the
    colour and how many parameters it took."""
    if i < len(params) and params[i] == 5 and i + 1 < len(params):
        return color256(params[i + 1]), 2
    if i < len(params) and params[i] == 2 and i + 3 < len(params):
        r, g, b = params[i + 1 : i + 4]
        return (r, g, b), 4
    return None, 0


def apply_sgr(style: Style, params: list[int]) -> Style:
    """*style* after the SGR sequence with *params*."""
    if not params:
        params = [0]
    i = 0
    while i < len(params):
        p = params[i]
        i += 1
        if p == 0:
            style = Style()
        elif p in (1, 3, 4, 9, 7):
            name = {1: "bold", 3: "italic", 4: "underline", 9: "strike", 7: "reverse"}
            # a field named at run time: Any, as mypy cannot check the keyword
            on: dict[str, Any] = {name[p]: True}
            style = style._replace(**on)
        elif p in (22, 23, 24, 29, 27):
            name = {22: "bold", 23: "italic", 24: "underline", 29: "strike"}
            off: dict[str, Any] = {name.get(p, "reverse"): False}
            style = style._replace(**off)
        elif 30 <= p <= 37 or 90 <= p <= 97:
            style = style._replace(fg=PALETTE16[p - 30 if p < 90 else p - 82])
        elif 40 <= p <= 47 or 100 <= p <= 107:
            style = style._replace(bg=PALETTE16[p - 40 if p < 100 else p - 92])
        elif p in (38, 48):
            color, used = _extended(params, i)
            i += used
            style = style._replace(fg=color) if p == 38 else style._replace(bg=color)
        elif p == 39:
            style = style._replace(fg=None)
        elif p == 49:
            style = style._replace(bg=None)
    return style


def char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def parse_screen(text: str, width: int, height: int) -> list[list[Cell]]:
    """The cells of a ``tmux capture-pane -e`` capture (SGR sequences only)."""
    blank = Cell(" ", Style())
    rows = [[blank] * width for _ in range(height)]
    style = Style()
    for y, line in enumerate(text.split("\n")[:height]):
        x = 0
        i = 0
        while i < len(line):
            char = line[i]
            if char == "\x1b" and line[i + 1 : i + 2] == "[":
                end = i + 2
                while end < len(line) and not ("@" <= line[end] <= "~"):
                    end += 1
                if line[end : end + 1] == "m":
                    body = line[i + 2 : end]
                    params = [int(p) if p.isdigit() else 0 for p in body.split(";")]
                    style = apply_sgr(style, params if body else [])
                i = end + 1
                continue
            i += 1
            w = char_width(char)
            if w and x < width:
                rows[y][x] = Cell(char, style)
                if w == 2 and x + 1 < width:
                    rows[y][x + 1] = Cell("", style)
                x += w
    return rows


# -- drawing (Pillow) -----------------------------------------------------------


def used_rows(rows: list[list[Cell]]) -> list[list[Cell]]:
    """*rows* without the blank ones at the bottom."""
    end = len(rows)
    while end > 1 and all(
        not c.char.strip() and c.style.bg is None and not c.style.reverse
        for c in rows[end - 1]
    ):
        end -= 1
    return rows[:end]


def render(rows: list[list[Cell]], cursor: tuple[int, int] | None, path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    def font(name: str) -> Any:
        file = FONTS / name
        if not file.exists():
            file = FONTS / "DejaVuSansMono.ttf"
        return ImageFont.truetype(str(file), FONT_SIZE)

    fonts = {
        (False, False): font("DejaVuSansMono.ttf"),
        (True, False): font("DejaVuSansMono-Bold.ttf"),
        (False, True): font("DejaVuSansMono-Oblique.ttf"),
        (True, True): font("DejaVuSansMono-BoldOblique.ttf"),
    }
    regular = fonts[(False, False)]
    cell_w = round(regular.getlength("M"))
    ascent, descent = regular.getmetrics()
    cell_h = ascent + descent + 2
    height = len(rows)
    width = len(rows[0])
    image = Image.new(
        "RGB", (width * cell_w + 2 * PAD, height * cell_h + 2 * PAD), DEFAULT_BG
    )
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(rows):
        for x, cell in enumerate(row):
            style = cell.style
            fg = style.fg or DEFAULT_FG
            bg = style.bg or DEFAULT_BG
            if style.reverse:
                fg, bg = bg, fg
            if (x, y) == cursor:
                fg, bg = DEFAULT_BG, DEFAULT_FG
            px, py = PAD + x * cell_w, PAD + y * cell_h
            if bg != DEFAULT_BG:
                draw.rectangle([px, py, px + cell_w - 1, py + cell_h - 1], fill=bg)
            if cell.char.strip():
                face = fonts[(style.bold, style.italic)]
                draw.text((px, py + 1), cell.char, font=face, fill=fg)
            if style.underline:
                draw.line([px, py + ascent + 2, px + cell_w - 1, py + ascent + 2], fg)
            if style.strike:
                mid = py + 1 + (ascent * 2) // 3
                draw.line([px, mid, px + cell_w - 1, mid], fg)
    image.save(path, optimize=True)


# -- the session ------------------------------------------------------------------


class Tmux:
    def __init__(self, directory: Path) -> None:
        self.socket = str(directory / "tmux.sock")

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-S", self.socket, "-f", "/dev/null", *args],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def screen(self, colors: bool = False) -> str:
        return self.run(
            "capture-pane", "-p", "-N", *(["-e"] if colors else []), "-t", "s"
        )

    def wait(self, check: Callable[[str], bool], what: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if check(text):
                return text
            if time.monotonic() > deadline:
                raise SystemExit(f"screenshot: no {what} on the screen:\n{text}")
            time.sleep(0.05)

    def settled(self) -> tuple[str, tuple[int, int]]:
        """The coloured screen and the cursor once a redraw is over: the
        same in captures 0.1 s apart (a capture may catch a redraw half done)."""
        seen: list[tuple[str, str]] = []
        deadline = time.monotonic() + 30
        while len(seen) < 3 or len(set(seen[-3:])) > 1:
            if time.monotonic() > deadline:
                raise SystemExit("screenshot: the screen does not settle")
            cursor = self.run("display", "-p", "-t", "s", "#{cursor_x} #{cursor_y}")
            seen.append((self.screen(colors=True), cursor))
            time.sleep(0.1)
        x, y = seen[-1][1].split()
        return seen[-1][0], (int(x), int(y))

    def type(self, text: str, *keys: str) -> None:
        self.run("send-keys", "-t", "s", "-l", "--", text)
        if keys:
            self.run("send-keys", "-t", "s", *keys)


def qmp(path: Path, *commands: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A second client on the other monitor: run *commands*, yield replies."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(30)
        sock.connect(str(path))
        stream = sock.makefile("rwb")
        stream.readline()
        for command in ({"execute": "qmp_capabilities"}, *commands):
            stream.write(json.dumps(command).encode() + b"\n")
            stream.flush()
            while "event" in (reply := json.loads(stream.readline())):
                pass
            yield reply


def wait_socket(path: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"screenshot: QEMU did not create {path}")
        time.sleep(0.02)


def session(work: Path) -> tuple[str, tuple[int, int]]:
    """Run the session; return the coloured screen and the cursor."""
    for name in ("config", "state", "cache"):
        (work / name).mkdir()
    shell_sock, other_sock = work / "vm.sock", work / "other.sock"
    qemu = subprocess.Popen(
        [
            "qemu-system-x86_64", "-M", "q35", "-S", "-nodefaults", "-display", "none",
            "-qmp", f"unix:{shell_sock},server=on,wait=off",
            "-qmp", f"unix:{other_sock},server=on,wait=off",
            "-blockdev", "null-co,node-name=disk0,size=4294967296",
            "-blockdev", "null-co,node-name=backup0,size=4294967296",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    tmux = Tmux(work)
    try:
        wait_socket(shell_sock, qemu)
        wait_socket(other_sock, qemu)
        env = {
            "HOME": str(work),
            "XDG_CONFIG_HOME": str(work / "config"),
            "XDG_STATE_HOME": str(work / "state"),
            "XDG_CACHE_HOME": str(work / "cache"),
            "PYTHONPATH": str(ROOT),
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "PATH": os.environ["PATH"],
        }
        command = ["env", *(f"{k}={v}" for k, v in env.items())]
        command += [sys.executable, "-m", "qmpsh", "vm.sock"]
        tmux.run(
            "new-session", "-d", "-s", "s", "-x", str(WIDTH), "-y", str(HEIGHT),
            "-c", str(work), *command,
        )  # fmt: skip
        prompt = "(qemu 7.2 pc-q35-7.2-machine)"
        tmux.wait(lambda s: prompt in s and "connected" in s, "prompt")
        tmux.type("query-status", "Enter")
        tmux.wait(lambda s: '"prelaunch"' in s, "reply to query-status")
        tmux.type("qom-get path=/machine property=type", "Enter")
        tmux.wait(lambda s: '{"return": "pc-q35-7.2-machine"}' in s, "qom-get reply")
        # someone else starts a backup: its events arrive in the pane
        backup = {
            "device": "disk0",
            "target": "backup0",
            "sync": "full",
            "job-id": "nightly",
        }
        for reply in qmp(
            other_sock, {"execute": "blockdev-backup", "arguments": backup}
        ):
            if "error" in reply:
                raise SystemExit(f"screenshot: blockdev-backup: {reply}")
        tmux.wait(lambda s: "BLOCK_JOB_COMPLETED" in s, "events in the pane")
        # the schema arrives in the background; then Tab offers sync's values
        tmux.type("blockdev-backup device=disk0 target=backup0 sync=", "Tab")
        tmux.wait(lambda s: "incremental" in s and "bitmap" in s, "completion menu")
        return tmux.settled()
    finally:
        subprocess.run(
            ["tmux", "-S", tmux.socket, "kill-server"], capture_output=True, check=False
        )
        qemu.kill()
        qemu.wait()


def main() -> int:
    for tool in ("tmux", "qemu-system-x86_64"):
        if shutil.which(tool) is None:
            raise SystemExit(f"screenshot: {tool} is not installed")
    if not (FONTS / "DejaVuSansMono.ttf").exists():
        raise SystemExit("screenshot: apt-get install fonts-dejavu-core")
    with tempfile.TemporaryDirectory(prefix="qmpsh-shot-") as work:
        text, cursor = session(Path(work))
    render(used_rows(parse_screen(text, WIDTH, HEIGHT)), cursor, OUT)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
