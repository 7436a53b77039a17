"""The shell subset scripts are written in: lines, words, variables, ``;`` ``&&`` ``||`` ``&``
``|`` and ``>``.

Design note
-----------
Enough of POSIX sh for pasted documentation and small lab scripts, nothing more:

* logical lines: ``\\`` at the end of a line continues it (the command keeps the line
  number of its first line); ``#`` starts a comment at the start of a word;
* expansion, outside single quotes: ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``$?``,
  ``$!`` and command substitution ``$(...)`` (run by the interpreter, e.g. ``$(whoami)``);
* documentation placeholders such as ``<namespace>`` or ``<MAC>`` are filled from the
  caller's table or reported as what they are, never taken as a redirection;
* words are split the way ``sh`` does for quotes (``shlex`` in POSIX mode); operators
  ``;`` ``&`` ``&&`` ``||`` ``|`` ``>`` ``>>`` separate them; ``2>&1`` and ``2>/dev/null``
  are accepted (stderr stays where it is / is dropped).

``parse_line`` returns a list of ``AndOr`` items: pipelines joined by ``&&``/``||``, each
run in the foreground or (``&``) the background.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from vnetlab.script.errors import NotSupportedYet, ScriptError

PLACEHOLDER_RE = re.compile(r"<([A-Za-z][A-Za-z0-9_ -]*)>")
_VAR_RE = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*)|([?!$#]))"
)
OPERATORS = {";", "&", "&&", "||", "|", ">", ">>", "<"}
#: ``NAME=value``: an assignment word (before a command, or alone, or after ``export``)
ASSIGN_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


@dataclass
class Command:
    argv: list[str]
    redirect: tuple[str, str] | None = None  # (">" | ">>", path)
    stderr_null: bool = False


@dataclass
class AndOr:
    """``p1 && p2 || p3``: pipelines with the operator that joins each to the previous."""

    pipelines: list[tuple[str, list[Command]]] = field(default_factory=list)
    background: bool = False


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(line number of the first physical line, joined text) per logical line."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        if not buf:
            start = n
        if line.endswith("\\") and not line.endswith("\\\\"):
            buf.append(line[:-1])
            continue
        buf.append(line)
        out.append((start, " ".join(b.strip() if i else b for i, b in enumerate(buf))))
        buf = []
    if buf:
        out.append((start, " ".join(buf)))
    return out


def strip_comment(line: str) -> str:
    """Drop a ``#`` comment that starts a word (outside quotes)."""
    quote = ""
    prev = " "
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and prev in " \t;&|(":
            return line[:i]
        prev = ch
    return line


def fill_placeholders(line: str, fills: Mapping[str, str], lineno: int) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        for key in (name, name.lower(), name.replace(" ", "_").lower()):
            if key in fills:
                return fills[key]
        known = f" (filled here: {', '.join(sorted(fills))})" if fills else ""
        raise ScriptError(
            f"<{name}> is a placeholder from the documentation, not a value: replace it with "
            f"a real one, or run with --set {name.replace(' ', '_').lower()}=VALUE{known}",
            lineno=lineno, rc=2,
        )

    out = []
    quote = ""
    last = 0
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch == "'":
            quote = ch
        elif ch == "<":
            m = PLACEHOLDER_RE.match(line, i)
            if m:
                out.append(line[last:i])
                out.append(sub(m))
                last = i = m.end()
                continue
        i += 1
    out.append(line[last:])
    return "".join(out)


#: words that open or belong to a compound command, which the subset does not have
COMPOUND_WORDS = {"for", "while", "until", "if", "then", "else", "elif", "fi", "case", "esac",
                  "do", "done", "select", "function", "{", "}", "!"}
_FUNCDEF_RE = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*\(\s*\)")


def open_quote(line: str) -> str:
    """The quote character still open at the end of LINE ("" when all are closed)."""
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote == "'":
            if ch == "'":
                quote = ""
        elif ch == "\\" and i + 1 < len(line):
            i += 2
            continue
        elif quote == '"':
            if ch == '"':
                quote = ""
        elif ch in "'\"":
            quote = ch
        i += 1
    return quote


def check_subset(line: str, lineno: int) -> None:
    """Refuse, before anything runs, what sh means but this subset does not do: NUL
    bytes, an unterminated quote (dash's words), compound commands, functions, heredocs
    and subshells ("not supported yet", never "for: command not found"). Each stops the
    script, as a syntax error stops a non-interactive sh."""
    if "\0" in line:
        raise ScriptError("Syntax error: NUL byte in the script (a shell word cannot hold "
                          "one)", lineno=lineno, rc=2, fatal=True)
    if open_quote(line):
        raise ScriptError("Syntax error: Unterminated quoted string (vnetlab: a quoted "
                          "string cannot span lines)", lineno=lineno, rc=2, fatal=True)
    for _joiner, piece in split_sequence(line):
        first = piece.split(None, 1)[0] if piece.strip() else ""
        what = ""
        if first in COMPOUND_WORDS:
            what = f"'{first}' (compound commands: for, while, if, case, {{ }})"
        elif _FUNCDEF_RE.match(piece):
            what = "shell functions"
        elif first.startswith("("):
            what = "subshells ( ... )"
        elif re.search(r"<<", _unquoted(piece)):
            what = "here-documents (<<)"
        if what:
            raise NotSupportedYet(what, "write the commands out one per line",
                                  lineno=lineno, fatal=True)


def _unquoted(line: str) -> str:
    """LINE with quoted text blanked out."""
    return re.sub(r"'[^']*'|\"(?:\\.|[^\"\\])*\"", "''", line)


def expand(line: str, variables: Mapping[str, str], substitute: Callable[[str], str],
           lineno: int, *, nounset: bool = False) -> str:
    """Variables and ``$(...)`` outside single quotes; NOUNSET (``set -u``) makes an unset
    named variable without a ``:-`` default an error that stops the script."""
    out: list[str] = []
    i = 0
    quote = ""
    while i < len(line):
        ch = line[i]
        if quote == "'":
            out.append(ch)
            if ch == "'":
                quote = ""
            i += 1
            continue
        if ch == "'" and not quote:
            quote = "'"
            out.append(ch)
            i += 1
            continue
        if ch == '"':
            quote = "" if quote == '"' else '"'
            out.append(ch)
            i += 1
            continue
        if ch == "\\" and i + 1 < len(line):
            out.append(line[i:i + 2])
            i += 2
            continue
        if ch == "$" and line.startswith("$(", i):
            depth, j = 0, i + 1
            while j < len(line):
                if line[j] == "(":
                    depth += 1
                elif line[j] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= len(line):
                raise ScriptError("syntax error: unterminated $(", lineno=lineno, rc=2)
            sub = substitute(line[i + 2:j])
            out.append(sub if quote else shlex.quote(sub) if " " in sub else sub)
            i = j + 1
            continue
        if ch == "`":
            j = line.find("`", i + 1)
            if j < 0:
                raise ScriptError("syntax error: unterminated `", lineno=lineno, rc=2)
            out.append(substitute(line[i + 1:j]))
            i = j + 1
            continue
        if ch == "$":
            m = _VAR_RE.match(line, i)
            if m:
                name = m.group(1) or m.group(3) or m.group(4) or ""
                value = variables.get(name)
                if value is None and nounset and m.group(2) is None and not m.group(4):
                    raise ScriptError(f"{name}: parameter not set", lineno=lineno, rc=2,
                                      fatal=True)
                val = (m.group(2) or "") if value is None else value
                out.append(val if quote or " " not in val else shlex.quote(val))
                i = m.end()
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def words(line: str, lineno: int) -> list[str]:
    line = re.sub(r"(?<=\s)2>&1", " ", line)
    line = re.sub(r"(?<=\s)2>\s*/dev/null", " __2NULL__ ", line)
    lex = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        return list(lex)
    except ValueError as e:
        raise ScriptError(f"syntax error: {e}", lineno=lineno, rc=2) from None


def parse_words(toks: list[str], lineno: int) -> list[AndOr]:
    items: list[AndOr] = []
    cur = AndOr()
    pipeline: list[Command] = []
    cmd = Command([])
    joiner = ""
    i = 0

    def end_cmd() -> None:
        nonlocal cmd
        if cmd.argv or cmd.redirect:
            if not cmd.argv:
                raise ScriptError("syntax error: redirection without a command",
                                  lineno=lineno, rc=2)
            pipeline.append(cmd)
        cmd = Command([])

    def end_pipeline(op: str) -> None:
        nonlocal pipeline, joiner
        end_cmd()
        if pipeline:
            cur.pipelines.append((joiner, pipeline))
        elif op:
            raise ScriptError(f"syntax error near unexpected token `{op}'", lineno=lineno,
                              rc=2)
        pipeline = []
        joiner = op

    while i < len(toks):
        t = toks[i]
        if t in (">", ">>"):
            if i + 1 >= len(toks) or toks[i + 1] in OPERATORS:
                raise ScriptError("syntax error near unexpected token `newline'",
                                  lineno=lineno, rc=2)
            cmd.redirect = (t, toks[i + 1])
            i += 2
            continue
        if t == "__2NULL__":
            cmd.stderr_null = True
        elif t == "|":
            end_cmd()
        elif t in ("&&", "||"):
            end_pipeline(t)
        elif t in (";", "&"):
            end_pipeline("")
            if cur.pipelines:
                cur.background = t == "&"
                items.append(cur)
            cur = AndOr()
            joiner = ""
        elif t == "<":
            raise ScriptError("input redirection ('<') is not supported in vnetlab scripts",
                              lineno=lineno, rc=2)
        elif set(t) <= set(";&|") and t:
            raise ScriptError(f"syntax error near unexpected token `{t}'", lineno=lineno,
                              rc=2)
        else:
            cmd.argv.append(t)
        i += 1
    end_pipeline("")
    if cur.pipelines:
        items.append(cur)
    return items


def split_sequence(line: str) -> list[tuple[str, str]]:
    """Split a line at its top-level ``;``, ``&&`` and ``||`` into (joiner, command text).

    The shell expands each command just before it runs (``Y=1; echo $Y`` prints 1), so
    the interpreter expands piece by piece; quotes, backslashes and ``$(...)`` nesting are
    respected, and ``&`` (background) stays inside its piece.
    """
    out: list[tuple[str, str]] = []
    joiner = ""
    buf: list[str] = []
    quote = ""
    depth = 0
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if quote:
            buf.append(c)
            if c == "\\" and quote == '"' and i + 1 < n:
                buf.append(line[i + 1])
                i += 2
                continue
            if c == quote:
                quote = ""
            i += 1
            continue
        if c == "\\" and i + 1 < n:
            buf.append(line[i : i + 2])
            i += 2
            continue
        if c in ("'", '"'):
            quote = c
        elif c == "$" and line[i + 1 : i + 2] == "(":
            depth += 1
            buf.append("$(")
            i += 2
            continue
        elif c == ")" and depth:
            depth -= 1
        elif depth == 0 and (c == ";" or line[i : i + 2] in ("&&", "||")):
            op = ";" if c == ";" else line[i : i + 2]
            out.append((joiner, "".join(buf)))
            joiner = op
            buf = []
            i += len(op)
            continue
        buf.append(c)
        i += 1
    out.append((joiner, "".join(buf)))
    return [(j, t) for j, t in out if t.strip() or j]
