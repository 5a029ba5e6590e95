"""The offline breach list: a generated sorted file of 200,000 `HASH:COUNT` lines plus known
ones, searched in place with bounded memory; a folder of range files; and the lists that must be
refused with a clear message (not sorted, NTLM, missing ranges)."""

from __future__ import annotations

import hashlib
import os
import random
import tracemalloc
from pathlib import Path

import pytest

from app.core.breach import BreachFile, BreachFolder, open_breach_list
from app.core.crypto import breach_digest
from app.core.twofactor import SourceError

KNOWN = {"password1": 2_418_984, "Canary-Breached-Pass-7731": 7, "letmein": 1}
LINES = 200_000


def sha1(text: str) -> bytes:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest().upper().encode()


def generated_lines(count: int = LINES, seed: int = 23) -> list[bytes]:
    """``count`` random SHA-1 lines with counts, plus the known ones, sorted by hash."""
    rng = random.Random(seed)
    lines = {rng.randbytes(20).hex().upper().encode(): rng.randint(1, 9999) for _ in range(count)}
    lines |= {sha1(password): times for password, times in KNOWN.items()}
    return [digest + b":" + str(times).encode() for digest, times in sorted(lines.items())]


@pytest.fixture(scope="module")
def lines() -> list[bytes]:
    return generated_lines()


@pytest.fixture(scope="module")
def breach_file(tmp_path_factory: pytest.TempPathFactory, lines: list[bytes]) -> Path:
    path = tmp_path_factory.mktemp("hibp") / "pwnedpasswords.txt"
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")  # the downloader writes CRLF
    return path


def test_known_passwords_are_found_with_their_counts(breach_file: Path) -> None:
    source = open_breach_list(breach_file)
    assert isinstance(source, BreachFile)
    asked = [breach_digest(p) for p in [*KNOWN, "not-in-the-list-8812", "another-absent-77"]]
    found = source.counts(asked)
    assert found == {breach_digest(p): times for p, times in KNOWN.items()}
    assert f"({LINES + len(KNOWN):,} hashes)" in source.describe()


def test_the_search_agrees_with_reading_the_whole_file(
    breach_file: Path, lines: list[bytes]
) -> None:
    whole = {line[:40]: int(line[41:]) for line in lines}
    rng = random.Random(5)
    present = [*rng.sample(sorted(whole), 3000), lines[0][:40], lines[-1][:40]]
    absent = [rng.randbytes(20).hex().upper().encode() for _ in range(3000)]
    absent += [b"0" * 40, b"F" * 40]
    found = BreachFile(breach_file).counts(present + absent)
    assert found == {digest: whole[digest] for digest in present + absent if digest in whole}


def test_memory_stays_small_whatever_the_files_size(breach_file: Path) -> None:
    source = BreachFile(breach_file)
    asked = [breach_digest(f"probe-{n}") for n in range(2000)]
    tracemalloc.start()
    source.counts(asked)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert breach_file.stat().st_size > 8 * 1024 * 1024
    assert peak < 512 * 1024  # the asked digests and a few probes, never the file


def test_a_list_not_sorted_by_hash_is_refused(tmp_path: Path, lines: list[bytes]) -> None:
    shuffled = list(lines)
    random.Random(1).shuffle(shuffled)  # as the list ordered by prevalence would be
    path = tmp_path / "by-prevalence.txt"
    path.write_bytes(b"\n".join(shuffled) + b"\n")
    with pytest.raises(SourceError, match="not sorted by hash"):
        open_breach_list(path).counts([breach_digest(p) for p in KNOWN])


def test_a_block_out_of_place_is_found_by_a_probe_that_reads_it(
    tmp_path: Path, lines: list[bytes]
) -> None:
    # The first and last tenths swapped: every search through the middle meets the disorder.
    tenth = len(lines) // 10
    moved = lines[-tenth:] + lines[tenth:-tenth] + lines[:tenth]
    path = tmp_path / "moved.txt"
    path.write_bytes(b"\n".join(moved) + b"\n")
    with pytest.raises(SourceError, match="not sorted by hash"):
        open_breach_list(path).counts([b"0" * 40, b"8" * 40, b"F" * 40])


def test_disorder_between_sorted_ends_is_found_by_the_probes(
    tmp_path: Path, lines: list[bytes]
) -> None:
    # The ends in order, the second and eighth tenths swapped: a probe that reads either sees
    # hashes outside the bounds the earlier probes set.
    tenth = len(lines) // 10
    moved = (
        lines[:tenth] + lines[7 * tenth : 8 * tenth] + lines[2 * tenth : 7 * tenth]
        + lines[tenth : 2 * tenth] + lines[8 * tenth :]
    )  # fmt: skip
    path = tmp_path / "moved.txt"
    path.write_bytes(b"\n".join(moved) + b"\n")
    source = open_breach_list(path)
    with pytest.raises(SourceError, match="not sorted by hash"):
        source.counts([lines[n * tenth + tenth // 2][:40] for n in range(10)])


def test_a_small_list_shuffled_between_sorted_ends_is_refused(tmp_path: Path) -> None:
    small = generated_lines(5000)
    middle = small[1:-1]
    random.Random(2).shuffle(middle)
    path = tmp_path / "small.txt"
    path.write_bytes(b"\n".join([small[0], *middle, small[-1]]) + b"\n")
    assert path.stat().st_size < 1024 * 1024  # too small to judge by where hashes fall
    with pytest.raises(SourceError, match="not sorted by hash"):
        open_breach_list(path).counts([breach_digest(p) for p in KNOWN])


def test_an_ntlm_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pwnedpasswords_ntlm.txt"
    path.write_text("".join(f"{n:032X}:{n}\n" for n in range(1, 500)))
    with pytest.raises(SourceError, match="NTLM"):
        open_breach_list(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is empty"), (b"hello world\n", "not Have I Been Pwned's SHA-1 list")],
)
def test_a_file_that_is_no_breach_list_is_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        open_breach_list(path)
    with pytest.raises(SourceError, match="cannot be read"):
        open_breach_list(tmp_path / "missing.txt")


def range_folder(root: Path, lines: list[bytes], *, drop: frozenset[str] = frozenset()) -> Path:
    """The downloader's folder form: XXXXX.txt per prefix, each line the other 35 digits."""
    folder = root / "ranges"
    folder.mkdir()
    by_prefix: dict[str, list[bytes]] = {}
    for line in lines:
        by_prefix.setdefault(line[:5].decode(), []).append(line[5:])
    for prefix, rest in by_prefix.items():
        if prefix not in drop:
            (folder / f"{prefix}.txt").write_bytes(b"\r\n".join(rest))
    return folder


def test_a_folder_of_range_files_reads_only_the_ranges_it_needs(
    tmp_path: Path, lines: list[bytes]
) -> None:
    known = {sha1(p) for p in KNOWN}
    neighbours = [line for line in lines if line[:5] in {d[:5] for d in known}]
    folder = range_folder(tmp_path, neighbours)
    source = open_breach_list(folder)
    assert isinstance(source, BreachFolder)
    beside = sha1("letmein")[:5] + b"0" * 35  # in a range read, but not listed
    found = source.counts([breach_digest(p) for p in KNOWN] + [beside])
    assert found == {sha1(p): times for p, times in KNOWN.items()}


def test_a_missing_range_file_is_named(tmp_path: Path) -> None:
    canary = sha1("Canary-Breached-Pass-7731")
    folder = range_folder(tmp_path, [canary + b":7"], drop=frozenset({canary[:5].decode()}))
    with pytest.raises(SourceError, match=f"lacks 1 range file .{canary[:5].decode()}.txt"):
        BreachFolder(folder).counts([canary])


def test_an_ntlm_range_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "ntlm"
    folder.mkdir()
    digest = breach_digest("letmein")
    (folder / f"{digest[:5].decode()}.txt").write_text(f"{'A' * 27}:3\r\n")
    with pytest.raises(SourceError, match="NTLM"):
        BreachFolder(folder).counts([digest])


def test_the_search_opens_no_other_file(breach_file: Path) -> None:
    source = BreachFile(breach_file)
    before = len(os.listdir("/proc/self/fd"))
    source.counts([breach_digest("password1")])
    assert len(os.listdir("/proc/self/fd")) == before
