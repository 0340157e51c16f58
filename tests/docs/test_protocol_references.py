"""Every "PROTOCOL §N" citation in the repository points at a section of docs/protocol.md, and the
glossary of docs/architecture.md names only paths that exist."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "docs" / "protocol.md"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
SELF = Path(__file__).resolve().relative_to(ROOT).as_posix()

TEXT_SUFFIXES = {
    ".py", ".sol", ".circom", ".md", ".sh", ".cjs", ".mjs", ".js", ".toml", ".json", ".txt",
    ".yaml", ".yml", ".cfg",
}  # fmt: skip
SECTION_HEADING = re.compile(r"^#{2,4} (\d+(?:\.\d+)*)\. ", re.MULTILINE)
SECTION_SIGN = re.compile(r"§ ?(\d+(?:\.\d+)*)")
# text just before a "§N" that makes it a citation of the protocol ("PROTOCOL §6", "PROTOCOL v3 §8",
# "PROTOCOL.md §2", "docs/protocol.md §7") ...
PROTOCOL_PREFIX = re.compile(r"(?:PROTOCOL|protocol\.md)[^§\n]{0,12}$")
# ... or of another document, which this check leaves alone ("operations.md §3", "RFC 5280 §4.1",
# "rend-spec-v3 §6"); a bare "§N" with neither prefix means the protocol too
OTHER_DOCUMENT = re.compile(r"(?:[\w./-]+\.md|RFC ?\d+|[\w-]+-spec[\w-]*)[ (]*$")
# "§4 below" / "§1 above": a document citing its own numbered sections (docs/operations.md)
SELF_REFERENCE = re.compile(r" (?:below|above)\b")


@dataclass(frozen=True)
class Citation:
    file: str
    line: int
    section: str
    text: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: §{self.section} ({self.text.strip()[:100]})"


def protocol_sections(markdown: str) -> set[str]:
    """The section numbers docs/protocol.md has headings for (`## 6. A paid call` gives "6")."""
    return set(SECTION_HEADING.findall(markdown))


def citations(file: str, text: str) -> list[Citation]:
    """The protocol citations in one file: "PROTOCOL …§N", and bare "§N" not naming another doc."""
    found: list[Citation] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in SECTION_SIGN.finditer(line):
            before = line[max(0, match.start() - 30) : match.start()]
            if SELF_REFERENCE.match(line, match.end()):
                continue
            if PROTOCOL_PREFIX.search(before) or not OTHER_DOCUMENT.search(before):
                found.append(Citation(file, number, match.group(1), line))
    return found


def dangling(cited: list[Citation], sections: set[str]) -> list[Citation]:
    """The citations whose section has no heading (§6 row 4 needs "6"; §6.3 needs "6.3")."""
    return [c for c in cited if c.section not in sections]


def tracked_text_files() -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [
        name
        for name in listing.split("\0")
        if name
        and Path(name).suffix in TEXT_SUFFIXES
        and not name.startswith("build/")
        and name != SELF  # its synthetic citations of missing sections are meant to dangle
    ]


def repository_citations() -> list[Citation]:
    found: list[Citation] = []
    for name in tracked_text_files():
        path = ROOT / name
        if not path.is_file():  # deleted in the work tree, not yet in the index
            continue
        text = path.read_text(errors="replace")
        if "§" in text:
            found += citations(name, text)
    return found


GLOSSARY = re.compile(r"^## Glossary\n(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)
BACKTICKED = re.compile(r"`([^`\s]+)`")


def glossary_paths(markdown: str) -> list[str]:
    """The repository paths the glossary names: backticked words with a slash."""
    match = GLOSSARY.search(markdown)
    assert match is not None, "docs/architecture.md has no '## Glossary' section"
    return [word for word in BACKTICKED.findall(match.group(1)) if "/" in word]


def missing_paths(paths: list[str], root: Path) -> list[str]:
    return [p for p in paths if not (root / p).exists()]


def test_every_protocol_citation_in_tracked_files_names_a_section_of_protocol_md() -> None:
    sections = protocol_sections(PROTOCOL.read_text())
    cited = repository_citations()
    assert len(cited) > 100, f"the scan found only {len(cited)} citations: the pattern is broken"
    broken = dangling(cited, sections)
    assert broken == [], "cited sections missing from docs/protocol.md:\n" + "\n".join(
        map(str, broken)
    )


def test_protocol_md_numbers_its_sections_one_to_sixteen_at_least() -> None:
    sections = protocol_sections(PROTOCOL.read_text())
    assert {str(n) for n in range(1, 17)} <= sections
    assert "PROTOCOL §N" in PROTOCOL.read_text().split("\n## ")[0]


def test_a_citation_of_a_missing_section_is_reported_with_its_file_and_line() -> None:
    text = "x = 1\n# checks the root (PROTOCOL §6 row 1)\n# see PROTOCOL v3 §42 and §7.9\n"
    cited = citations("prover/made_up.py", text)
    broken = dangling(cited, {"1", "6", "7"})
    assert [str(c).split(" (")[0] for c in broken] == [
        "prover/made_up.py:3: §42",
        "prover/made_up.py:3: §7.9",
    ]


def test_a_section_sign_that_names_another_document_is_not_a_protocol_citation() -> None:
    text = (
        "see docs/operations.md §3, RFC 5280 §4.1, rend-spec-v3 §6, §4 below; PROTOCOL.md §2;"
        " bare §11\n"
    )
    assert [c.section for c in citations("a.md", text)] == ["2", "11"]


def test_headings_are_read_as_section_numbers_only_when_numbered() -> None:
    markdown = "# Title\n## 1. Parties\n## Notes\n### 6.3. A sub-rule\n## 12. ERC-8004\n"
    assert protocol_sections(markdown) == {"1", "6.3", "12"}


def test_every_path_the_glossary_names_exists() -> None:
    paths = glossary_paths(ARCHITECTURE.read_text())
    assert len(paths) > 40, f"the glossary names only {len(paths)} paths: the pattern is broken"
    assert missing_paths(paths, ROOT) == []


def test_a_glossary_path_that_does_not_exist_is_reported() -> None:
    markdown = (
        "## Glossary\n| note | `prover/client/deposit.py` `deposit_note` | `prover/gone.py` |\n"
        "## Next\n`prover/also_gone.py`\n"
    )
    paths = glossary_paths(markdown)
    assert paths == ["prover/client/deposit.py", "prover/gone.py"]
    assert missing_paths(paths, ROOT) == ["prover/gone.py"]
