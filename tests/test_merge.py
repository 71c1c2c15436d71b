"""Team merge: aggregates only, cells under k suppressed (with complementary suppression), a
re-sent file replaces, bad files named and rejected, and no pseudonym ever in the output."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokenlens.cli import cli

PERIOD = "2026-W38"
ALL_FACTS = ("approve_everything_mode", "no_sandbox_or_auto_approve", "unrestricted_shell", "secret_files_allowed",
             "home_wide_access", "network_enabled_sandbox", "secrets_in_agent_configs", "mcp_servers_configured")


def device(i: int) -> str:
    return base64.b32encode(i.to_bytes(8, "big")).decode().rstrip("=").lower()


def summary(dev: str, tools: dict[str, int], *, period: str = PERIOD, families: dict[str, int] | None = None,
            bypass: bool | None = None, cache: float = 0.5, days: int = 3) -> dict:
    def cells(values):
        return {name: {"total_tokens": t, "cost_usd": t / 1_000_000} for name, t in values.items()}

    total = sum(tools.values())
    posture = {"scanned": False}
    if bypass is not None:
        posture = {"scanned": True, "facts": {f: (f == "approve_everything_mode" and bypass) for f in ALL_FACTS},
                   "risk_counts": {"high": 2 + int(bypass), "medium": 0, "low": 1, "info": 0}}
    return {
        "schema": "tokenlens.summary/1", "period": period, "device": dev, "app_version": "0.1.0",
        "methodology": "Estimates from local logs, not billing.", "privacy": {"mechanism": "none"},
        "usage": {"total_tokens": total, "cost_usd": total / 1_000_000, "cache_share": cache, "active_days": days,
                  "tools": cells(tools), "families": cells(families if families is not None else {"claude-sonnet": total})},
        "posture": posture,
    }


def write(tmp_path: Path, docs: list[dict]) -> list[Path]:
    paths = []
    for i, doc in enumerate(docs):
        path = tmp_path / f"in-{i:03d}.json"
        path.write_bytes(orjson.dumps(doc))
        paths.append(path)
    return paths


def merged(tmp_path: Path, docs: list[dict], k: int = 5) -> dict:
    from tokenlens.export.merge import merge_files

    return orjson.loads(merge_files(write(tmp_path, docs), k))


def test_three_contributors_with_k5_say_only_not_enough(tmp_path):
    docs = [summary(device(i), {"claude-code": 1_000_000 * (i + 1)}, bypass=True) for i in range(3)]
    out = merged(tmp_path, docs)
    assert out["status"] == "not enough contributors"
    assert set(out) == {"schema", "period", "k", "status", "note", "methodology"}
    assert out["schema"] == "tokenlens.team/1" and out["period"] == PERIOD and out["k"] == 5


def test_six_contributors_yield_aggregates(tmp_path):
    # tokens 1M..6M; bypass on devices 0 and 3
    docs = [summary(device(i), {"claude-code": 1_000_000 * (i + 1)}, bypass=i % 3 == 0, days=i + 1) for i in range(6)]
    out = merged(tmp_path, docs)
    assert out["status"] == "ok" and out["contributors"] == 6
    # By hand: sum 21M; median 3.5M; inclusive quartiles 2.25M -> 2.3M, 4.75M -> 4.8M (2 s.f.)
    assert out["usage"]["total_tokens"] == {"sum": 21_000_000, "median": 3_500_000, "q1": 2_300_000, "q3": 4_800_000}
    assert out["usage"]["tools"]["claude-code"]["contributors"] == 6
    assert out["usage"]["active_days"] == {"median": 3.5, "q1": 2.3, "q3": 4.8}
    bypass = out["posture"]["facts"]["approve_everything_mode"]
    assert (bypass["yes"], bypass["of"]) == (2, 6)
    assert bypass["text"].startswith("2 of 6 devices run an agent in approve-everything")
    assert out["posture"]["risk_levels"]["high"] == {"devices_with_any": 6, "of": 6, "grants_total": 14}
    assert out["posture"]["risk_levels"]["medium"] == {"devices_with_any": 0, "of": 6, "grants_total": 0}
    text = orjson.dumps(out).decode()
    for i in range(6):
        assert device(i) not in text
    assert "rank" not in text and "top" not in text


def test_small_cell_and_its_complement_are_suppressed(tmp_path):
    # claude-code: 6 devices; codex: 5 devices; aider: 1 device. Hiding aider alone would let
    # total - claude-code - codex reveal that one person's aider usage.
    docs = []
    for i in range(6):
        tools = {"claude-code": 1_000_000}
        if i < 5:
            tools["codex"] = 2_000_000
        if i == 0:
            tools["aider"] = 7_700_000
        docs.append(summary(device(i), tools))
    out = merged(tmp_path, docs)
    assert set(out["usage"]["tools"]) == {"claude-code"}
    folded = out["usage"]["tools_below_k"]
    assert folded["cells"] == 2 and folded["contributors"] == 5
    # what subtraction gives now is codex+aider over 5 devices, never aider alone
    assert folded["total_tokens"]["sum"] == 18_000_000  # 5 x 2M + 7.7M = 17.7M -> 18M
    assert "aider" not in orjson.dumps(out).decode()


def test_suppress_hides_next_smallest_until_hidden_cover_k():
    from tokenlens.export.merge import suppress

    cells = {"a": ["1", "2", "3", "4", "5", "6"], "b": ["1", "2", "3", "4", "5"], "c": ["1"]}
    assert suppress(cells, 5) == {"b", "c"}
    assert suppress({"a": ["1", "2", "3", "4", "5"], "b": ["6", "7", "8", "9", "10"]}, 5) == set()
    # two small cells covering 4 distinct devices are still not enough: hide one more
    assert suppress({"a": list("123456"), "b": list("12"), "c": list("34"), "d": list("1234567")}, 5) == {"a", "b", "c"}


def test_resent_file_replaces_and_counts_once(tmp_path):
    docs = [summary(device(i), {"claude-code": 1_000_000}) for i in range(5)]
    docs.append(summary(device(2), {"claude-code": 3_000_000}))  # device 2 re-sends with new figures
    out = merged(tmp_path, docs)
    assert out["contributors"] == 5 and out["files_replaced_by_resend"] == 1
    assert out["usage"]["total_tokens"]["sum"] == 7_000_000  # 4 x 1M + 3M, not 8M


def test_identical_duplicates_count_once(tmp_path):
    docs = [summary(device(i), {"claude-code": 1_000_000}) for i in range(4)]
    out = merged(tmp_path, docs + docs[:2])
    assert out["status"] == "not enough contributors"  # 4 devices, not 6 files


def bad_files(tmp_path: Path) -> dict[str, tuple[bytes, str]]:
    good = summary(device(1), {"claude-code": 10})
    def variant(**changes):
        doc = orjson.loads(orjson.dumps(good))
        for dotted, value in changes.items():
            target = doc
            *parents, last = dotted.split("__")
            for p in parents:
                target = target[p]
            target[last] = value
        return orjson.dumps(doc)
    return {
        "not-json.json": (b"{this is not json", "not a JSON document"),
        "wrong-schema.json": (variant(schema="tokenlens.team/1"), "schema is"),
        "string-tokens.json": (variant(usage__total_tokens="lots"), "total_tokens"),
        "bool-tokens.json": (variant(usage__total_tokens=True), "total_tokens"),
        "negative.json": (variant(usage__cost_usd=-1.0), "cost_usd"),
        "extra-key.json": (variant(hostname="alice-laptop"), "unexpected hostname"),
        "bad-device.json": (variant(device="Alice"), "pseudonym"),
        "bad-period.json": (variant(period="2026-W60"), "ISO week"),
        "bad-tool-name.json": (variant(usage__tools={"/home/alice/x": {"total_tokens": 1, "cost_usd": 0.0}}), "malformed name"),
        "array.json": (b"[1, 2, 3]", "must be an object"),
        "huge.json": (b" " * (64 * 1024 + 1), "too large"),
    }


def test_each_bad_file_is_named_with_its_reason(tmp_path):
    from tokenlens.export.merge import MergeError, load_summary

    for name, (content, reason) in bad_files(tmp_path).items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(MergeError) as info:
            load_summary(path)
        message = str(info.value)
        assert "\n" not in message and name in message and reason in message, message


def test_cli_rejects_bad_files_and_writes_nothing(tmp_path):
    good = write(tmp_path, [summary(device(i), {"claude-code": 10}) for i in range(5)])
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"garbage")
    missing = tmp_path / "missing.json"
    out = tmp_path / "team.json"
    result = CliRunner().invoke(cli, ["team", "merge", *map(str, good), str(bad), str(missing), "--out", str(out)])
    assert result.exit_code == 2 and not out.exists()
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in result.output
    assert "bad.json: not a JSON document" in lines[0] and "missing.json: cannot read" in lines[1]


def test_mixed_periods_are_refused(tmp_path):
    from tokenlens.export.merge import MergeError, merge_files

    docs = [summary(device(i), {"claude-code": 10}) for i in range(5)]
    docs.append(summary(device(9), {"claude-code": 10}, period="2026-W39"))
    with pytest.raises(MergeError, match=r"different periods: 2026-W38 \(5 files\), 2026-W39 \(1 files\)"):
        merge_files(write(tmp_path, docs), 5)


def test_k_below_three_is_refused(tmp_path):
    paths = write(tmp_path, [summary(device(i), {"claude-code": 10}) for i in range(5)])
    result = CliRunner().invoke(cli, ["team", "merge", *map(str, paths), "--out", str(tmp_path / "o.json"), "--k", "1"])
    assert result.exit_code == 2 and "at least 3" in result.stderr


def test_cli_merge_writes_the_aggregate(tmp_path):
    paths = write(tmp_path, [summary(device(i), {"claude-code": 1_000_000}) for i in range(5)])
    out = tmp_path / "team.json"
    result = CliRunner().invoke(cli, ["team", "merge", *map(str, paths), "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = orjson.loads(out.read_bytes())
    assert doc["contributors"] == 5 and doc["usage"]["total_tokens"]["sum"] == 5_000_000


def walk(node, path=()):
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, (*path, i))


TOOLS = ("claude-code", "codex", "gemini-cli", "aider", "goose")
contribution = st.fixed_dictionaries({
    "tools": st.dictionaries(st.sampled_from(TOOLS), st.integers(1, 10**9), min_size=1, max_size=5),
    "bypass": st.one_of(st.none(), st.booleans()),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(contribution, min_size=1, max_size=14), k=st.integers(3, 7), resend=st.booleans())
def test_property_no_pseudonym_no_row_per_person_no_cell_below_k(tmp_path_factory, people, k, resend):
    from tokenlens.export.merge import merge_files

    tmp = tmp_path_factory.mktemp("merge")
    devices = [base64.b32encode(os.urandom(8)).decode().rstrip("=").lower() for _ in people]
    docs = [summary(d, p["tools"], bypass=p["bypass"]) for d, p in zip(devices, people, strict=True)]
    if resend:
        docs.append(summary(devices[0], {"codex": 5}))
    data = merge_files(write(tmp, docs), k)
    text = data.decode()
    for d in devices:
        assert d not in text
    out = orjson.loads(data)
    for _, node in walk(out):
        assert not isinstance(node, list), "a list could be a row per person"
        if isinstance(node, dict) and "contributors" in node:
            assert node["contributors"] >= k
    if out["status"] != "ok":
        assert len(set(devices)) < k
        return
    # complementary suppression: hidden cells together cover >= k devices (or nothing is shown)
    final = {d: (docs[-1] if resend and d == devices[0] else doc) for d, doc in zip(devices, docs, strict=False)}
    shown = set(out["usage"]["tools"])
    hidden_devices = {d for d, doc in final.items() if set(doc["usage"]["tools"]) - shown}
    if hidden_devices:
        assert len(hidden_devices) >= k or not shown
