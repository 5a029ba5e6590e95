"""Secret references and the masking of output (pure: no vault, no process)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.masking import CONCEALED, Masker
from app.core.references import (
    Reference,
    ReferenceError,
    fill,
    in_environment,
    in_template,
    parse,
    parse_env_file,
)


def test_a_reference_is_the_whole_value_and_is_percent_decoded() -> None:
    assert parse("sr://GitHub/password") == Reference("GitHub", "password", "sr://GitHub/password")
    assert parse("sr://Work%2FVPN/API%20key") == Reference(
        "Work/VPN", "API key", "sr://Work%2FVPN/API%20key"
    )
    assert parse("sr://id:12/username").item == "id:12"  # type: ignore[union-attr]
    assert parse("x sr://GitHub/password") is None
    assert parse("https://example.com") is None
    assert in_environment({"A": "sr://a/b", "B": "plain", "C": " sr://a/b"}) == {
        "A": Reference("a", "b", "sr://a/b")
    }


@pytest.mark.parametrize(
    "text",
    ["sr://GitHub", "sr://a/b/c", "sr:///password", "sr://a/", "sr://a%2/b", "sr://a%ff/b",
     "sr://a%00/b", "sr://" + "x" * 5000 + "/password"],
)  # fmt: skip
def test_a_malformed_reference_is_refused_in_one_line(text: str) -> None:
    with pytest.raises(ReferenceError) as refused:
        parse(text)
    message = str(refused.value)
    assert "\n" not in message
    assert len(message) < 200


def test_a_template_is_filled_in_one_pass() -> None:
    template = "user={{ sr://DB/username }}\npass={{sr://DB/password}}\nkeep={{ other }}\n"
    references = in_template(template)
    assert [r.text for r in references] == ["sr://DB/username", "sr://DB/password"]
    values = {"sr://DB/username": "deploy", "sr://DB/password": "{{ sr://DB/username }}"}
    assert fill(template, values) == (
        "user=deploy\npass={{ sr://DB/username }}\nkeep={{ other }}\n"
    )
    with pytest.raises(ReferenceError, match="line 2"):
        in_template("fine\n{{ sr://DB/password\n")
    for bad in ("{{ sr://hunter2secret }}", "{{ sr://hunter2%zz/password }}"):
        with pytest.raises(ReferenceError) as refused:
            in_template(f"fine\nx={bad}\n")
        assert str(refused.value).startswith("line 2: ")
        assert "hunter2" not in str(refused.value)
    with pytest.raises(ReferenceError, match="different references"):
        in_template("".join(f"{{{{ sr://item{n}/password }}}}" for n in range(1001)))


def test_an_env_file_never_shows_a_line_it_cannot_read() -> None:
    assert parse_env_file(
        "# c\n\nexport A=1\nB = 'two words' \nC=\"x # y\"\nD=v # note\n", "f"
    ) == {
        "A": "1",
        "B": "two words",
        "C": "x # y",
        "D": "v",
    }
    for bad in ("hunter2-secret\n", "1A=x\n", "A='open\n", "A=sr://hunter2secret\n",
                "A=sr://hunter2%zz/password\n", "A='sr://hunter2/'\n"):  # fmt: skip
        with pytest.raises(ReferenceError) as refused:
            parse_env_file(bad, "my.env")
        assert "hunter2" not in str(refused.value)
        assert "my.env line 1" in str(refused.value)
    # In the environment itself, a malformed reference is named by its variable only.
    with pytest.raises(ReferenceError) as refused:
        in_environment({"PLAIN": "x", "TOKEN": "sr://hunter2secret"})
    assert "TOKEN" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def masked(secrets: list[str], pieces: list[bytes]) -> bytes:
    masker = Masker(secrets)
    return b"".join(masker.feed(piece) for piece in pieces) + masker.flush()


def test_a_secret_is_masked_even_split_across_reads() -> None:
    assert masked(["s3cret"], [b"a s3", b"cret b"]) == b"a " + CONCEALED + b" b"
    assert masked(["s3cret"], [b"s", b"3", b"c", b"r", b"e", b"t"]) == CONCEALED
    # The longest secret wins where two start together; an overlapping one is still masked.
    assert masked(["abc", "abcdef"], [b"xabcd", b"efy"]) == b"x" + CONCEALED + b"y"
    assert masked(["bcd", "cdxyz"], [b"abcd", b"q"]) == b"a" + CONCEALED + b"q"
    # A secret with a line feed, as a terminal writes it.
    assert masked(["a\nb"], [b"a\r\nb"]) == CONCEALED
    # Even a one-character secret is masked (as op run does).
    assert masked(["7"], [b"1 7 9"]) == b"1 " + CONCEALED + b" 9"


def test_only_what_may_start_a_secret_waits() -> None:
    masker = Masker(["password123"])
    assert masker.feed(b"Enter a value: ") == b"Enter a value: "  # a prompt is shown at once
    assert masker.feed(b"\x1b[31mpass") == b"\x1b[31m"  # "pass" may begin the secret
    assert masker.feed(b"port\x1b[0m") == b"passport\x1b[0m"
    assert masker.flush() == b""


@given(
    secret=st.binary(min_size=2, max_size=12).map(lambda b: b.hex()),
    before=st.binary(max_size=40),
    after=st.binary(max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=120), max_size=6),
)
def test_however_output_is_cut_the_secret_never_comes_through(
    secret: str, before: bytes, after: bytes, cuts: list[int]
) -> None:
    data = before + secret.encode() + after
    points = sorted({min(c, len(data)) for c in cuts})
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    out = masked([secret], pieces)
    assert secret.encode() not in out
    assert CONCEALED in out


def concealed_at_once(secrets: list[bytes], data: bytes) -> bytes:
    """What masking all of ``data`` at once gives: every byte any secret covers concealed,
    each unbroken stretch of them (overlapping or touching secrets) one CONCEALED."""
    covered = [False] * len(data)
    for secret in secrets:
        at = data.find(secret)
        while at != -1:
            covered[at : at + len(secret)] = [True] * len(secret)
            at = data.find(secret, at + 1)
    out = bytearray()
    for index, byte in enumerate(data):
        if not covered[index]:
            out.append(byte)
        elif index == 0 or not covered[index - 1]:
            out += CONCEALED
    return bytes(out)


def test_overlapping_and_touching_secrets_are_one_concealed_run() -> None:
    assert masked(["ABCDEF", "DEFGHI"], [b"xABCDEFGHIy"]) == b"x" + CONCEALED + b"y"
    assert masked(["ABCDEF", "DEFGHI"], [b"xABCDEF", b"GHIy"]) == b"x" + CONCEALED + b"y"
    assert masked(["ABC", "DEF"], [b"ABC", b"DEF"]) == CONCEALED  # touching
    assert masked(["ABC", "DEF"], [b"ABC-DEF"]) == CONCEALED + b"-" + CONCEALED
    assert masked(["a"], [b"a" * 100, b"a", b"b"]) == CONCEALED + b"b"


@given(
    text=st.text(alphabet="abc", min_size=2, max_size=16),
    spans=st.lists(
        st.tuples(st.integers(min_value=0, max_value=15), st.integers(min_value=1, max_value=8)),
        min_size=1,
        max_size=4,
    ),
    before=st.text(alphabet="abcx", max_size=20),
    after=st.text(alphabet="abcx", max_size=20),
    cuts=st.lists(st.integers(min_value=0, max_value=80), max_size=8),
)
def test_overlapping_secrets_however_cut_mask_as_if_read_at_once(
    text: str,
    spans: list[tuple[int, int]],
    before: str,
    after: str,
    cuts: list[int],
) -> None:
    """Secrets are pieces of one text, so they overlap and touch in it and in what is around."""
    secrets = sorted({text[a : a + n] for a, n in spans if text[a : a + n]})
    data = (before + text + after).encode()
    points = sorted({min(c, len(data)) for c in cuts})
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    encoded = [secret.encode() for secret in secrets]
    assert masked(secrets, pieces) == concealed_at_once(encoded, data)
