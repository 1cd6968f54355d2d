import random

import pytest

from phasenas.space import UnknownSpace, get_space, list_spaces
from phasenas.space.zen import MUTATIONS


def test_registry() -> None:
    assert {"macro", "zen-cifar"} <= set(list_spaces())
    with pytest.raises(UnknownSpace, match="available"):
        get_space("nope")


@pytest.mark.parametrize("seed", range(5))
def test_zen_sample_and_every_mutation_are_valid_and_within_budget(seed: int) -> None:
    space = get_space("zen-cifar")
    rng = random.Random(seed)
    arch = space.sample(rng)
    assert space.check(arch).valid
    for _ in range(20):
        arch = space.mutate(arch, rng)
        report = space.check(arch)
        assert report.valid and report.params <= space.budget.max_params


def test_each_mutation_operator_changes_something() -> None:
    space = get_space("zen-cifar")
    rng = random.Random(1)
    arch = space.sample(rng)
    for operator in MUTATIONS:
        changed = [operator(arch, rng) for _ in range(20)]
        assert any(c is not None and c != arch for c in changed), operator.__name__


def test_mutation_keeps_channels_chained() -> None:
    space = get_space("zen-cifar")
    rng = random.Random(2)
    arch = space.sample(rng)
    for _ in range(50):
        arch = space.mutate(arch, rng)
        assert all(a.out_channels == b.in_channels for a, b in zip(arch.blocks, arch.blocks[1:]))


def test_task_and_budget_overrides() -> None:
    space = get_space("zen-cifar").with_task(classes=100, resolution=64).with_budget(max_params=50_000)
    assert space.task.classes == 100 and space.budget.max_params == 50_000
    assert get_space("zen-cifar").task.classes == 10
    report = space.validate("ConvK3BNRELU(3,32,1,1)ResK1K3K1(32,64,2,16,2)ConvK1BNRELU(64,512,1,1)")
    assert [e.code for e in report.errors] == ["over_params"]


@pytest.mark.parametrize("name", ["macro", "zen-cifar"])
def test_extract_finds_architectures_in_llm_text(name: str) -> None:
    space = get_space(name)
    arch = str(space.sample(random.Random(0)))
    for text in [arch, f"Sure! Here it is:\n```\n{arch}\n```\nHope it helps.", f'{{"architecture": "{arch}"}}',
                 f'{{"architectures": ["{arch}"]}}']:
        assert arch in space.extract(text)
    assert space.extract("no architecture here") == []


def test_macro_extract_finds_codes() -> None:
    assert get_space("macro").extract("I propose 22212220, then 012012012 (too long)") == ["22212220"]


@pytest.mark.parametrize("name", ["macro", "zen-cifar"])
def test_json_schema_pattern_accepts_samples(name: str) -> None:
    import re
    space = get_space(name)
    pattern = re.compile(space.json_schema()["properties"]["architecture"]["pattern"])
    rng = random.Random(4)
    for _ in range(10):
        assert pattern.search(str(space.sample(rng)))


@pytest.mark.parametrize("name", ["macro", "zen-cifar"])
def test_gbnf_is_a_valid_llama_grammar(name: str) -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    grammar = llama_cpp.LlamaGrammar.from_string(get_space(name).gbnf(), verbose=False)
    assert grammar is not None
