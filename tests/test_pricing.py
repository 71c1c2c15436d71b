"""Our cached per-model rates against genai-prices' own calc_price (an independent path)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from genai_prices import Usage, calc_price

from tokenlens.model import UsageEvent
from tokenlens.pricing import Pricer

TS = int(datetime(2026, 11, 24, 12, tzinfo=UTC).timestamp() * 1000)


def event(model, inp=0, cr=0, cw5=0, cw1h=0, out=0, **kw):
    return UsageEvent(tool="t", event_key="k", ts_ms=TS, model=model, input_tokens=inp, cache_read_tokens=cr,
                      cache_write_5m_tokens=cw5, cache_write_1h_tokens=cw1h, output_tokens=out, **kw)


def reference(e: UsageEvent, provider: str) -> float:
    usage = Usage(
        input_tokens=e.input_tokens + e.cache_read_tokens + e.cache_write_tokens,
        cache_read_tokens=e.cache_read_tokens,
        cache_write_tokens=e.cache_write_tokens,
        cache_write_5m_tokens=e.cache_write_5m_tokens,
        cache_write_1h_tokens=e.cache_write_1h_tokens,
        output_tokens=e.output_tokens,
    )
    when = datetime.fromtimestamp(e.ts_ms / 1000, tz=UTC)
    return float(calc_price(usage, e.model, provider_id=provider, genai_request_timestamp=when).total_price)


@pytest.mark.parametrize("model, provider, kw", [
    ("claude-sonnet-4-5-20250929", "anthropic", dict(inp=3, cr=22137, cw5=100, cw1h=2285, out=412)),
    # Over 200k prompt tokens: every token of the request at the long-context rate.
    ("claude-sonnet-4-5-20250929", "anthropic", dict(inp=10, cr=250_000, cw5=1000, out=5000)),
    ("claude-opus-4-6", "anthropic", dict(inp=50, cr=90_000, cw1h=8000, out=1200)),
    ("claude-haiku-4-5-20251001", "anthropic", dict(inp=1_000_000)),
    ("gpt-5.2-codex", "openai", dict(inp=20_000, cr=80_000, out=3_000)),
    ("gemini-2.5-pro", "google", dict(inp=150_000, cr=100_000, out=2000)),
])
def test_rates_match_calc_price(model, provider, kw):
    e = event(model, **kw)
    ours, source = Pricer().cost(e)
    assert source == "table"
    assert ours == pytest.approx(reference(e, provider), rel=1e-9)


def test_one_hour_cache_writes_have_their_own_rate():
    p = Pricer()
    five, _ = p.cost(event("claude-sonnet-4-5-20250929", cw5=1_000_000))
    hour, _ = p.cost(event("claude-sonnet-4-5-20250929", cw1h=1_000_000))
    # log_formats.md §13.2: 1M 5m-writes cost $7.50, 1M 1h-writes $12.00 (over 200k: tier rates).
    assert (five, hour) == pytest.approx((7.50, 12.00))


def test_reported_cost_wins():
    cost, source = Pricer().cost(event("claude-sonnet-4-5-20250929", inp=10, out=10, reported_cost_usd=0.5))
    assert (cost, source) == (0.5, "log")


def test_unknown_model_gets_no_cost_and_is_remembered():
    p = Pricer()
    assert p.cost(event("mystery-model-7", inp=10)) == (None, None)
    assert ("t", "mystery-model-7") in p.unknown_models


def test_fast_mode_multiplier():
    p = Pricer()
    base, _ = p.cost(event("claude-opus-4-6", inp=1000, out=1000))
    fast, _ = p.cost(event("claude-opus-4-6", inp=1000, out=1000, fast_mode=True))
    assert fast == pytest.approx(base * 6)
