import random

import orjson
import pytest

from phasenas.space import get_space
from phasenas.space.macro import BenchmarkTable, TableError, canonical_code

space = get_space("macro")


def test_every_code_matches_the_table_parameter_count(nbm_table_path) -> None:
    table = orjson.loads(nbm_table_path.read_bytes())
    assert len(table) == 6561
    mismatched = [code for code, entry in table.items() if space.validate(code).params != entry["params"]]
    assert mismatched == []


def test_flops_match_the_table_too(nbm_table_path) -> None:
    table = orjson.loads(nbm_table_path.read_bytes())
    for code in ["00000000", "22222222", "12012012", "21100221"]:
        assert space.validate(code).flops == table[code]["flops"]


def test_built_module_matches_the_table(nbm_table_path) -> None:
    table = orjson.loads(nbm_table_path.read_bytes())
    for code in ["00000000", "22222222", "10201201"]:
        model = space.build(space.parse(code))
        assert sum(p.numel() for p in model.parameters()) == table[code]["params"]


def test_code_round_trip() -> None:
    for code in ["00000000", "22212220", "01201201"]:
        arch = space.from_code(code)
        assert space.to_code(arch) == code
        assert space.parse(str(arch)) == arch
        assert space.parse(code) == arch


def test_equivalent_codes_share_one_canonical_form() -> None:
    assert space.validate("22212220").canonical == space.validate("22212202").canonical
    assert space.validate("22212220").canonical != space.validate("02212220").canonical
    assert canonical_code("10201020") == "10210020"


def test_equivalent_codes_share_accuracy_and_rank(nbm_table_path) -> None:
    table = BenchmarkTable.load(nbm_table_path)
    assert table.rank("22212220") == table.rank("22212202") == 1
    assert table.accuracy("22212220") == pytest.approx(93.127, abs=1e-3)
    assert table.rank("22222221") == 3
    assert table.rank("22222222") == 21
    assert all(table.accuracy(c) == table.accuracy(canonical_code(c)) for c in table.entries)


def test_table_path_from_environment(nbm_table_path, monkeypatch) -> None:
    monkeypatch.setenv("PHASENAS_NBM_TABLE", str(nbm_table_path))
    assert BenchmarkTable.load().rank("22212220") == 1


def test_table_errors_are_clear(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("PHASENAS_NBM_TABLE", raising=False)
    with pytest.raises(TableError, match="PHASENAS_NBM_TABLE"):
        BenchmarkTable.load()
    with pytest.raises(TableError, match="not found"):
        BenchmarkTable.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(TableError, match="not a NAS-Bench-Macro table"):
        BenchmarkTable.load(bad)


@pytest.mark.parametrize("text", [
    "ConvK3BNRELU(3,32,1,1)MB6K5(32,64,2)",
    "ConvK3BNRELU(3,32,1,1)MB6K5(32,64,1)MB6K5(64,64,1)MB6K5(64,128,2)MB3K3(128,128,1)MB6K5(128,128,1)"
    "MB6K5(128,256,2)MB6K5(256,256,1)Skip(256,256,1)ConvK1BNRELU(256,1280,1,1)",
    "ConvK3BNRELU(3,32,1,1)MB6K3(32,64,2)MB6K5(64,64,1)MB6K5(64,128,2)MB3K3(128,128,1)MB6K5(128,128,1)"
    "MB6K5(128,256,2)MB6K5(256,256,1)Skip(256,256,1)ConvK1BNRELU(256,1280,1,1)",
    "22212223",
])
def test_not_in_space(text: str) -> None:
    report = space.validate(text)
    assert not report.valid
    assert report.errors[0].code in {"not_in_space", "syntax"}


def test_sample_and_mutate_stay_in_space() -> None:
    rng = random.Random(3)
    for _ in range(50):
        arch = space.sample(rng)
        neighbour = space.mutate(arch, rng)
        assert space.check(neighbour).valid
        assert space.canonical(neighbour) != space.canonical(arch)
