import random

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from phasenas.space import Task, get_space, parse, validate
from phasenas.space.build import build

# Published ZenNets (idstcv/ZenNAS, ZenNet/zennet_cifar_model_size*_res32.txt) and their parameter counts as the
# reference implementation builds them (10 classes): bias-free convs and affine BN, 1x1 projection shortcuts with
# bias, linear classifier with bias.
ZENNETS = {
    "SuperConvK3BNRELU(3,88,1,1)SuperResK1K7K1(88,120,1,16,1)SuperResK1K7K1(120,192,2,16,3)SuperResK1K5K1(192,224,1,"
    "24,4)SuperResK1K5K1(224,96,2,24,2)SuperResK1K3K1(96,168,2,40,3)SuperResK1K3K1(168,112,1,48,3)"
    "SuperConvK1BNRELU(112,512,1,1)": 994_674,
}

MIXED = ("ConvK3BNRELU(3,32,2,2)ResK3K3(32,48,2,24,2)ResIDWE6K5(48,64,2,40,2)ResIDWE1K3(64,64,1,64,2)"
         "ResIDWE2K7(64,96,2,20,1)MB3K3(96,96,1)MB6K5(96,128,2)Skip(128,128,1)Skip(128,64,2)ConvK5BNRELU(64,100,1,2)")


def numel(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def torch_macs(module: torch.nn.Module, resolution: int) -> float:
    with FlopCounterMode(display=False) as counter:
        module(torch.randn(1, 3, resolution, resolution))
    return counter.get_total_flops() / 2  # torch counts a multiply-accumulate as 2 FLOPs


@pytest.mark.parametrize("text, params", ZENNETS.items())
def test_published_zennet_builds_to_the_reference_parameter_count(text: str, params: int) -> None:
    report = validate(text)
    assert report.valid
    assert report.params == params
    assert numel(build(parse(text), classes=10)) == params


@pytest.mark.parametrize("resolution", [33, 64, 65])
def test_analytic_params_and_flops_match_torch(resolution: int) -> None:
    report = validate(MIXED, task=Task(resolution=resolution))
    model = build(report.arch, classes=10).eval()
    assert numel(model) == report.params
    assert torch_macs(model, resolution) == pytest.approx(report.flops, rel=0.01)


def test_random_networks_match_torch() -> None:
    space = get_space("zen-cifar")
    rng = random.Random(7)
    for _ in range(12):
        arch = space.mutate(space.sample(rng), rng)
        report = space.check(arch)
        model = space.build(arch).eval()
        assert numel(model) == report.params, str(arch)
        assert torch_macs(model, 32) == pytest.approx(report.flops, rel=0.01), str(arch)


def test_forward_and_pre_gap_shapes() -> None:
    report = validate(MIXED, task=Task(resolution=32, classes=7))
    model = build(report.arch, classes=7)
    x = torch.randn(2, 3, 32, 32)
    assert model(x).shape == (2, 7)
    assert model.forward_pre_gap(x).shape == (2, 100, 1, 1)
