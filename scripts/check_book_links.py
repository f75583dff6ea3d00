#!/usr/bin/env python3
"""Checks the internal links of the book (docs/src/**/*.md) and of README.md.

Every relative link or image must name a file that exists in the repository; a link with a
`#anchor` into a Markdown file must name one of its headings (ids as mdBook and GitHub make them:
lower case, spaces to hyphens, other punctuation dropped, `-1`, `-2`, ... for repeats). Links from
the book must stay inside docs/src/, or the built book would hold a link that goes nowhere.
Absolute paths and `file:` links are refused; web URLs (`http:`, `https:`, `mailto:`) are not
checked. Code blocks and inline code are skipped.

Exits 1 naming every broken link as FILE:LINE: TARGET: WHY, and 0 when none is broken.
Python 3 standard library only.
"""

import os
import re
import sys

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BOOK = os.path.join(ROOT, "docs", "src")

FENCE = re.compile(r"^\s*(```+|~~~+)")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](target "title") and ![alt](target); the text may hold one level of brackets.
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*\"([^\"]*)\"", re.IGNORECASE)
WEB = ("http://", "https://", "mailto:")


def slug(text):
    """A heading's id, as mdBook (and GitHub) make it from the heading's text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their text
    text = re.sub(r"<[^>]*>", "", text)  # inline HTML tags
    text = text.replace("`", "").replace("*", "")
    out = []
    for ch in text:
        if ch.isalnum() or ch in "_-":
            out.append(ch.lower() if ch.isascii() else ch)
        elif ch.isspace():
            out.append("-")
    return "".join(out)


def lines_outside_code(path, keep_inline_code=False):
    """(line number, text) of every line outside fenced code, inline code removed unless kept."""
    fence = None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            m = FENCE.match(line)
            if m:
                marker = m.group(1)[0] * 3
                if fence is None:
                    fence = marker
                elif m.group(1).startswith(fence):
                    fence = None
                continue
            if fence is None:
                text = line.rstrip("\n")
                yield number, text if keep_inline_code else INLINE_CODE.sub("", text)


_anchors = {}


def anchors(path):
    """Every heading id of a Markdown file."""
    if path not in _anchors:
        seen = {}
        ids = set()
        for _, line in lines_outside_code(path, keep_inline_code=True):
            m = HEADING.match(line)
            if not m:
                continue
            base = slug(m.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            ids.add(base if n == 0 else f"{base}-{n}")
        _anchors[path] = ids
    return _anchors[path]


def targets(path):
    for number, line in lines_outside_code(path):
        for m in LINK.finditer(line):
            yield number, m.group(1)
        for m in HTML_LINK.finditer(line):
            yield number, m.group(1)
        m = REFERENCE.match(line)
        if m:
            yield number, m.group(1)


def check(path):
    """Every broken link of one file, as (line, target, why)."""
    broken = []
    here = os.path.dirname(path)
    in_book = os.path.commonpath([path, BOOK]) == BOOK
    for number, target in targets(path):
        if not target:
            broken.append((number, target, "empty link"))
            continue
        if target.lower().startswith(WEB):
            continue
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
            broken.append((number, target, "not a relative link or a web URL"))
            continue
        if target.startswith("/"):
            broken.append((number, target, "an absolute path: use a path relative to this file"))
            continue
        file_part, _, anchor = target.partition("#")
        dest = os.path.realpath(os.path.join(here, file_part)) if file_part else path
        if os.path.commonpath([dest, ROOT]) != ROOT:
            broken.append((number, target, "outside the repository"))
            continue
        if not os.path.exists(dest):
            broken.append((number, target, "no such file"))
            continue
        if in_book and os.path.commonpath([dest, BOOK]) != BOOK:
            broken.append((number, target, "outside docs/src/: the built book would not have it"))
            continue
        if anchor:
            if not dest.endswith(".md") or not os.path.isfile(dest):
                broken.append((number, target, "an anchor into a file that is not Markdown"))
            elif anchor not in anchors(dest):
                broken.append((number, target, f"no heading #{anchor} in {os.path.relpath(dest, ROOT)}"))
    return broken


def main():
    files = [os.path.join(ROOT, "README.md")]
    for directory, _, names in os.walk(BOOK):
        files.extend(os.path.join(directory, n) for n in sorted(names) if n.endswith(".md"))
    failures = 0
    links = 0
    for path in sorted(files):
        links += sum(1 for _ in targets(path))
        for number, target, why in check(path):
            failures += 1
            print(f"{os.path.relpath(path, ROOT)}:{number}: broken link `{target}`: {why}")
    if failures:
        print(f"{failures} broken link(s) in {len(files)} files", file=sys.stderr)
        return 1
    print(f"book links: {links} links in {len(files)} files, none broken")
    return 0


if __name__ == "__main__":
    sys.exit(main())
