"""The documentation is executable: every ``bash``/``python`` block of README.md and docs/ runs here, or says why not.

Each block runs in a fresh copy of this checkout whose workspace already holds the demo's data and results (built
once per session with ``python -m benchmark demo``), with the network closed to it (proxies pointing at a closed
port, pip without an index). A block preceded by the line ``<!-- not-run: <reason> -->`` is listed as skipped with
its reason; a block preceded by ``<!-- output -->`` is the quoted output of the last block run before it on the page
and must appear in what that block printed (its non-blank lines, in order). The site itself must build with
``mkdocs build --strict`` (no broken link or anchor, no page left out of the navigation).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT

RUN_LANGUAGES = {"bash": "bash", "sh": "bash", "shell": "bash", "python": "python", "py": "python"}
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\s`]*)")
MARKER = re.compile(r"^\s*<!--\s*(?P<kind>[a-z-]+)\s*(?::\s*(?P<reason>.*?))?\s*-->\s*$")
MARKERS = ("not-run", "output")
BLOCK_TIMEOUT_S = 900
CI = os.environ.get("CI", "").lower() == "true"


@dataclass(frozen=True)
class Block:
    page: str  # relative to the checkout
    line: int  # of the opening fence, 1-based
    language: str  # the fence's info word, lower case ("" when none)
    code: str
    marker: str | None  # "not-run", "output" or None
    reason: str  # the not-run reason

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def runner(self) -> str | None:
        return RUN_LANGUAGES.get(self.language)


def documentation_pages() -> list[Path]:
    """README.md and every Markdown page under docs/, pages added later included."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def parse_blocks(path: Path) -> tuple[list[Block], list[str]]:
    """The fenced blocks of a page with their markers, and every misplaced or malformed marker."""
    page = path.relative_to(ROOT).as_posix()
    lines = path.read_text(encoding="utf-8").split("\n")
    blocks: list[Block] = []
    problems: list[str] = []
    pending: tuple[int, str, str] | None = None  # a marker line waiting for its block
    i = 0
    while i < len(lines):
        text = lines[i]
        marker = MARKER.match(text)
        if marker and marker["kind"] in MARKERS or text.strip().startswith(("<!-- not", "<!--not", "<!-- output")):
            if not marker or marker["kind"] not in MARKERS:
                problems.append(f"{page}:{i + 1}: malformed marker {text.strip()!r} "
                                "(expected <!-- not-run: <reason> --> or <!-- output -->)")
            else:
                if pending:
                    problems.append(f"{page}:{pending[0]}: marker not followed by a code block")
                pending = (i + 1, marker["kind"], (marker["reason"] or "").strip())
            i += 1
            continue
        fence = FENCE.match(text)
        if not fence:
            if text.strip() and pending:
                problems.append(f"{page}:{pending[0]}: marker not followed by a code block")
                pending = None
            i += 1
            continue
        indent, ticks = len(fence["indent"]), fence["fence"]
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not (lines[j].strip().startswith(ticks[0] * len(ticks))
                                      and not lines[j].strip().strip(ticks[0])):
            line = lines[j]
            body.append(line[indent:] if not line[:indent].strip() else line.lstrip())  # dedent as the fence
            j += 1
        kind, reason = (pending[1], pending[2]) if pending else (None, "")
        block = Block(page, i + 1, fence["info"].lower(), "\n".join(body) + "\n", kind, reason)
        if kind == "not-run" and not reason:
            problems.append(f"{block.where}: <!-- not-run --> needs a reason")
        if kind == "not-run" and not block.runner:
            problems.append(f"{block.where}: <!-- not-run --> before a block that is not bash or python")
        if kind == "output" and block.runner:
            problems.append(f"{block.where}: <!-- output --> before a bash/python block (quote outputs unhighlighted)")
        blocks.append(block)
        pending = None
        i = j + 1
    if pending:
        problems.append(f"{page}:{pending[0]}: marker not followed by a code block")
    return blocks, problems


def all_blocks() -> list[Block]:
    return [block for page in documentation_pages() for block in parse_blocks(page)[0]]


def runnable_blocks() -> list[Block]:
    return [b for b in all_blocks() if b.runner]


def quoted_outputs() -> dict[str, list[Block]]:
    """For each block that is run, the ``<!-- output -->`` blocks quoting what it prints."""
    quoted: dict[str, list[Block]] = {}
    for page in documentation_pages():
        last_run: Block | None = None
        for block in parse_blocks(page)[0]:
            if block.runner:
                last_run = block if block.marker != "not-run" else None
            elif block.marker == "output":
                quoted.setdefault(last_run.where if last_run else f"{block.where}:orphan", []).append(block)
    return quoted


def test_every_block_is_run_or_marked_not_run() -> None:
    """Markers are well formed and placed; every quoted output belongs to a block that is run; the list is printed."""
    problems = [problem for page in documentation_pages() for problem in parse_blocks(page)[1]]
    problems += [f"{outputs[0].where}: <!-- output --> does not follow a block that is run"
                 for key, outputs in quoted_outputs().items() if key.endswith(":orphan")]
    blocks = runnable_blocks()
    # unhighlighted blocks that look like commands would escape the test: they must say bash or python
    for block in all_blocks():
        if not block.runner and block.marker != "output" and block.language in ("", "text", "console") and any(
                line.lstrip().startswith((".venv/bin/", "python -m ", "python3 ", "mlcube run", "docker "))
                for line in block.code.splitlines()):
            problems.append(f"{block.where}: a command in a block without bash/python: fence it as ```bash")
    assert not problems, "\n".join(problems)
    run = [b for b in blocks if b.marker != "not-run"]
    print(f"\n{len(run)} documented blocks run, {len(blocks) - len(run)} marked not-run:")
    for b in blocks:
        print(f"  {b.where} {b.language}: " + (f"not-run: {b.reason}" if b.marker == "not-run" else "run"))
    assert run, "no documented block is run"


@pytest.fixture(scope="session")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of this checkout (its virtual environments linked) whose workspace holds a finished demo run."""
    copy = tmp_path_factory.mktemp("docs") / "checkout"
    generated = {"data", "submissions", "results", "plots"}

    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n in (".git", "__pycache__", ".pytest_cache", "site", "build")
                or n.startswith(".venv")}
        if Path(folder) == ROOT / "workspace":
            skip |= generated & set(names)
        return skip

    shutil.copytree(ROOT, copy, ignore=ignore, symlinks=True)
    for venv in (".venv", ".venv-mlcube"):
        if (ROOT / venv).exists():
            (copy / venv).symlink_to((ROOT / venv).resolve())
    if not (copy / ".venv").exists():  # pytest run from another environment: the pages' .venv/bin/python is this one
        (copy / ".venv" / "bin").mkdir(parents=True)
        for name in ("python", "python3"):
            wrapper = copy / ".venv" / "bin" / name  # a wrapper, not a link: a link would lose that venv's pyvenv.cfg
            wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
            wrapper.chmod(0o755)
    proc = run_in(copy, "bash", ".venv/bin/python -m benchmark demo\n")
    assert proc.returncode == 0, proc.stdout[-4000:]
    return copy


def offline_env(checkout: Path, tmp: Path) -> dict[str, str]:
    """The user's environment with the checkout's .venv first on PATH and every network route closed."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    closed = "http://127.0.0.1:9"  # port 9 (discard) on this machine, which no test serves: connections fail at once
    env.update(PATH=f"{checkout / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               VIRTUAL_ENV=str(checkout / ".venv"), TMPDIR=str(tmp), MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1",
               http_proxy=closed, https_proxy=closed, HTTP_PROXY=closed, HTTPS_PROXY=closed, ALL_PROXY=closed,
               PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", NO_MKDOCS_2_WARNING="1")
    return env


def run_in(checkout: Path, runner: str, code: str, tmp: Path | None = None) -> subprocess.CompletedProcess:
    tmp = tmp or checkout.parent
    command = (["bash", "-euo", "pipefail", "-c", code] if runner == "bash"
               else [str(checkout / ".venv" / "bin" / "python"), "-c", code])
    return subprocess.run(command, cwd=checkout, env=offline_env(checkout, tmp), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=BLOCK_TIMEOUT_S)


def lines_in_order(expected: list[str], printed: list[str]) -> str | None:
    """None when every expected line is a printed line, in order; else the first one missing."""
    position = 0
    for line in expected:
        while position < len(printed) and printed[position] != line:
            position += 1
        if position == len(printed):
            return line
        position += 1
    return None


@pytest.mark.parametrize("block", runnable_blocks(), ids=lambda b: b.where)
def test_documented_block(block: Block, checkout: Path, tmp_path: Path) -> None:
    """The block runs as written on a fresh copy of the demo checkout, offline, and prints what the page quotes."""
    if block.marker == "not-run":
        pytest.skip(f"{block.where} not-run: {block.reason}")
    work = tmp_path / "checkout"
    shutil.copytree(checkout, work, symlinks=True)
    proc = run_in(work, block.runner, block.code, tmp_path)
    assert proc.returncode == 0, f"{block.where}: exit {proc.returncode}\n{proc.stdout[-6000:]}"
    printed = [line.rstrip() for line in proc.stdout.splitlines()]
    for quote in quoted_outputs().get(block.where, []):
        expected = [line.rstrip() for line in quote.code.splitlines() if line.strip()]
        missing = lines_in_order(expected, printed)
        assert missing is None, (f"{quote.where}: the quoted output line {missing!r} is not in what {block.where} "
                                 f"printed (in order):\n{proc.stdout[-6000:]}")


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    """The site builds with no warning: every link and anchor resolves and every page is in the navigation."""
    try:
        import mkdocs  # noqa: F401
        import material  # noqa: F401
    except ImportError as exc:
        if CI:
            raise RuntimeError("CI must install mkdocs (requirements-dev.txt)") from exc
        pytest.skip(f"mkdocs is not installed ({exc}); pip install -r requirements-dev.txt")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                           str(ROOT / "mkdocs.yml"), "--site-dir", str(tmp_path / "site")],
                          cwd=tmp_path, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout
    assert (tmp_path / "site" / "index.html").is_file()


def test_readme_is_short_and_starts_with_the_two_commands() -> None:
    """A newcomer's first screen: at most ~200 lines, the demo and test commands first and unchanged."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    first = parse_blocks(ROOT / "README.md")[0][0]
    assert first.code == (
        "# 1. Set up and run the whole benchmark on the embedded demo data (download, the baselines,\n"
        "#    evaluate_selection, evaluate_debugging, plot), then print the scores:\n"
        "python3 -m venv .venv && .venv/bin/pip install -q -r requirements.txt && .venv/bin/python -m benchmark demo\n"
        "\n"
        "# 2. Set up and run the tests:\n"
        "bash scripts/test.sh\n")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" not in target:
            assert (ROOT / target).exists(), f"README.md links to {target}, which does not exist"


def test_parser_sees_markers_and_misplacements(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules above, on a page written for the purpose."""
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    page = tmp_path / "page.md"
    page.write_text("<!-- not-run: needs a GPU -->\n```bash\nnvidia-smi\n```\n\n```python\n  print(1)\n```\n"
                    "<!-- output -->\n```\n1\n```\n<!-- not-run: -->\n```bash\nx\n```\n<!-- not run: typo -->\n"
                    "```bash\ny\n```\n<!-- not-run: a yaml block -->\n```yaml\na: 1\n```\n<!-- output -->\ntext\n")
    blocks, problems = parse_blocks(page)
    assert [(b.line, b.language, b.marker, b.reason) for b in blocks] == [
        (2, "bash", "not-run", "needs a GPU"), (6, "python", None, ""), (10, "", "output", ""),
        (14, "bash", "not-run", ""), (18, "bash", None, ""), (22, "yaml", "not-run", "a yaml block")]
    assert blocks[1].code == "  print(1)\n"  # indentation inside the block is kept
    assert problems == ["page.md:14: <!-- not-run --> needs a reason",
                        "page.md:17: malformed marker '<!-- not run: typo -->' "
                        "(expected <!-- not-run: <reason> --> or <!-- output -->)",
                        "page.md:22: <!-- not-run --> before a block that is not bash or python",
                        "page.md:25: marker not followed by a code block"]
    assert lines_in_order(["a", "c"], ["a", "b", "c"]) is None
    assert lines_in_order(["c", "a"], ["a", "b", "c"]) == "a"
