"""A risk rating means what it says: real grant strings, written into each tool's real config
format, must get the rating in the table (issue 14).

Rows are strings as they appear in the tools' docs and in public dotfiles; where a group came
from is said above it. A row whose rating changed with issue 14 fails on the code before it
(checked with `git stash`); the safe rows pin that narrow grants stay low. Deny / ask entries are
restrictions, never grants: they must come out as info.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_permissions import scan, write
from tokenlens.permissions import rules

H, M, L, INFO = "high", "medium", "low", "info"


def _toml_list(words) -> str:
    return "[" + ", ".join(json.dumps(w) if isinstance(w, str) else _toml_list(w) for w in words) + "]"


def grant_in(home: Path, fmt: str, text):
    """Write `text` the way `fmt` stores a grant; returns (tool, subject) of the grant it becomes."""
    if fmt == "claude":  # ~/.claude/settings.json permissions.allow
        write(home, ".claude/settings.json", {"permissions": {"allow": [text]}})
        return "claude-code", text
    if fmt == "claude-deny":
        write(home, ".claude/settings.json", {"permissions": {"deny": [text]}})
        return "claude-code", text
    if fmt == "claude-mcp":  # ~/.claude.json mcpServers {name: spec}
        name, spec = text
        write(home, ".claude.json", {"mcpServers": {name: spec}})
        return "claude-code", name
    if fmt == "gemini":  # ~/.gemini/settings.json tools.allowed
        write(home, ".gemini/settings.json", {"tools": {"allowed": [text]}})
        return "gemini-cli", text
    if fmt == "gemini-legacy":  # pre-v2 flat key
        write(home, ".gemini/settings.json", {"allowedTools": [text]})
        return "gemini-cli", text
    if fmt == "gemini-exclude":
        write(home, ".gemini/settings.json", {"tools": {"exclude": [text]}})
        return "gemini-cli", text
    if fmt == "gemini-mcp-trust":  # mcpServers.<name>.trust = true: no confirmation at all
        name, spec = text
        write(home, ".gemini/settings.json", {"mcpServers": {name: {**spec, "trust": True}}})
        return "gemini-cli", name
    if fmt == "qwen":  # ~/.qwen/settings.json, the Claude-style shape of newer builds
        write(home, ".qwen/settings.json", {"permissions": {"allow": [text]}})
        return "qwen-code", text
    if fmt == "qwen-tools":  # the Gemini-style shape of older builds
        write(home, ".qwen/settings.json", {"tools": {"allowed": [text]}})
        return "qwen-code", text
    if fmt in ("codex", "codex-forbidden"):  # ~/.codex/rules/default.rules
        decision = ', decision="forbidden"' if fmt == "codex-forbidden" else ""
        write(home, ".codex/rules/default.rules", f"prefix_rule(pattern={_toml_list(text)}{decision})\n")
        return "codex", " ".join("|".join(w) if isinstance(w, list) else w for w in text)
    if fmt in ("opencode", "opencode-deny"):  # ~/.config/opencode/opencode.json permission.bash
        action = "deny" if fmt == "opencode-deny" else "allow"
        write(home, ".config/opencode/opencode.json", {"permission": {"bash": {"*": "ask", text: action}}})
        return "opencode", "bash" if text == "*" else f"bash({text})"
    if fmt == "amp":  # ~/.config/amp/settings.json amp.commands.allowlist
        write(home, ".config/amp/settings.json", {"amp.commands.allowlist": [text]})
        return "amp", text
    if fmt == "amp-perm":  # amp.permissions, first match wins
        write(home, ".config/amp/settings.json",
              {"amp.permissions": [{"tool": "Bash", "matches": {"cmd": text}, "action": "allow"}]})
        return "amp", f"Bash({text})"
    if fmt == "amp-tool":
        write(home, ".config/amp/settings.json", {"amp.permissions": [{"tool": text, "action": "allow"}]})
        return "amp", text
    if fmt == "goose":  # ~/.config/goose/permission.yaml
        write(home, ".config/goose/permission.yaml", f"user:\n  always_allow:\n    - {text}\n")
        return "goose", text
    if fmt in ("vscode", "vscode-off"):  # chat.tools.terminal.autoApprove
        write(home, ".config/Code/User/settings.json", {"chat.tools.terminal.autoApprove": {text: fmt == "vscode"}})
        return "vscode", text
    if fmt == "cursor":  # ~/.cursor/permissions.json terminalAllowlist
        write(home, ".cursor/permissions.json", {"terminalAllowlist": [text]})
        return "cursor", text
    if fmt == "cursor-mcp":
        write(home, ".cursor/permissions.json", {"mcpAllowlist": [text]})
        return "cursor", f"mcp {text}"
    if fmt == "cursor-cli":  # ~/.cursor/cli-config.json permissions.allow
        write(home, ".cursor/cli-config.json", {"permissions": {"allow": [text], "deny": []}})
        return "cursor", text
    raise AssertionError(fmt)


TABLE = [
    # ---- the issue's own examples --------------------------------------------------------------
    ("claude", "Bash(rm -rf:*)", H),
    ("claude", "Bash(rm -rf /tmp/x)", H),
    ("claude", "Bash(*)", H),
    ("claude", "Bash(r*)", H),
    ("gemini", "run_shell_command(rm)", H),
    ("qwen-tools", "run_shell_command(rm)", H),
    ("amp", "rm -rf *", H),
    ("opencode", "rm -rf *", H),
    ("codex", ["rm", "-rf"], H),
    ("claude", "Read(src/**)", L),
    # ---- jdx/hk, a committed .claude/settings.local.json (public repo) ----------------------------
    ("claude", "Bash(rm:*)", H),
    ("claude", "Bash(git push:*)", H),  # covers git push --force
    ("claude", "Bash(pwsh.exe:*)", H),  # a shell, .exe and all
    ("claude", "Bash(cargo build:*)", L),
    ("claude", "Bash(cargo check:*)", L),
    ("claude", "Bash(cargo test:*)", L),
    ("claude", "Bash(mkdir:*)", L),
    ("claude", "Bash(git init:*)", L),
    ("claude", "Bash(git add:*)", L),
    ("claude", "Bash(git commit:*)", L),
    ("claude", "Bash(git checkout:*)", L),
    ("claude", "WebFetch(domain:github.com)", L),
    # ---- frenxt.com "Permissions and your first settings.json" (project and global files) -------
    ("claude", "Bash(npm run lint)", L),
    ("claude", "Bash(npm run build)", L),
    ("claude", "Bash(npm run typecheck)", L),
    ("claude", "Bash(git status)", L),
    ("claude", "Bash(git diff*)", L),
    ("claude", "Bash(git log*)", L),
    ("claude", "Bash(ls*)", L),
    ("claude", "Bash(cat*)", L),
    ("claude", "Bash(pwd)", L),
    # ---- a public bootstrap script writing ~/.claude/settings.json (allow list, then its ask list) -
    ("claude", "Bash(rg:*)", L),
    ("claude", "Bash(jq:*)", L),
    ("claude", "Bash(pytest:*)", L),
    ("claude", "Bash(npm:*)", H),  # covers npm publish
    ("claude", "Bash(pnpm:*)", H),  # covers pnpm publish
    ("claude", "Bash(gh:*)", H),
    ("claude", "Bash(aws:*)", H),
    ("claude", "Bash(node:*)", H),
    ("claude", "Bash(python3:*)", H),
    ("claude", "Bash(docker push:*)", H),
    ("claude", "Bash(terraform apply:*)", H),
    ("claude", "Bash(aws s3 rm:*)", H),
    # ---- a public ~/.claude/settings.json with ~200 allows ----------------------------------------
    ("claude", "Bash(cargo:*)", H),  # covers cargo publish
    ("claude", "Bash(chmod +x:*)", L),
    ("claude", "Bash(cp:*)", L),
    ("claude", "Bash(cd:*)", L),
    ("claude", "Bash(curl:*)", H),
    ("claude", "Bash(awk:*)", H),
    # ---- Claude Code docs and skills pages (newer `*` anywhere syntax) ---------------------------
    ("claude", "Bash(npm run test:*)", L),
    ("claude", "Bash(git diff *)", L),
    ("claude", "Bash(git status *)", L),
    ("claude", "Bash(npm run *)", L),
    ("claude", "Bash(git *)", H),  # covers git push --force and git reset --hard
    ("claude", "Bash(git * main)", H),  # covers git push --force origin main
    ("claude", "Bash(ls:*)", L),
    ("claude-deny", "Bash(rm -rf *)", INFO),
    ("claude-deny", "Bash(sudo *)", INFO),
    ("claude-deny", "Bash(curl *)", INFO),
    # ---- commands the issue names, in the shapes people write them -------------------------------
    ("claude", "Bash(dd:*)", H),
    ("claude", "Bash(mkfs.ext4:*)", H),
    ("claude", "Bash(chmod -R 777:*)", H),
    ("claude", "Bash(chown -R:*)", H),
    ("claude", "Bash(git push --force:*)", H),
    ("claude", "Bash(git reset --hard:*)", H),
    ("claude", "Bash(git clean -fdx)", H),
    ("claude", "Bash(kubectl delete:*)", H),
    ("claude", "Bash(kubectl apply:*)", H),
    ("claude", "Bash(terraform destroy:*)", H),
    ("claude", "Bash(gcloud compute instances delete:*)", H),
    ("claude", "Bash(docker system prune:*)", H),
    ("claude", "Bash(psql -c:*)", H),  # covers psql -c 'DROP TABLE users'
    ("claude", "Bash(sqlite3:*)", H),
    ("claude", "Bash(npm publish:*)", H),
    ("claude", "Bash(twine upload:*)", H),
    ("claude", "Bash(fly deploy:*)", H),
    ("claude", "Bash(vercel --prod)", H),
    ("claude", "Bash(gh release create:*)", H),
    ("claude", "Bash(sudo:*)", H),
    ("claude", "Bash(kubectl get:*)", L),  # read-only subcommands of infra CLIs stay low
    ("claude", "Bash(gh pr view:*)", L),
    ("claude", "Bash(docker ps:*)", L),
    # ---- Gemini CLI docs (shell tool, tools.allowed / coreTools) and a public .gemini ------------
    ("gemini", "run_shell_command(git)", H),  # prefix match: covers git push --force
    ("gemini", "run_shell_command(git status)", L),
    ("gemini", "run_shell_command(git diff)", L),
    ("gemini", "run_shell_command(git log)", L),
    ("gemini", "run_shell_command(ls)", L),
    ("gemini", "run_shell_command(npm test)", L),
    ("gemini", "run_shell_command", H),
    ("gemini-legacy", "run_shell_command(rm -rf)", H),
    ("gemini-exclude", "run_shell_command(rm)", INFO),
    # ---- Qwen Code (both shapes; spec §2.5 examples) ---------------------------------------------
    ("qwen", "Bash(git *)", H),
    ("qwen", "Bash(rm:*)", H),
    ("qwen", "Read(//etc/**)", L),
    # ---- Codex rules docs: prefix_rule patterns (decision defaults to allow) ----------------------
    ("codex", ["gh", "pr", "view"], L),
    ("codex", ["gh", "pr", ["view", "list"]], L),
    ("codex", ["git", "status"], L),
    ("codex", ["git", "push"], H),
    ("codex", ["rm"], H),
    ("codex", ["npm", "publish"], H),
    ("codex-forbidden", ["rm"], INFO),
    # ---- OpenCode permissions docs and public dotfiles ---------------------------------------------
    ("opencode", "git *", H),
    ("opencode", "npm *", H),
    ("opencode", "grep *", L),
    ("opencode", "git status*", L),
    ("opencode", "git push", H),
    ("opencode", "npm install", L),
    ("opencode", "docker exec", H),
    ("opencode", "*", H),  # jq ".permission.bash = {\"*\": \"allow\"}" in a public alias
    ("opencode-deny", "rm *", INFO),
    # ---- Amp: amp.commands.allowlist ("base command names") and amp.permissions -------------------
    ("amp", "git", H),
    ("amp", "npm", H),
    ("amp", "./test.sh", L),
    ("amp-perm", "ls*", L),
    ("amp-perm", "/\\brm\\b/", H),
    ("amp-tool", "mcp__atlassian__jira_fetch_issue", L),
    # ---- VS Code chat.tools.terminal.autoApprove (docs, a Copilot CLI issue, a public dotnix) -------
    ("vscode", "git", H),
    ("vscode", "bash", H),
    ("vscode", "python3", H),
    ("vscode", "find", H),
    ("vscode", "cd", L),
    ("vscode", "mkdir", L),
    ("vscode", "grep", L),
    ("vscode", "git status", L),
    ("vscode", "git log", L),
    ("vscode", "npm test", L),
    ("vscode", "/^npm (test|run lint)$/", L),
    ("vscode", "rm", H),
    ("vscode-off", "rm", INFO),
    ("vscode-off", "git push", INFO),
    # ---- Cursor: permissions.json terminalAllowlist / mcpAllowlist, cursor-agent CLI --------------
    ("cursor", "git push", H),
    ("cursor", "rm", H),
    ("cursor", "npm test", L),
    ("cursor-cli", "Shell(git)", H),  # a command base: every git command
    ("cursor-cli", "Shell(ls)", L),
    ("cursor-cli", "Read(src/**/*.ts)", L),
    ("cursor-mcp", "slack:*", H),
    ("cursor-mcp", "github:get_issue", L),
    # ---- Goose permission.yaml (tool names are <extension>__<tool>) -------------------------------
    ("goose", "developer__shell", H),
    ("goose", "developer__text_editor", L),
    # ---- MCP tools allowed without asking (server READMEs' tool names) ----------------------------
    ("claude", "mcp__slack__slack_post_message", H),
    ("claude", "mcp__slack__slack_reply_to_thread", H),
    ("claude", "mcp__slack__slack_get_channel_history", L),
    ("claude", "mcp__gmail__send_email", H),
    ("claude", "mcp__gmail__search_emails", L),
    ("claude", "mcp__google-calendar__create-event", H),
    ("claude", "mcp__stripe__create_refund", H),
    ("claude", "mcp__stripe__list_customers", L),  # reads spend nothing
    ("claude", "mcp__github__get_issue", L),
    ("claude", "mcp__github__merge_pull_request", H),
    ("claude", "mcp__github__push_files", H),
    ("claude", "mcp__slack", H),
    # ---- MCP servers configured (remote endpoints the vendors document; pinned reference servers) -
    ("claude-mcp", ("stripe", {"type": "http", "url": "https://mcp.stripe.com"}), M),
    ("claude-mcp", ("vercel", {"type": "http", "url": "https://mcp.vercel.com"}), M),
    ("claude-mcp", ("cloudflare-bindings", {"command": "npx",
                                            "args": ["mcp-remote@0.1.18", "https://bindings.mcp.cloudflare.com/sse"]}), M),
    ("claude-mcp", ("github", {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"]}), L),
    ("gemini-mcp-trust", ("slack", {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-slack@2025.4.25"]}), H),
]


def _id(row) -> str:
    fmt, text, risk = row
    shown = text[0] if isinstance(text, tuple) else (" ".join(map(str, text)) if isinstance(text, list) else text)
    return f"{fmt}:{shown}->{risk}"


def test_the_table_is_big_enough():
    assert len(TABLE) >= 80


@pytest.mark.parametrize(("fmt", "text", "risk"), TABLE, ids=[_id(r) for r in TABLE])
def test_real_grant_strings_are_rated_as_the_table_says(home, tmp_path, fmt, text, risk):
    tool, subject = grant_in(home, fmt, text)
    found = [g for g in scan(home, tmp_path).grants if g.tool == tool and g.subject == subject]
    assert len(found) == 1, [(g.tool, g.subject) for g in scan(home, tmp_path).grants]
    grant = found[0]
    assert grant.risk == risk, f"{grant.rule}: {grant.hint}"
    if risk in (H, M):
        # The hint is about this grant, in this file: never a generic sentence.
        assert subject in grant.hint and grant.source_file in grant.hint


GENERIC = ("nothing to do", "if you recognise", "if you recognize")


def test_no_high_or_medium_rule_has_a_generic_hint_and_hints_are_distinct():
    hints = [r.hint for r in rules.RULES.values()]
    assert len(set(hints)) == len(hints)
    for rule_id, spec in rules.RULES.items():
        if spec.risk in (H, M):
            assert not any(phrase in spec.hint.lower() for phrase in GENERIC), rule_id
            assert "{grant}" in spec.hint or "{file}" in spec.hint, rule_id
    filled = {rule_id: rules.hint_for(rule_id, tool="claude-code", kind="allowed_tool", subject="Bash(x)",
                                      value="allow", source_file="~/.claude/settings.json")
              for rule_id in rules.RULES}
    assert len(set(filled.values())) == len(filled)


def test_the_hint_says_which_setting_to_change():
    grant = rules.hint_for("SHELL-4", tool="claude-code", kind="allowed_tool", subject="Bash(rm -rf:*)",
                           value="allow", source_file="~/src/app/.claude/settings.local.json")
    assert grant == ("Remove `Bash(rm -rf:*)` from permissions.allow in ~/src/app/.claude/settings.local.json;"
                     " let deletes, force-pushes and resets prompt every time")
    assert "amp.commands.allowlist" in rules.hint_for("SHELL-4", tool="amp", kind="command_pattern", subject="rm",
                                                      source_file="~/.config/amp/settings.json")
    assert "permission.bash" in rules.hint_for("SHELL-4", tool="opencode", kind="allowed_tool",
                                               subject="bash(rm -rf *)", source_file="~/.config/opencode/opencode.json")
    assert "tools.allowed" in rules.hint_for("SHELL-4", tool="gemini-cli", kind="allowed_tool",
                                             subject="run_shell_command(rm)", source_file="~/.gemini/settings.json")


def test_the_ledger_gives_back_the_same_filled_in_hint(home, db, data_dir):
    from tokenlens.permissions import snapshots

    write(home, ".claude/settings.json", {"permissions": {"allow": ["Bash(rm -rf:*)"]}})
    from tests.test_permissions import env_for

    fresh = snapshots.run_scan(db, env_for(home), data_dir)
    stored = snapshots.latest(db)
    assert [g.hint for g in stored.grants] == [g.hint for g in fresh.grants]
    assert "Bash(rm -rf:*)" in stored.grants[0].hint
