"""The parameters.yaml reference page, generated from the declarations in :mod:`benchmark.formats.parameters`.

Names, types and defaults come from the dataclasses, meanings from each field's comment (on its line or the
comment lines just above it) and each section's docstring, and the checks from the ``need(condition, message)``
calls of the validation, matched to a key by the key their message starts with. So the page cannot drift from
the code: ``tests/test_parameters_reference.py`` fails until it is regenerated with

    python -m benchmark.formats.parameters_reference > docs/parameters.md
"""
from __future__ import annotations

import ast
import dataclasses
import inspect
import io
import re
import sys
import tokenize
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from . import parameters

COMMAND = "python -m benchmark.formats.parameters_reference > docs/parameters.md"
LIMITS = ("MAX_FILE_BYTES", "MAX_DEPTH", "MAX_NODES")  # module constants shown under "Limits"


@dataclass(frozen=True)
class Section:
    """One mapping of the file: a dataclass reached by ``path`` (``[]``: a list's entries, ``.<x>``: a mapping's)."""

    path: str
    cls: type
    title: str


@dataclass
class Key:
    path: str
    type: str
    default: str
    meaning: str
    checks: list[str]


# --------------------------------------------------------------------------- reading the declarations
def field_comments(module: types.ModuleType) -> dict[tuple[str, str], str]:
    """(class, field) -> the comment on the field's lines, after the comment lines just above it."""
    source = inspect.getsource(module)
    comments: dict[int, str] = {}
    code_lines: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
        elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            code_lines.update(range(tok.start[0], tok.end[0] + 1))
    found = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            if not isinstance(item, ast.AnnAssign) or not isinstance(item.target, ast.Name):
                continue
            above = []
            line = item.lineno - 1
            while line in comments and line not in code_lines:
                above.insert(0, comments[line])
                line -= 1
            trailing = [comments[n] for n in range(item.lineno, item.end_lineno + 1) if n in comments]
            found[(node.name, item.target.id)] = " ".join(above + trailing)
    return found


def validation_messages(module: types.ModuleType) -> list[str]:
    """Every ``need(condition, message)`` message, with loop variables over literal tuples expanded.

    Placeholders that name module constants show their values; other local values show as ``<name>``, list
    positions as ``[]``, and a value computed by a call as what that call reports.
    """
    tree = ast.parse(inspect.getsource(module))
    names = vars(module)
    messages: list[str] = []

    def evaluable(expr: ast.AST) -> bool:
        return all(n.id in names for n in ast.walk(expr) if isinstance(n, ast.Name))

    def render(node: ast.AST, bound: dict[str, str]) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if not isinstance(node, ast.JoinedStr):
            return None
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value))
            elif isinstance(part.value, ast.Name) and part.value.id in bound:
                out.append(bound[part.value.id])
            elif evaluable(part.value):
                out.append(str(eval(compile(ast.Expression(part.value), "<reference>", "eval"), names)))
            elif isinstance(part.value, ast.Name):
                out.append(f"<{part.value.id}>")
            else:
                out.append("<...>")
        return "".join(out)

    def visit(statements: list[ast.stmt], bound: dict[str, str]) -> None:
        bound = dict(bound)
        for stmt in statements:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target, value = stmt.targets[0], stmt.value
                if isinstance(target, ast.Name) and render(value, bound) is not None:
                    bound[target.id] = render(value, bound)
                elif isinstance(target, ast.Name) and isinstance(value, ast.Call):
                    bound[target.id] = f"<what {ast.unparse(value.func)}() reports>"
                elif isinstance(target, ast.Tuple) and evaluable(value):
                    values = eval(compile(ast.Expression(value), "<reference>", "eval"), names)
                    bound.update({t.id: str(v) for t, v in zip(target.elts, values) if isinstance(t, ast.Name)})
            if isinstance(stmt, ast.For):
                for row in loop_rows(stmt):
                    visit(stmt.body, {**bound, **row})
            elif isinstance(stmt, (ast.If, ast.While, ast.With, ast.Try)):
                for block in (stmt.body, getattr(stmt, "orelse", []), getattr(stmt, "finalbody", [])):
                    visit(block, bound)
                if isinstance(stmt, (ast.If, ast.While)):
                    visit([ast.Expr(stmt.test)], bound)
            else:
                for node in ast.walk(stmt):
                    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "need"
                            and len(node.args) == 2):
                        text = render(node.args[1], bound)
                        if text is not None:
                            messages.append(text)

    def loop_rows(loop: ast.For) -> list[dict[str, str]]:
        """One binding per row of a loop over a literal tuple of tuples; one empty binding otherwise."""
        if isinstance(loop.target, ast.Tuple) and isinstance(loop.iter, (ast.Tuple, ast.List)):
            rows = []
            for row in loop.iter.elts:
                if not isinstance(row, ast.Tuple) or len(row.elts) != len(loop.target.elts):
                    return [{}]
                rows.append({t.id: v.value for t, v in zip(loop.target.elts, row.elts)
                             if isinstance(t, ast.Name) and isinstance(v, ast.Constant) and isinstance(v.value, str)})
            return rows or [{}]
        return [{}]

    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            visit(node.body, {})
    return list(dict.fromkeys(re.sub(r"\[<[^>]*>\]", "[]", m) for m in messages))


# --------------------------------------------------------------------------- describing them
def sections(cls: type = parameters.Parameters, path: str = "") -> list[Section]:
    """The top level and every nested mapping, in declaration order."""
    found = [Section(path, cls, path or "Top level")]
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        inner, suffix, title = _element(hints[f.name])
        if dataclasses.is_dataclass(inner):
            sub = f"{path}.{f.name}" if path else f.name
            found += [s if s.path != sub + suffix else Section(s.path, s.cls, title.format(sub))
                      for s in sections(inner, sub + suffix)]
    return found


def _element(tp: Any) -> tuple[Any, str, str]:
    """A field's dataclass (if any), the path suffix of its entries and the title of their section."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is list and dataclasses.is_dataclass(args[0]):
        return args[0], "[]", "{} entries"
    if origin is dict and dataclasses.is_dataclass(args[1]):
        return args[1], f".<{_entry_name(args[1])}>", "{} entries"
    return tp, "", "{}"


def _entry_name(cls: type) -> str:
    return {"SelectionTask": "task", "DebuggingDataset": "data_id"}.get(cls.__name__, "name")


def anchor(title: str) -> str:
    """The heading id MkDocs gives a title (Python-Markdown's toc slugify)."""
    text = re.sub(r"[^\w\s-]", "", title).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def type_text(tp: Any, owner: dict[type, str]) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return f"{type_text(inner, owner)} or `null`"
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if dataclasses.is_dataclass(tp):
        return f"mapping, see [{owner[tp]}](#{anchor(owner[tp])})"
    if origin is dict:
        return "mapping" if args[1] is Any else f"mapping of name to {type_text(args[1], owner)}"
    if origin is list:
        return f"list of {type_text(args[0], owner)}"
    return {bool: "`true` or `false`", int: "integer", float: "finite number", str: "non-empty text"}[tp]


def default_text(f: dataclasses.Field) -> str:
    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
        return "required"
    value = f.default if f.default is not dataclasses.MISSING else f.default_factory()
    if dataclasses.is_dataclass(value):
        return "its section's defaults"
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000).strip()
    return f"`{text.removesuffix('...').strip()}`"


def keys(section: Section, comments: dict[tuple[str, str], str], owner: dict[type, str]) -> list[Key]:
    hints = typing.get_type_hints(section.cls)
    found = []
    for f in dataclasses.fields(section.cls):
        path = f"{section.path}.{f.name}" if section.path else f.name
        meaning = comments.get((section.cls.__name__, f.name), "")
        inner = _element(hints[f.name])[0]
        if not meaning and dataclasses.is_dataclass(inner) and inspect.getdoc(inner) != _auto_doc(inner):
            meaning = (inspect.getdoc(inner) or "").split("\n\n")[0].replace("\n", " ")  # the section's summary
        found.append(Key(path, type_text(hints[f.name], owner), default_text(f), meaning, []))
    return found


def key_of(message: str) -> str:
    """The key a validation message starts with (``download.http.resources[].url``, ``selection.tasks``)."""
    match = re.match(r"[A-Za-z_]\w*(?:\.(?:<\w+>|\w+)|\[\])*", message)
    return match.group(0) if match else ""


def assign_checks(all_keys: list[Key], all_sections: list[Section],
                  messages: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Attach each message to the longest key or section path it starts with.

    Returns the checks of whole sections and the messages that start with no known path.
    """
    targets: dict[str, list[str]] = {k.path: k.checks for k in all_keys}
    section_checks: dict[str, list[str]] = {}
    for s in all_sections:
        if s.path:
            targets.setdefault(s.path, section_checks.setdefault(s.path, []))
    unplaced = []
    for message in messages:
        start = key_of(message)
        matches = [p for p in targets if start == p or start.startswith((p + ".", p + "["))]
        if not matches:
            unplaced.append(message)
            continue
        path = max(matches, key=len)
        rest = message[len(path):]
        if rest.startswith(":"):
            message = rest[1:].strip()
        elif rest.startswith(" must "):
            message = rest.strip()
        targets[path].append(message)
    return section_checks, unplaced


def cell(text: str) -> str:
    """Text for a table cell: pipes escaped, and angle brackets outside code spans, so they are not read as HTML."""
    parts = re.split(r"(`[^`]*`)", text.replace("|", "\\|").replace("\n", " "))
    return "".join(p if p.startswith("`") else p.replace("<", "&lt;").replace(">", "&gt;") for p in parts)


def check_text(check: str) -> str:
    """A validation message as shown: placeholders and key names kept verbatim in code spans."""
    return re.sub(r"(<[^>]+>)", r"`\1`", check)


def reference_markdown() -> str:
    """The whole page."""
    comments = field_comments(parameters)
    messages = validation_messages(parameters)
    all_sections = sections()
    owner = {s.cls: s.title for s in all_sections}
    section_keys = {s.path: keys(s, comments, owner) for s in all_sections}
    all_keys = [k for ks in section_keys.values() for k in ks]
    section_checks, unplaced = assign_checks(all_keys, all_sections, messages)
    doc = inspect.getdoc(parameters) or ""
    out = [
        "# parameters.yaml reference",
        "",
        f"<!-- Generated from benchmark/formats/parameters.py by `{COMMAND}`; do not edit by hand. -->",
        "",
        " ".join(doc.split("\n\n")[1].split()) if "\n\n" in doc else "",
        "Every key below is optional unless its default says *required*; a key not listed here is an error.",
        "What each value means in use is on the [configuration page](configuration.md).",
        "",
        "Generated from the declarations in `benchmark/formats/parameters.py` (types, defaults, the comment "
        "of each field and the checks the loader makes) by",
        "",
        "```bash",
        COMMAND,
        "```",
        "",
        "## Limits",
        "",
        "| limit | value | why |",
        "|---|---|---|",
    ]
    for name in LIMITS:
        out.append(f"| `{name}` | {getattr(parameters, name):,} | {cell(module_comment(name))} |")
    for s in all_sections:
        out += ["", f"## {s.title}", ""]
        doc = inspect.getdoc(s.cls) if s.cls.__doc__ and inspect.getdoc(s.cls) != _auto_doc(s.cls) else ""
        if doc:
            out += [" ".join(doc.split()), ""]
        for check in section_checks.get(s.path, []):
            out.append(f"- checked: {check_text(check)}")
        if section_checks.get(s.path):
            out.append("")
        out += ["| key | type | default | meaning | checked |", "|---|---|---|---|---|"]
        for k in section_keys[s.path]:
            out.append(f"| `{k.path}` | {cell(k.type)} | {cell(k.default)} | {cell(k.meaning)} | "
                       f"{cell('; '.join(check_text(c) for c in k.checks))} |")
    if unplaced:
        out += ["", "## Other checks", ""] + [f"- {check_text(m)}" for m in unplaced]
    return "\n".join(out) + "\n"


def _auto_doc(cls: type) -> str:
    """The docstring @dataclass writes for a class that has none (its signature), which says nothing."""
    return cls.__name__ + str(inspect.signature(cls)).replace(" -> None", "")


def module_comment(name: str) -> str:
    """The comment on the line that assigns a module constant."""
    source = inspect.getsource(parameters).split("\n")
    for line in source:
        if re.match(rf"{name}\s*=", line) and "#" in line:
            return line.split("#", 1)[1].strip()
    return ""


if __name__ == "__main__":
    sys.stdout.write(reference_markdown())
