import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phasenas.space import Arch, ArchError, Block, parse
from phasenas.space.blocks import BLOCKS

block_strategy = st.sampled_from(sorted(BLOCKS)).flatmap(
    lambda name: st.tuples(st.just(name), st.lists(st.integers(0, 10**9 - 1), min_size=BLOCKS[name].arity,
                                                   max_size=BLOCKS[name].arity)))
arch_strategy = st.lists(block_strategy, min_size=1, max_size=20).map(
    lambda blocks: Arch(tuple(Block(name, tuple(args)) for name, args in blocks)))


@given(arch_strategy)
def test_round_trip(arch: Arch) -> None:
    assert parse(str(arch)) == arch


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_arbitrary_text_raises_only_arch_error(text: str) -> None:
    try:
        parse(text)
    except ArchError as exc:
        assert exc.issues and all(i.code for i in exc.issues)


@given(st.lists(st.sampled_from(["ConvK3BNRELU", "(", ")", ",", "3", "-1", "Super", "ResK1K3K1", " ", "x", "1.5",
                                 "\n", "99999999999"]), max_size=40).map("".join))
@settings(max_examples=300)
def test_token_soup_raises_only_arch_error(text: str) -> None:
    try:
        parse(text)
    except ArchError:
        pass


def test_super_prefix_is_an_alias_and_output_is_canonical() -> None:
    arch = parse("SuperConvK3BNRELU(3,88,1,1)SuperResK1K7K1(88,120,1,16,1)")
    assert str(arch) == "ConvK3BNRELU(3,88,1,1)ResK1K7K1(88,120,1,16,1)"


def test_whitespace_between_tokens_is_accepted() -> None:
    assert str(parse(" ConvK3BNRELU( 3, 8 ,1,1 )\n ResK3K3(8,8,1,8,1) ")) == "ConvK3BNRELU(3,8,1,1)ResK3K3(8,8,1,8,1)"


@pytest.mark.parametrize("text, code, position", [
    ("", "empty", 0),
    ("   ", "empty", 0),
    ("Foo(1,2)", "unknown_block", 0),
    ("ConvK3BNRELU(3,8,1,1)ConvK4BNRELU(8,8,1,1)", "unknown_block", 21),
    ("ConvK3BNRELU(3,32,1)", "wrong_arity", 13),
    ("ConvK3BNRELU(3,-32,1,1)", "negative_argument", 15),
    ("ConvK3BNRELU(3,3.5,1,1)", "non_integer_argument", 15),
    ("ConvK3BNRELU(3,abc,1,1)", "non_integer_argument", 15),
    ("ConvK3BNRELU(3,,1,1)", "non_integer_argument", 15),
    ("ConvK3BNRELU(3,1234567890,1,1)", "argument_too_large", 15),
    ("ConvK3BNRELU(3,32,1,1", "syntax", 0),
    ("ConvK3BNRELU(3,32,1,1) then more", "syntax", 23),
    ("ΩConvK3BNRELU(3,32,1,1)", "non_ascii", 0),
    ("ConvK3BNRELU(３,32,1,1)", "non_integer_argument", 13),
    ("x" * 10_000, "too_long", 8192),
])
def test_parse_error_codes(text: str, code: str, position: int) -> None:
    with pytest.raises(ArchError) as info:
        parse(text)
    assert info.value.issues[0].code == code
    assert info.value.issues[0].position == position


def test_every_bad_block_is_reported() -> None:
    with pytest.raises(ArchError) as info:
        parse("Foo(1)ConvK3BNRELU(3,-1,1,1)Bar(2)")
    assert [i.code for i in info.value.issues] == ["unknown_block", "negative_argument", "unknown_block"]
    assert [i.block for i in info.value.issues] == [0, 1, 2]


def test_non_string_input() -> None:
    with pytest.raises(ArchError) as info:
        parse(None)  # type: ignore[arg-type]
    assert info.value.issues[0].code == "not_text"
