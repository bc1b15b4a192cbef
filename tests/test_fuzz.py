"""Property-based fuzzing of everything a participant or a publisher hands the harness (issue 30).

Hypothesis generates submission folders (names as raw bytes, contents mutated from a
valid submission), parameters.yaml documents (the shipped file, mutated as text or as
values) and archives (generated, then corrupted), runs the real code and checks the
contract:

- the exit code is one of the documented ones, and nothing prints a traceback;
- every error is one printable line naming the file (and line) it is about;
- the untouched valid submission scores exactly what it scores alone;
- results.yaml (and curves.csv) read back, and a rerun writes the same bytes;
- an archive either extracts to exactly the files it records (sha256 of what is on
  disk) inside the target folder, or is refused with :class:`UnsafeArchive`.

Profiles (``DATAPERF_FUZZ``): ``ci`` (default) is derandomized -- the same cases on every
run -- and sized to finish in a few minutes; ``long`` draws fresh random cases, ten times
as many (docs/robustness.md). Each test prints how many cases it ran (``pytest -s``).
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, download_demo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmark import cli
from benchmark.errors import InputError
from benchmark.formats.parameters import load_parameters
from benchmark.formats.results import read_curves, read_results
from benchmark.sources import archives

PROFILE = os.environ.get("DATAPERF_FUZZ", "ci")
if PROFILE not in ("ci", "long"):
    raise ValueError(f"DATAPERF_FUZZ={PROFILE!r}: expected ci or long")
SCALE = 10 if PROFILE == "long" else 1
EXIT_CODES = {0, 1, 2}  # an evaluation: scored (0; 1 only in strict mode), or bad input before any write (2)
CASES: dict[str, int] = {}


def fuzz(examples: int):
    return settings(max_examples=examples * SCALE, derandomize=PROFILE == "ci", deadline=None, database=None,
                    print_blob=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                            HealthCheck.function_scoped_fixture])


def counted(name: str) -> None:
    CASES[name] = CASES.get(name, 0) + 1


@pytest.fixture(scope="module", autouse=True)
def report_cases():
    yield
    print(f"\nfuzz cases run ({PROFILE} profile): "
          + ", ".join(f"{name} {n}" for name, n in sorted(CASES.items()))
          + f"; generated cases in all {sum(n for name, n in CASES.items() if ' exited ' not in name)}")


# --------------------------------------------------------------------------- the demo workspace
@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    ws = download_demo(tmp_path_factory.mktemp("fuzz") / "workspace")
    path = ws / "parameters.yaml"
    raw = yaml.safe_load(path.read_text())
    raw["bootstrap"]["resamples"] = 20  # intervals on, but cheap
    path.write_text(yaml.safe_dump(raw))
    return ws


@pytest.fixture(scope="module")
def alone(template) -> dict[str, dict]:
    """What the untouched example submissions score on their own (the anchors)."""
    scores = {}
    with tempfile.TemporaryDirectory() as tmp:
        for bench in ("selection", "debugging"):
            ws = _copy(template, Path(tmp) / bench)
            assert _evaluate(ws, bench) == 0
            scores[bench] = _results(ws, bench)["submissions"]
    return scores


def _copy(template: Path, target: Path) -> Path:
    shutil.copytree(template, target, symlinks=True)
    return target


def _evaluate(ws: Path, bench: str, out: str = "results") -> int:
    return cli.main([f"evaluate_{bench}", f"--data_path={ws / 'data'}",
                     f"--submission_path={ws / 'submissions' / bench}", f"--parameters_file={ws / 'parameters.yaml'}",
                     f"--output_path={ws / out / bench}"])


def _results(ws: Path, bench: str, out: str = "results") -> dict:
    return yaml.safe_load((ws / out / bench / "results.yaml").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- strategies
# File names as the file system holds them: any bytes but "/" and NUL (not "." or ".."), decoded
# by Python with surrogateescape -- so not-UTF-8 bytes, control characters and separators appear.
INTERESTING = st.sampled_from(["", "\n", "\r\n", "\x85", "\u2028", "\x1c", "\x0b", "\x0c", "\ufeff", "\ufffe", "\x00",
                               ",", '"', "'", "\\", " ", "\t", "-0", "1e999", "nan", "١", "１", "_", "#", ":", "{",
                               "&a", "*a", "!!python/object:os.system", "\udcff", "%", "~", "0" * 30, "x" * 300])
NAME_BYTES = st.one_of(st.binary(min_size=1, max_size=24), INTERESTING.map(lambda s: ("m" + s)[:100].encode(
    "utf-8", "surrogateescape"))).map(lambda b: b.replace(b"/", b"_").replace(b"\0", b"_")).filter(
    lambda b: b not in (b".", b"..", b"random", b"random_500"))  # never the anchor's own name



def _mutate(data: bytes, ops: list[tuple[int, int, bytes]]) -> bytes:
    """Each op (kind, position, bytes): 0 insert, 1 overwrite, 2 delete a span, 3 duplicate a line, 4 truncate."""
    out = bytearray(data)
    for kind, position, extra in ops:
        at = position % (len(out) + 1)
        if kind == 0:
            out[at:at] = extra
        elif kind == 1:
            out[at:at + len(extra)] = extra
        elif kind == 2:
            del out[at:at + 1 + len(extra) * 8]
        elif kind == 3:
            start = out.rfind(b"\n", 0, at) + 1
            end = out.find(b"\n", at)
            line = bytes(out[start:end + 1 if end >= 0 else len(out)])
            out[start:start] = line
        else:
            del out[at:]
    return bytes(out)


EXTRA = st.one_of(st.binary(max_size=12), INTERESTING.map(lambda s: s.encode("utf-8", "surrogateescape")))
OPS = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 1 << 20), EXTRA), max_size=4)


def _one_line_naming_a_file(message: str) -> bool:
    return "\n" not in message and message.isprintable() and bool(
        re.match(r"^.+\.(csv|txt)(:\d+)?: ", message)) and len(message) < 600


def _check_run(ws: Path, bench: str, rc: int, caplog, anchors: dict[str, dict]) -> None:
    """The contract after one evaluation of a generated submission folder."""
    assert rc in EXIT_CODES
    counted(f"{bench} runs that exited {rc}")
    assert "Traceback" not in caplog.text
    for record in caplog.records:
        assert "\n" not in record.getMessage()
    if rc == 2:  # e.g. every generated submission refused: nothing written
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1
        return
    doc = _results(ws, bench)
    for name, entry in doc["submissions"].items():
        assert name.isprintable() and name == name.strip()
        for error in entry["errors"]:
            assert _one_line_naming_a_file(error), error
    for name, anchor in anchors.items():
        assert doc["submissions"][name] == anchor  # scores, parts and intervals: unchanged by the others
    for key, why in doc["ignored"].items():
        assert key.isprintable() and why.isprintable() and "\n" not in why
    parsed = read_results(ws / "results" / bench / "results.yaml", bench)
    if bench == "debugging":
        read_curves(ws / "results" / bench / "curves.csv", parsed)
    first = {p.name: p.read_bytes() for p in (ws / "results" / bench).iterdir() if not p.name.startswith(".")}
    caplog.clear()
    assert _evaluate(ws, bench) == rc
    again = {p.name: p.read_bytes() for p in (ws / "results" / bench).iterdir() if not p.name.startswith(".")}
    assert again == first  # byte-identical on a rerun


# --------------------------------------------------------------------------- submissions
@fuzz(examples=25)
@given(extra=st.lists(st.tuples(NAME_BYTES, st.sampled_from(["Three", "Five", "Eight", "Other"]), OPS,
                                st.booleans()), min_size=1, max_size=3))
def test_selection_submissions(template, alone, caplog, extra):
    counted("selection submission folders")
    with tempfile.TemporaryDirectory() as tmp:
        ws = _copy(template, Path(tmp) / "ws")
        subs = ws / "submissions" / "selection"
        shutil.rmtree(subs / "reference_true_labels_500")
        valid = (subs / "random_500" / "Five.csv").read_bytes()
        for name, task, ops, whole in extra:
            folder = os.fsencode(subs) + b"/" + name
            if os.path.lexists(folder) and not os.path.isdir(folder):
                continue
            os.makedirs(folder, exist_ok=True)
            if whole:  # a complete submission, one file mutated
                for other in ("Three", "Five", "Eight"):
                    shutil.copy(subs / "random_500" / f"{other}.csv", os.fsdecode(folder + f"/{other}.csv".encode()))
            with open(folder + f"/{task}.csv".encode(), "wb") as handle:
                handle.write(_mutate(valid, ops))
        caplog.clear()
        rc = _evaluate(ws, "selection")
        _check_run(ws, "selection", rc, caplog, {"random_500": alone["selection"]["random_500"]} if rc != 2 else {})


@fuzz(examples=30)
@given(extra=st.lists(st.tuples(NAME_BYTES, st.sampled_from(["d1v7", "d3v8", "d4v9"]), OPS,
                                st.one_of(st.none(), EXTRA)), min_size=1, max_size=3))
def test_debugging_submissions(template, alone, caplog, extra):
    counted("debugging submission folders")
    with tempfile.TemporaryDirectory() as tmp:
        ws = _copy(template, Path(tmp) / "ws")
        subs = ws / "submissions" / "debugging"
        for name, data_id, ops, seconds in extra:
            method = name.lstrip(b"time_") or b"m"
            base = os.fsencode(subs) + b"/"
            for other in ("d1v7", "d3v8", "d4v9"):
                valid = (subs / f"{other}_random.txt").read_bytes()
                target = base + other.encode() + b"_" + method + b".txt"
                with open(target, "wb") as handle:
                    handle.write(_mutate(valid, ops) if other == data_id else valid)
            if seconds is not None:
                with open(base + b"time_" + data_id.encode() + b"_" + method + b".txt", "wb") as handle:
                    handle.write(seconds)
        caplog.clear()
        rc = _evaluate(ws, "debugging")
        _check_run(ws, "debugging", rc, caplog, {"random": alone["debugging"]["random"]})


# --------------------------------------------------------------------------- parameters.yaml
SHIPPED = (ROOT / "workspace" / "parameters.yaml").read_text(encoding="utf-8")
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True), INTERESTING,
                   st.text(max_size=20), st.lists(st.integers(-10, 20), max_size=3),
                   st.dictionaries(st.text(max_size=5), st.integers(-5, 5), max_size=2))


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix + (key,)
            yield from _paths(value, prefix + (key,))


@fuzz(examples=200)
@given(data=st.data())
def test_parameters_documents(data):
    counted("parameters.yaml documents")
    if data.draw(st.booleans(), label="as text"):
        text = _mutate(SHIPPED.encode(), data.draw(OPS, label="ops")).decode("utf-8", "replace")
    else:
        raw = yaml.safe_load(SHIPPED)
        paths = list(_paths(raw))
        for _ in range(data.draw(st.integers(1, 3), label="edits")):
            path = data.draw(st.sampled_from(paths), label="key")
            node = raw
            for key in path[:-1]:
                node = node[key] if isinstance(node, dict) and isinstance(node.get(key), dict) else None
                if node is None:
                    break
            if node is not None:
                node[path[-1]] = data.draw(LEAVES, label="value")
        text = yaml.safe_dump(raw, allow_unicode=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "parameters.yaml"
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        try:
            load_parameters(path)
        except InputError as error:
            assert error.message.startswith(f"{path}") and "\n" not in error.message and error.message.isprintable()
            assert len(error.message) < 600


@fuzz(examples=8)
@given(data=st.data())
def test_parameters_through_a_task(template, caplog, data):
    """A few mutated documents through the real CLI: exit 0 or 2, one error line, never a traceback."""
    counted("parameters.yaml through evaluate_debugging")
    raw = yaml.safe_load((template / "parameters.yaml").read_text())
    section = data.draw(st.sampled_from(["execution", "bootstrap", "debugging"]), label="section")
    key = data.draw(st.sampled_from(sorted(k for k, v in raw[section].items() if not isinstance(v, dict))),
                    label="key")
    raw[section][key] = data.draw(LEAVES, label="value")
    with tempfile.TemporaryDirectory() as tmp:
        ws = _copy(template, Path(tmp) / "ws")
        (ws / "parameters.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        caplog.clear()
        rc = _evaluate(ws, "debugging")
        assert rc in EXIT_CODES and "Traceback" not in caplog.text
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        if rc == 2:
            assert len(errors) == 1 and "\n" not in errors[0]


# --------------------------------------------------------------------------- archives
MEMBER_NAMES = st.one_of(st.sampled_from(["a.txt", "d/b.txt", "d/", "../x", "/abs", "a.txt", "l", "d/../c"]),
                         st.text(min_size=1, max_size=12))


def _archive(kind: str, members: list[tuple[str, int, bytes]]) -> bytes:
    """members: (name, kind 0 file / 1 folder / 2 symlink / 3 hard link, data or link target)."""
    buffer = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, what, data in members:
                info = zipfile.ZipInfo(name.rstrip("/") + ("/" if what == 1 else ""))
                if what == 2:
                    info.external_attr = (0o120777 << 16)
                zf.writestr(info, b"" if what == 1 else data)
    else:
        with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
            for name, what, data in members:
                info = tarfile.TarInfo(name)
                if what == 1:
                    info.type = tarfile.DIRTYPE
                elif what in (2, 3):
                    info.type = tarfile.SYMTYPE if what == 2 else tarfile.LNKTYPE
                    info.linkname = data.decode("utf-8", "replace")
                else:
                    info.size = len(data)
                tf.addfile(info, io.BytesIO(data) if what == 0 else None)
    return buffer.getvalue()


@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")  # zipfile warns; the extractor must refuse
@fuzz(examples=200)
@given(kind=st.sampled_from(["zip", "tar.gz"]),
       members=st.lists(st.tuples(MEMBER_NAMES, st.integers(0, 3),
                                  st.one_of(st.binary(max_size=300), st.sampled_from([b"a.txt", b"../x", b"/etc"]))),
                         min_size=1, max_size=5),
       damage=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(1, 255)), max_size=3),
       cut=st.one_of(st.none(), st.integers(0, 1 << 16)))
def test_archives(kind, members, damage, cut):
    counted("archives")
    try:
        data = bytearray(_archive(kind, members))
    except (ValueError, UnicodeError, tarfile.TarError):
        return  # not even the writer would make this archive
    for position, xor in damage:
        data[position % len(data)] ^= xor
    if cut is not None:
        del data[cut % (len(data) + 1):]
    with tempfile.TemporaryDirectory() as tmp:
        archive, root = Path(tmp) / f"a.{kind}", Path(tmp) / "root"
        archive.write_bytes(bytes(data))
        root.mkdir()
        try:
            entries = archives.extract(archive, kind, root, 1 << 20)  # type: ignore[arg-type]
        except archives.UnsafeArchive as error:
            assert "\n" not in str(error) and str(error).isprintable()
            return
        real = os.path.realpath(root)
        for entry in entries:
            path = root / entry.name
            assert os.path.realpath(path.parent).startswith(real)
            if entry.link is None:
                assert hashlib.sha256(path.read_bytes()).hexdigest() == entry.sha256
                assert path.stat().st_size == entry.size
            else:
                assert os.readlink(path) == entry.link
