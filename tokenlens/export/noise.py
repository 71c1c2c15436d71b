"""Optional local privacy noise: k-ary randomized response over coarse bands.

Why randomized response and not Laplace noise on the figures: on heavy-tailed token counts,
local Laplace noise swamps any small team's signal (privacy.md §4.5), and textbook float
Laplace leaks through its low-order bits (Mironov 2012). Randomized response (Warner 1965;
k-ary form as in Kairouz et al. 2016) reports a band: the true one with probability p, each
other one with probability q = (1-p)/(k-1), which gives ε-local differential privacy for
ε = ln(p/q). Every answer is individually deniable, and an aggregator can still estimate how
many devices fall into each band.

Exactness: p is a fraction with denominator 2**32, rounded down so the real ε is never above
the one asked for, and draws are integers, so no floating-point arithmetic touches the
randomness. The draws come from HMAC under the device key, labelled by period, field and the
true answer ("memoization", as deployed by Microsoft, Ding et al. 2017): sending the same
period's summary again repeats the same answers and spends no further privacy budget, and the
preview equals the written file byte for byte.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

DENOMINATOR = 1 << 32
PRESETS = {"strict": 1.0, "default": 2.0, "lenient": 4.0}

# Per ISO week; a month's bands are four times wider.
TOKEN_BAND_EDGES_WEEK = (1_000_000, 5_000_000, 20_000_000, 100_000_000)
COST_BAND_EDGES_WEEK = (10, 50, 200, 1000)


@dataclass(frozen=True)
class RandomizedResponse:
    k: int
    truth_weight: int  # chance of the true answer = truth_weight / DENOMINATOR

    @classmethod
    def for_epsilon(cls, epsilon: float, k: int) -> RandomizedResponse:
        if k < 2:
            raise ValueError("randomized response needs at least two answers")
        if not (0 < epsilon <= 20):
            raise ValueError("epsilon must be in (0, 20]")
        ratio = math.exp(epsilon)
        # -1 so float rounding can never push the realized epsilon above the requested one.
        weight = math.floor(DENOMINATOR * ratio / (ratio + k - 1)) - 1
        return cls(k=k, truth_weight=weight)

    @property
    def p_truth(self) -> float:
        return self.truth_weight / DENOMINATOR

    @property
    def p_other(self) -> float:
        return (DENOMINATOR - self.truth_weight) / (DENOMINATOR * (self.k - 1))

    @property
    def epsilon(self) -> float:
        return math.log(self.truth_weight * (self.k - 1) / (DENOMINATOR - self.truth_weight))

    def respond(self, truth: int, randbelow: Callable[[int], int]) -> int:
        if not 0 <= truth < self.k:
            raise ValueError("answer out of range")
        if randbelow(DENOMINATOR) < self.truth_weight:
            return truth
        other = randbelow(self.k - 1)
        return other if other < truth else other + 1

    def estimate(self, counts: Sequence[int]) -> list[float]:
        """Unbiased estimate of how many reporters truly hold each answer."""
        n = sum(counts)
        spread = self.p_truth - self.p_other
        return [(c - n * self.p_other) / spread for c in counts]


def keyed_randbelow(secret: bytes, label: str) -> Callable[[int], int]:
    """A deterministic uniform integer source keyed by the device secret (HMAC-SHA256 in
    counter mode, rejection sampling so every value is exactly equally likely)."""
    counter = 0

    def randbelow(n: int) -> int:
        nonlocal counter
        if n <= 0:
            raise ValueError("n must be positive")
        limit = (1 << 64) - (1 << 64) % n
        while True:
            block = hmac.new(secret, f"tokenlens/v1/noise/{label}/{counter}".encode(), hashlib.sha256).digest()
            counter += 1
            value = int.from_bytes(block[:8], "big")
            if value < limit:
                return value % n

    return randbelow


def band_edges(kind: str, which: str) -> tuple[float, ...]:
    base = TOKEN_BAND_EDGES_WEEK if which == "tokens" else COST_BAND_EDGES_WEEK
    scale = 4 if kind == "month" else 1
    return tuple(edge * scale for edge in base)


def band_labels(kind: str, which: str) -> list[str]:
    edges = band_edges(kind, which)
    fmt = _fmt_tokens if which == "tokens" else _fmt_cost
    labels = [f"<{fmt(edges[0])}"]
    labels += [f"{fmt(lo)}-{fmt(hi)}" for lo, hi in zip(edges, edges[1:], strict=False)]
    labels.append(f">={fmt(edges[-1])}")
    return labels


def band_index(value: float, kind: str, which: str) -> int:
    return sum(1 for edge in band_edges(kind, which) if value >= edge)


def _fmt_tokens(value: float) -> str:
    return f"{value / 1_000_000:g}M"


def _fmt_cost(value: float) -> str:
    return f"${value:g}"
