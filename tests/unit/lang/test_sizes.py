"""One size spelling for the shorthand, qom set and commit --speed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qmpsh.lang.sizes import SizeError, parse_size

K, M, G = 1 << 10, 1 << 20, 1 << 30


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("4096", 4096),
        ("0", 0),
        ("512K", 512 * K),
        ("512k", 512 * K),
        ("64M", 64 * M),
        ("64MB", 64 * M),
        ("64MiB", 64 * M),
        ("1.5GiB", 3 * 512 * M),
        ("1.5K", 1536),
        ("2 k", 2 * K),
        (" 8G ", 8 * G),
        ("100b", 100),
        ("1E", 1 << 60),
        ("3P", 3 << 50),
        ("1.0", 1),
    ],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("fast", "is not a size: write bytes, or a number with K, M, G, T, P or E"),
        ("", "is not a size"),
        ("K", "is not a size"),
        ("-4K", "is not a size"),
        ("4X", "is not a size"),
        ("4KK", "is not a size"),
        ("4iB", "is not a size"),
        ("0x10", "is not a size"),
        ("1.3K", "is not a whole number of bytes"),
        ("0.5", "is not a whole number of bytes"),
    ],
)
def test_not_sizes(text: str, why: str) -> None:
    with pytest.raises(SizeError, match=why) as err:
        parse_size(text)
    assert "\n" not in str(err.value)


@given(st.integers(min_value=0, max_value=2**70), st.sampled_from("kmgtpe"))
def test_every_unit_is_a_power_of_1024(n: int, unit: str) -> None:
    shift = 10 * (1 + "kmgtpe".index(unit))
    assert parse_size(f"{n}{unit}") == n << shift
    assert parse_size(f"{n}{unit.upper()}iB") == n << shift
    assert parse_size(str(n)) == n
