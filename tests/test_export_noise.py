"""Randomized response: exact probabilities, ε never above the one asked for, memoized keyed
draws that are uniform, and a team estimate that recovers the true counts within its stated
uncertainty."""

from __future__ import annotations

import math
import os
from pathlib import Path

import orjson
import pytest

from tokenlens.export import noise as rr


@pytest.mark.parametrize("epsilon", [0.25, 1.0, 2.0, 4.0])
@pytest.mark.parametrize("k", [2, 5])
def test_probabilities_match_the_textbook_and_never_exceed_epsilon(epsilon, k):
    mech = rr.RandomizedResponse.for_epsilon(epsilon, k)
    expected_p = math.exp(epsilon) / (math.exp(epsilon) + k - 1)
    assert abs(mech.p_truth - expected_p) < 1e-8
    assert abs(mech.p_truth + (k - 1) * mech.p_other - 1) < 1e-12
    assert epsilon - 1e-6 < mech.epsilon <= epsilon


def test_respond_lies_uniformly_over_the_other_answers():
    mech = rr.RandomizedResponse.for_epsilon(1.0, 5)
    script = iter([0, mech.truth_weight, 0, mech.truth_weight, 1, mech.truth_weight, 2, mech.truth_weight, 3])

    def scripted(n):
        return next(script)

    assert mech.respond(2, scripted) == 2  # first draw under the truth weight: the truth
    assert [mech.respond(2, scripted) for _ in range(4)] == [0, 1, 3, 4]  # never 2 when lying


def test_keyed_draws_are_deterministic_and_uniform():
    secret = os.urandom(32)
    a = rr.keyed_randbelow(secret, "x")
    b = rr.keyed_randbelow(secret, "x")
    assert [a(10) for _ in range(20)] == [b(10) for _ in range(20)]
    other = rr.keyed_randbelow(secret, "y")
    assert [other(1 << 40) for _ in range(4)] != [rr.keyed_randbelow(secret, "x")(1 << 40) for _ in range(4)]
    draw = rr.keyed_randbelow(secret, "uniform")
    n, trials = 3, 30_000
    counts = [0] * n
    for _ in range(trials):
        counts[draw(n)] += 1
    expected = trials / n
    chi2 = sum((c - expected) ** 2 / expected for c in counts)
    assert chi2 < 20  # df=2: p < 5e-5 for a fair source


def test_truth_rate_matches_p_truth():
    mech = rr.RandomizedResponse.for_epsilon(0.5, 2)
    secret = os.urandom(32)
    trials = 20_000
    truthful = sum(mech.respond(1, rr.keyed_randbelow(secret, f"t{i}")) == 1 for i in range(trials))
    sigma = math.sqrt(trials * mech.p_truth * (1 - mech.p_truth))
    assert abs(truthful - trials * mech.p_truth) < 5 * sigma


def test_estimate_recovers_true_counts():
    mech = rr.RandomizedResponse.for_epsilon(2.0, 5)
    truth = [1000, 2000, 1500, 400, 100]
    secret = os.urandom(32)
    reported = [0] * 5
    i = 0
    for band, count in enumerate(truth):
        for _ in range(count):
            reported[mech.respond(band, rr.keyed_randbelow(secret, f"d{i}"))] += 1
            i += 1
    n = sum(truth)
    sigma = math.sqrt(n * 0.25) / (mech.p_truth - mech.p_other)
    for est, true in zip(mech.estimate(reported), truth, strict=True):
        assert abs(est - true) < 5 * sigma


def test_bands_scale_with_the_period():
    assert rr.band_labels("week", "tokens") == ["<1M", "1M-5M", "5M-20M", "20M-100M", ">=100M"]
    assert rr.band_labels("month", "cost") == ["<$40", "$40-$200", "$200-$800", "$800-$4000", ">=$4000"]
    assert rr.band_index(999_999, "week", "tokens") == 0
    assert rr.band_index(1_000_000, "week", "tokens") == 1
    assert rr.band_index(10**9, "week", "tokens") == 4


def test_noisy_team_merge_estimates_within_its_uncertainty(tmp_path: Path):
    from datetime import date

    from tokenlens.export.keys import pseudonym
    from tokenlens.export.merge import merge_files
    from tokenlens.export.summary import Period, _noisy_parts, canonical_bytes

    period = Period("2026-W38", "week", date(2026, 9, 14), date(2026, 9, 20))
    figures = {"total_tokens": 3_000_000, "cost_usd": 30.0}  # band 1M-5M, $10-$50 for everyone
    from tests.test_merge import ALL_FACTS

    posture = {"scanned": True, "facts": {f: f in ("approve_everything_mode", "mcp_servers_configured") for f in ALL_FACTS}}
    n = 400
    paths = []
    for i in range(n):
        secret = os.urandom(32)
        doc = {"schema": "tokenlens.summary/1", "period": period.label, "device": pseudonym(secret, period.label),
               "app_version": "0.1.0", "methodology": "m"}
        doc.update(_noisy_parts(secret, period, figures, posture, 4.0))
        path = tmp_path / f"{i}.json"
        path.write_bytes(canonical_bytes(doc))
        paths.append(path)
    out = orjson.loads(merge_files(paths, 5))
    assert out["privacy"]["mechanism"] == "randomized-response" and out["contributors"] == n
    tokens = out["usage"]["token_band"]
    assert abs(tokens["estimated_devices"]["1M-5M"] - n) <= 4 * tokens["plus_minus"]
    assert tokens["estimated_devices"]["<1M"] <= 4 * tokens["plus_minus"]
    bypass = out["posture"]["facts"]["approve_everything_mode"]
    assert bypass["of"] == n and bypass["text"].startswith("about ")
    # binary RR at ε = 4/2/8 (half the budget over eight facts): sigma of the estimate, by hand
    e = math.exp(4.0 / 2 / 8)
    p = e / (e + 1)
    sigma = math.sqrt(n * p * (1 - p)) / (2 * p - 1)
    assert abs(bypass["yes"] - n) <= 5 * sigma


def test_noisy_files_must_not_mix_with_exact_ones(tmp_path: Path):
    from tests.test_merge import device, summary
    from tokenlens.export.merge import MergeError, merge_files

    exact = [summary(device(i), {"codex": 10}) for i in range(5)]
    noisy = dict(exact[0], device=device(99), privacy={"mechanism": "randomized-response", "epsilon": 2.0,
                                                        "truth_probability": {}},
                 usage={"token_band": "<1M", "cost_band": "<$10"}, posture={"scanned": False})
    paths = []
    for i, doc in enumerate([*exact, noisy]):
        paths.append(tmp_path / f"{i}.json")
        paths[-1].write_bytes(orjson.dumps(doc))
    with pytest.raises(MergeError, match="mix privacy settings"):
        merge_files(paths, 5)
