"""Cost per usage event from genai-prices' offline snapshot, without its per-call overhead.

`genai_prices.calc_price` spends ~80 µs a call matching the model name. A first scan prices
hundreds of thousands of events, so we resolve each (provider, model, hour) to plain float
rates once and apply them ourselves, with genai-prices' own rules:
- tiered ("cliff") prices: once a request's whole prompt (input + cache) crosses a tier's
  start, every token of that bucket is billed at the tier's rate;
- 1-hour cache writes at their own rate, 5-minute writes at the plain cache-write rate;
- a cost the log itself reports wins; an unknown model gets no cost (never a made-up price).
Tests check these rates against `calc_price` itself, an independent path.

genai-prices is imported lazily: `tokenlens report` over an up-to-date ledger never prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tokenlens.model import UsageEvent

# Fast mode is not in genai-prices; multipliers from the providers' published fast pricing.
FAST_MULTIPLIERS = (("claude-opus-4-6", 6.0), ("claude-opus-4-7", 6.0), ("claude-opus-4-8", 2.0))
PROVIDER_BY_PREFIX = (
    ("claude", "anthropic"),
    ("gpt", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("codex", "openai"),
    ("gemini", "google"),
    ("grok", "x-ai"),
    ("deepseek", "deepseek"),
    ("mistral", "mistral"),
    ("kimi", "moonshotai"),
    ("glm", "zai"),
    ("qwen", "openrouter"),
)

HOUR_MS = 3_600_000  # prices that change over time are resolved per hour
Rate = tuple[float, tuple[tuple[int, float], ...]]  # (base $/token, ((start, $/token), ...))


@dataclass(frozen=True)
class ModelRates:
    model_id: str
    input: Rate | None
    cache_read: Rate | None
    cache_write: Rate | None
    cache_write_1h: Rate | None
    output: Rate | None


def guess_provider(model: str) -> str | None:
    name = model.lower().rsplit("/", 1)[-1]
    for prefix, provider in PROVIDER_BY_PREFIX:
        if name.startswith(prefix):
            return provider
    return None


def _rate(value) -> Rate | None:
    if value is None:
        return None
    tiers = getattr(value, "tiers", None)
    if tiers is None:
        return (float(value) / 1e6, ())
    return (float(value.base) / 1e6, tuple((t.start, float(t.price) / 1e6) for t in tiers))


def _apply(rate: Rate | None, tokens: int, prompt_tokens: int) -> float:
    if rate is None or not tokens:
        return 0.0
    per_token, tiers = rate
    for start, tier_price in tiers:  # ascending; the last tier crossed wins
        if prompt_tokens > start:
            per_token = tier_price
    return per_token * tokens


class Pricer:
    """Caches resolved rates; one per scan (or per process).

    Finding a model in the table is the slow part (~0.4 ms), so it happens once per
    (provider, model). Only a model whose prices change over time is asked again, per hour.
    """

    def __init__(self, ask=None) -> None:
        # `ask`: a function that answers a list of (provider, model, ts_ms) questions from a
        # process that has the price table (a scan's worker asks its parent, so only one
        # process imports genai-prices); None: look rates up here.
        self._ask = ask
        self._asked: dict[tuple, ModelRates | None] = {}
        self._models: dict[tuple[str, str], object | None] = {}
        self._rates: dict[tuple[str, str, int], ModelRates | None] = {}
        self._by_price: dict[int, tuple[object, ModelRates]] = {}
        self.unknown_models: set[tuple[str, str]] = set()
        # (event provider, model) -> rates that hold for all time, (..., hour) -> for that hour:
        # cost()'s one or two dict lookups for nearly every event (no provider guess, no
        # table, no question to the parent).
        self._known: dict[tuple, ModelRates] = {}

    def preload(self) -> None:
        """Load the price table now (before forking workers, so they share it)."""
        from genai_prices import data_snapshot

        data_snapshot.get_snapshot()

    def rates(self, provider: str, model: str, ts_ms: int) -> ModelRates | None:
        if self._ask is not None:
            return self._asked_rates(provider, model, ts_ms)
        info = self._model(provider, model)
        if info is None:
            return None
        if not isinstance(info.prices, list):  # one price for all time
            return self._rates_of(info, info.prices)
        hour = ts_ms // HOUR_MS
        key = (provider, model, hour)
        if key not in self._rates:
            try:
                price = info.get_prices(datetime.fromtimestamp(hour * 3600, tz=UTC))
            except (LookupError, ValueError):
                price = None
            self._rates[key] = self._rates_of(info, price) if price is not None else None
        return self._rates[key]

    @staticmethod
    def _provider(event: UsageEvent) -> tuple[str, str]:
        return event.provider or guess_provider(event.model) or "", event.model

    def rates_and_scope(self, provider: str, model: str, ts_ms: int) -> tuple[ModelRates | None, bool]:
        """The rates, and whether they hold for all time (else only for that hour)."""
        rates = self.rates(provider, model, ts_ms)
        if self._ask is not None:
            return rates, (provider, model) in self._asked
        info = self._model(provider, model)
        return rates, info is None or not isinstance(info.prices, list)

    def prefetch(self, events) -> None:
        """Ask for every rate these events will need in one round trip (a worker's batch)."""
        if self._ask is not None:
            hours = {(*self._provider(e), e.ts_ms // HOUR_MS): e.ts_ms for e in events if not _reported(e)}
            self._ask_for((provider, model, ts_ms) for (provider, model, _), ts_ms in hours.items())

    def _asked_rates(self, provider: str, model: str, ts_ms: int) -> ModelRates | None:
        self._ask_for([(provider, model, ts_ms)])  # nothing is sent when the answer is known
        key = (provider, model)
        return self._asked[key] if key in self._asked else self._asked[(provider, model, ts_ms // HOUR_MS)]

    def _ask_for(self, wanted) -> None:
        questions = [(provider, model, ts_ms) for provider, model, ts_ms in wanted
                     if (provider, model) not in self._asked
                     and (provider, model, ts_ms // HOUR_MS) not in self._asked]
        if not questions:
            return
        answers = self._ask(questions)
        if isinstance(answers, Exception):
            raise answers
        for (provider, model, ts_ms), (rates, for_all_time) in zip(questions, answers, strict=True):
            self._asked[(provider, model) if for_all_time else (provider, model, ts_ms // HOUR_MS)] = rates

    def _model(self, provider: str, model: str):
        key = (provider, model)
        if key not in self._models:
            from genai_prices import data_snapshot

            name = model.rsplit("/", 1)[-1] if provider != "openrouter" else model
            try:
                _, info = data_snapshot.get_snapshot().find_provider_model(name, None, provider or None, None)
            except (LookupError, ValueError):
                info = None
            self._models[key] = info
        return self._models[key]

    def _rates_of(self, info, prices) -> ModelRates:
        # Keyed by identity; the price object is kept alongside so its id cannot be reused.
        held = self._by_price.get(id(prices))
        if held is not None and held[0] is prices:
            return held[1]
        rates = ModelRates(
            model_id=info.id,
            input=_rate(getattr(prices, "input_mtok", None)),
            cache_read=_rate(getattr(prices, "cache_read_mtok", None)),
            cache_write=_rate(getattr(prices, "cache_write_mtok", None)),
            cache_write_1h=_rate(getattr(prices, "cache_write_1h_mtok", None)),
            output=_rate(getattr(prices, "output_mtok", None)),
        )
        self._by_price[id(prices)] = (prices, rates)
        return rates

    def cost(self, event: UsageEvent) -> tuple[float | None, str | None]:
        """(cost in USD, where it came from: 'log' or 'table'), or (None, None) if unknown."""
        if _reported(event):
            return event.reported_cost_usd, "log"
        rates = self._known.get((event.provider, event.model))
        if rates is None:
            rates = self._known.get((event.provider, event.model, event.ts_ms // HOUR_MS))
        if rates is not None:
            return price_with_rates(rates, event), "table"
        provider, model = self._provider(event)
        rates, for_all_time = self.rates_and_scope(provider, model, event.ts_ms)
        if rates is not None:
            key = (event.provider, event.model) if for_all_time else (event.provider, event.model, event.ts_ms // HOUR_MS)
            self._known[key] = rates
        if rates is None:
            if event.total_tokens:
                self.unknown_models.add((event.tool, event.model))
            return None, None
        return price_with_rates(rates, event), "table"


def _reported(event: UsageEvent) -> bool:
    return event.reported_cost_usd is not None and event.reported_cost_usd > 0


def price_with_rates(rates: ModelRates, event: UsageEvent) -> float:
    prompt = event.input_tokens + event.cache_read_tokens + event.cache_write_tokens
    cache_read_rate = rates.cache_read or rates.input
    cache_write_rate = rates.cache_write or rates.input
    cache_write_1h_rate = rates.cache_write_1h or cache_write_rate
    cost = (
        _apply(rates.input, event.input_tokens, prompt)
        + _apply(cache_read_rate, event.cache_read_tokens, prompt)
        + _apply(cache_write_rate, event.cache_write_5m_tokens, prompt)
        + _apply(cache_write_1h_rate, event.cache_write_1h_tokens, prompt)
        + _apply(rates.output, event.output_tokens, prompt)
    )
    if event.fast_mode:
        cost *= fast_multiplier(rates.model_id)
    return cost


def fast_multiplier(model_id: str) -> float:
    for prefix, factor in FAST_MULTIPLIERS:
        if model_id.startswith(prefix):
            return factor
    return 1.0
