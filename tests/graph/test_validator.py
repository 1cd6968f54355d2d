"""The validator's judgement of LLM text: invalid with specific errors, duplicates sent back or replaced by an
unexplored neighbour, valid kept; one record per answer judged."""

from __future__ import annotations

import random

from phasenas.agents.validator import check_text, unexplored_neighbour, validate_batch
from phasenas.graph.state import Candidate
from phasenas.space import get_space
from phasenas.store import NEIGHBOUR_MODEL
from tests.graph.fakes import BROKEN

SPACE = get_space("macro")


def candidate(slot: int, text: str) -> Candidate:
    return Candidate(slot=slot, round=0, step=1, phase="explore", agent="explorer", model="m", prompt="explore@1",
                     call_key=f"1/explorer/0/{slot}", text=text, canonical=None, status="pending", errors=[],
                     input_tokens=0, output_tokens=0, latency_s=0.0)


def arch(seed: int) -> str:
    return str(SPACE.sample(random.Random(seed)))


def test_invalid_text_gets_the_space_s_specific_errors() -> None:
    [judged], [record] = validate_batch(SPACE, [candidate(0, f"Sure! {BROKEN}")], lambda _c: False)
    assert judged["status"] == "invalid" and record.status == "invalid"
    assert [i["code"] for i in record.errors] == ["not_in_space"]
    assert "10 blocks" in judged["errors"][0]


def test_empty_answer_is_reported_as_no_architecture() -> None:
    assert [i.code for i in check_text(SPACE, "   ").errors] == ["no_architecture"]


def test_duplicates_are_dropped_within_the_batch_and_against_known_forms() -> None:
    a, b, c = arch(1), arch(2), arch(3)
    known = {SPACE.validate(c).canonical}
    batch = [candidate(0, a), candidate(1, f"```{a}```"), candidate(2, b), candidate(3, c)]
    judged, records = validate_batch(SPACE, batch, lambda canonical: canonical in known)
    assert [j["status"] for j in judged] == ["valid", "duplicate", "valid", "duplicate"]
    assert judged[0]["canonical"] == SPACE.validate(a).canonical
    assert [[i["code"] for i in r.errors] for r in records] == [[], ["duplicate"], [], ["duplicate"]]
    assert "unexplored neighbour: " in judged[1]["errors"][0]


def test_a_replaced_duplicate_is_scored_as_its_unexplored_neighbour_and_recorded_as_a_duplicate() -> None:
    a, c = arch(1), arch(3)
    known = {SPACE.validate(c).canonical}
    batch = [candidate(0, a), candidate(1, a), candidate(2, c), candidate(3, c)]
    judged, records = validate_batch(SPACE, batch, lambda canonical: canonical in known,
                                     replace_duplicates=["explorer"])
    assert [j["status"] for j in judged] == ["valid"] * 4
    assert [j["model"] for j in judged] == ["m"] + [NEIGHBOUR_MODEL] * 3
    canonicals = [j["canonical"] for j in judged]
    assert len(set(canonicals)) == 4 and not known & set(canonicals)  # new, and different from each other
    for dup, replaced in ((a, judged[1]), (c, judged[2])):  # one layer away from what the answer repeated
        assert sum(x != y for x, y in zip(SPACE.parse(replaced["canonical"]).blocks, SPACE.parse(dup).blocks)) == 1
    assert [r.status for r in records] == ["valid", "duplicate", "duplicate", "duplicate"]
    assert [r.canonical for r in records] == [SPACE.validate(x).canonical for x in (a, a, c, c)]
    assert f"instead: {judged[3]['canonical']}" in records[3].errors[0]["message"]


def test_only_the_named_agents_get_neighbours() -> None:
    a = arch(1)
    refine = {**candidate(1, a), "agent": "refiner", "call_key": "1/refiner/0/1"}
    judged, _ = validate_batch(SPACE, [candidate(0, a), refine], lambda _c: False,  # type: ignore[list-item]
                               replace_duplicates=["explorer"])
    assert [j["status"] for j in judged] == ["valid", "duplicate"]


def test_the_first_valid_architecture_in_the_answer_wins() -> None:
    text = f"First try: {BROKEN}\nBetter: {arch(4)}"
    assert check_text(SPACE, text).canonical == SPACE.validate(arch(4)).canonical


def test_already_judged_candidates_are_left_alone() -> None:
    done = {**candidate(0, arch(5)), "status": "valid", "canonical": SPACE.validate(arch(5)).canonical}
    judged, _ = validate_batch(SPACE, [done, candidate(1, arch(5))], lambda _c: False)  # type: ignore[list-item]
    assert [j["status"] for j in judged] == ["valid", "duplicate"]


def test_when_every_single_layer_neighbour_is_known_the_neighbour_comes_from_further_away() -> None:
    start = SPACE.from_code("22222222")  # type: ignore[attr-defined]
    one_away = {SPACE.canonical(SPACE.from_code(code))  # type: ignore[attr-defined]
                for i in range(8) for op in "01" for code in ["22222222"[:i] + op + "22222222"[i + 1:]]}
    known = one_away | {SPACE.canonical(start)}
    found = unexplored_neighbour(SPACE, start, lambda c: c not in known, "seed")
    assert found is not None and found not in known
    distance = sum(a != b for a, b in zip(SPACE.to_code(SPACE.parse(found)), "22222222"))  # type: ignore[attr-defined]
    assert 2 <= distance <= 4
    assert unexplored_neighbour(SPACE, start, lambda c: c not in known, "seed") == found  # seeded: replays agree
    assert unexplored_neighbour(SPACE, start, lambda _c: False, "seed") is None
