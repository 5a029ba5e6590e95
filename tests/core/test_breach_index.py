"""The compact index of the breach list: the same counts as the text list, a quarter of its
size, refused when its source is not the sorted list, and a damaged index is one clear line."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from app.core.breach import BreachFile
from app.core.breach_index import BreachIndex, build_index, is_index, open_breach_source
from app.core.crypto import breach_digest
from app.core.twofactor import SourceError
from tests.core.test_breach import KNOWN, generated_lines


@pytest.fixture(scope="module")
def text_list(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hibp") / "pwnedpasswords.txt"
    path.write_bytes(b"\r\n".join(generated_lines(100_000)) + b"\r\n")
    return path


@pytest.fixture(scope="module")
def index(text_list: Path) -> Path:
    target = text_list.with_name("pwned.idx")
    assert build_index(text_list, target) == 100_000 + len(KNOWN)
    return target


def test_the_index_answers_as_the_text_list_does(text_list: Path, index: Path) -> None:
    rng = random.Random(5)
    listed = [line.split(b":")[0] for line in text_list.read_bytes().split(b"\r\n")[:-1]]
    asked = rng.sample(listed, 2_000) + [
        rng.randbytes(20).hex().upper().encode() for _ in range(2_000)
    ]
    asked += [breach_digest(p) for p in KNOWN] + [listed[0], listed[-1]]
    text = BreachFile(text_list)
    compact = open_breach_source(index)
    assert isinstance(compact, BreachIndex)
    assert compact.counts(asked) == text.counts(asked)
    assert compact.counts([breach_digest(p) for p in KNOWN]) == {
        breach_digest(p): n for p, n in KNOWN.items()
    }
    assert compact.describe() == f"{index} (an index of {100_000 + len(KNOWN):,} hashes)"
    # 12 bytes a hash against the text's 44 (and a 512 KiB table).
    assert index.stat().st_size < 0.3 * text_list.stat().st_size + 600_000
    assert index.stat().st_mode & 0o777 == 0o600
    assert is_index(index)
    assert not is_index(text_list)


def test_an_unsorted_or_ntlm_or_foreign_list_is_refused_and_nothing_is_left(
    tmp_path: Path,
) -> None:
    lines = generated_lines(1_000)
    cases = {
        "unsorted": b"\r\n".join([lines[1], lines[0], *lines[2:]]),
        "ntlm": b"\r\n".join(line[8:] for line in lines),
        "foreign": b"hello world\r\n",
    }
    for name, data in cases.items():
        source = tmp_path / f"{name}.txt"
        source.write_bytes(data + b"\r\n")
        target = tmp_path / f"{name}.idx"
        with pytest.raises(SourceError) as refused:
            build_index(source, target)
        assert "\n" not in str(refused.value)
        assert not target.exists()
        assert list(tmp_path.glob(f".{name}.idx*")) == []
    assert "not sorted" in _message(tmp_path, "unsorted")
    assert "NTLM" in _message(tmp_path, "ntlm")


def _message(folder: Path, name: str) -> str:
    try:
        build_index(folder / f"{name}.txt", folder / f"{name}.idx")
    except SourceError as error:
        return str(error)
    raise AssertionError("built")


def test_a_damaged_index_is_one_clear_line(index: Path, tmp_path: Path) -> None:
    data = index.read_bytes()
    for name, damaged in {
        "truncated": data[:-100],
        "short": data[:20],
        "table": data[:-8] + (10**9).to_bytes(8, "big"),
    }.items():
        path = tmp_path / f"{name}.idx"
        path.write_bytes(damaged)
        with pytest.raises(SourceError, match="damaged or incomplete"):
            open_breach_source(path)
