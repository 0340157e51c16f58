"""The test quotes are the files the vectors README describes, byte for byte."""

from __future__ import annotations

import hashlib
import re

from .vectors import DIR


def _readme_hashes() -> dict[str, str]:
    text = (DIR / "README.md").read_text()
    return dict(re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", text, re.M))


def test_every_vector_file_has_the_sha256_its_readme_lists() -> None:
    listed = _readme_hashes()
    on_disk = {p.name for p in DIR.iterdir() if p.name != "README.md"}
    assert set(listed) == on_disk
    for name, digest in listed.items():
        assert hashlib.sha256((DIR / name).read_bytes()).hexdigest() == digest, name


def test_the_readme_names_the_sdist_and_its_sha256_and_the_mit_licence() -> None:
    text = (DIR / "README.md").read_text()
    assert "dcap_qvl-0.7.0.tar.gz" in text
    assert "f1c442dc494a6a3ccfff587dfa22ea3a7459c90d940a3dd20d234332a025ed03" in text
    assert "MIT License" in (DIR / "LICENSE-dcap-qvl").read_text()
