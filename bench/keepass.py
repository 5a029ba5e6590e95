"""The peer: KeePassXC's command line on the same items.

    python -m bench.keepass [--items 10000] [--runs 5] [--kdf-ms 500]

The items are the benchmark's seeded ones, written as a KeePass XML export and imported with
``keepassxc-cli import``, its key derivation set to take about as long as Strongroom's
(Argon2id + bcrypt), so that neither side wins by a cheaper KDF. Measured: ``keepassxc-cli
search`` (open the database, unlock, find one entry: what every keepassxc-cli call pays), and
single searches inside one ``keepassxc-cli open`` shell, driven through a pseudo-terminal.
The master password goes in on standard input, never on the command line.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import shutil
import statistics
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from bench.startup import PASSWORD
from bench.vault import SEARCH_WORDS, Samples, drafts

KEEPASSXC_CLI = "keepassxc-cli"


def available() -> bool:
    return shutil.which(KEEPASSXC_CLI) is not None


def version() -> str:
    done = subprocess.run([KEEPASSXC_CLI, "--version"], capture_output=True, text=True)
    return done.stdout.strip()


def write_xml(count: int, path: Path) -> None:
    """The seeded items as a KeePass 2 XML file (the format KeePassXC exports and imports)."""
    root = ET.Element("KeePassFile")
    ET.SubElement(ET.SubElement(root, "Meta"), "Generator").text = "Strongroom benchmark"
    group = ET.SubElement(ET.SubElement(root, "Root"), "Group")
    ET.SubElement(group, "Name").text = "Root"
    for draft in drafts(count):
        entry = ET.SubElement(group, "Entry")
        fields = {
            "Title": draft.title,
            "UserName": draft.username,
            "Password": draft.password,
            "URL": draft.urls[0] if draft.urls else "",
            "Notes": draft.notes,
        }
        for key, value in fields.items():
            string = ET.SubElement(entry, "String")
            ET.SubElement(string, "Key").text = key
            ET.SubElement(string, "Value").text = value
        ET.SubElement(entry, "Tags").text = ";".join(draft.tags)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def import_database(xml: Path, database: Path, kdf_ms: int) -> None:
    subprocess.run(
        [KEEPASSXC_CLI, "import", "-q", "-p", "-t", str(kdf_ms), str(xml), str(database)],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        capture_output=True,
        text=True,
        check=True,
    )


def time_search_call(database: Path, term: str) -> float:
    """One ``keepassxc-cli search`` call: start, unlock, find (ms)."""
    started = time.perf_counter()
    done = subprocess.run(
        [KEEPASSXC_CLI, "search", "-q", str(database), term],
        input=f"{PASSWORD}\n",
        capture_output=True,
        text=True,
    )
    elapsed = (time.perf_counter() - started) * 1000
    if term not in done.stdout.casefold():
        raise RuntimeError(f"keepassxc-cli search did not find {term!r}: {done.stderr.strip()}")
    return elapsed


class Shell:
    """A ``keepassxc-cli open`` session on a pseudo-terminal, as a person would type into it."""

    def __init__(self, database: Path) -> None:
        self.prompt = f"{database.name}> ".encode()
        master, child = pty.openpty()
        self._process = subprocess.Popen(
            [KEEPASSXC_CLI, "open", "-q", str(database)],
            stdin=child,
            stdout=child,
            stderr=child,
            close_fds=True,
        )
        os.close(child)
        self._master = master
        os.write(master, f"{PASSWORD}\n".encode())
        self._read_until_prompt()

    def _read_until_prompt(self, timeout: float = 60.0) -> bytes:
        buffer = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self._master], [], [], 0.5)
            if ready:
                buffer += os.read(self._master, 1 << 16)
                if buffer.endswith(self.prompt):
                    return buffer
        raise TimeoutError("keepassxc-cli open did not show its prompt")

    def search(self, term: str) -> float:
        started = time.perf_counter()
        os.write(self._master, f"search {term}\n".encode())
        self._read_until_prompt()
        return (time.perf_counter() - started) * 1000

    def close(self) -> None:
        os.write(self._master, b"quit\n")
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        os.close(self._master)


def measure_keepass(count: int, runs: int, kdf_ms: int) -> Samples:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        xml, database = root / "items.xml", root / "items.kdbx"
        write_xml(count, xml)
        import_database(xml, database, kdf_ms)
        xml.unlink()
        # One entry from the middle of the seeded data, by the first word of its title.
        term = drafts(count)[count // 2].title.split()[0].lower()
        samples: Samples = {
            "keepassxc-cli search (open + unlock + find)": [
                time_search_call(database, term) for _ in range(runs)
            ]
        }
        shell = Shell(database)
        try:
            # The same words the Strongroom keystroke measure types, one growing prefix each.
            samples["keepassxc-cli open: one search"] = [
                shell.search(word[:length])
                for word in SEARCH_WORDS
                for length in range(1, len(word) + 1)
            ]
        finally:
            shell.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--kdf-ms", type=int, default=500)
    args = parser.parse_args()
    if not available():
        raise SystemExit("keepassxc-cli is not installed (Debian: apt-get install keepassxc)")
    for measure, values in measure_keepass(args.items, args.runs, args.kdf_ms).items():
        print(f"{measure:<46} median {statistics.median(values):8.1f} ms")


if __name__ == "__main__":
    main()
