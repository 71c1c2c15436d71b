"""The risk rules: ONE table saying how risky each kind of grant is and how to tighten it.

Ids follow /shared/specs/permissions.md §4. The spec's "critical" is shown as "high" (the
product has four levels). Scanners decide WHICH rule a grant falls under using the small
classifiers below; the table alone decides the risk level and the hint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RISK_LEVELS = ("high", "medium", "low", "info")


@dataclass(frozen=True)
class Rule:
    risk: str
    title: str
    hint: str


# fmt: off
RULES: dict[str, Rule] = {
    # ---- approval modes -------------------------------------------------------------------
    "MODE-1":  Rule("high",   "Approves everything, no prompt",
                    "Use a prompting mode and pre-allow only the few commands you need"),
    "MODE-2":  Rule("high",   "No sandbox, or auto-approving mode",
                    "Keep the sandbox on (workspace-write / read-only) and prompt on escalation"),
    "MODE-3":  Rule("high",   "Habit of skipping permission prompts",
                    "Remove the skip-prompt setting or launch alias; start sessions in default mode"),
    "MODE-4":  Rule("medium", "Auto-approves edits, or never asks inside a sandbox",
                    "Fine for trusted repos; switch to default mode elsewhere"),
    "MODE-5":  Rule("low",    "Auto-accepts file edits only",
                    "Review diffs before committing; use default mode in unfamiliar repos"),
    "MODE-0":  Rule("info",   "Prompting or read-only mode",
                    "Nothing to do"),
    # ---- shell ----------------------------------------------------------------------------
    "SHELL-1": Rule("high",   "Any shell command runs without asking",
                    "Replace the catch-all with the exact commands you need, e.g. Bash(npm test)"),
    "SHELL-2": Rule("high",   "Allowed command is an escape hatch (shell, interpreter, runner, sudo, curl...)",
                    "Allow a specific script instead of the interpreter or runner itself"),
    "SHELL-3": Rule("medium", "Broad package-manager or VCS allow (runs scripts, pushes, publishes)",
                    "Narrow to subcommands such as `git status`, `npm test`"),
    "SHELL-0": Rule("low",    "Specific command allowed without asking",
                    "Nothing to do if you recognise it"),
    # ---- files ----------------------------------------------------------------------------
    "FILE-1":  Rule("high",   "Access to secrets (~/.ssh, cloud credentials, .env, keys)",
                    "Remove the allow, and add a deny rule for the secret paths"),
    "FILE-2":  Rule("high",   "May edit agent configs, shell startup files or git hooks (self-escalation)",
                    "Remove the allow; edits to these files should always prompt"),
    "FILE-3":  Rule("high",   "Working area widened to home, / or a drive root",
                    "List the one extra directory you need instead"),
    "FILE-0":  Rule("low",    "Extra directory or file pattern allowed",
                    "Nothing to do if the path is yours and small"),
    # ---- network / sandbox ----------------------------------------------------------------
    "NET-1":   Rule("medium", "Network reachable from the sandbox or fetches allowed everywhere",
                    "Allow only the domains you need"),
    "NET-2":   Rule("high",   "Network wide open (all domains, all local sockets, docker.sock)",
                    "Remove the wildcard; list domains; never expose docker.sock"),
    "SBX-1":   Rule("medium", "Sandboxed commands auto-run and may fall back to unsandboxed",
                    "Set sandbox.allowUnsandboxedCommands to false"),
    "SBX-2":   Rule("high",   "Sandbox disabled for an exec-capable agent",
                    "Turn the sandbox on (mode: all) with network none"),
    "SBX-3":   Rule("medium", "Commands inherit every environment variable, secrets included",
                    "Use inherit = \"core\" and keep the default excludes"),
    "SBX-0":   Rule("info",   "Sandbox setting",
                    "Nothing to do"),
    # ---- trust ----------------------------------------------------------------------------
    "TRUST-1": Rule("high",   "Trusted folder is home, /, a drive root, Downloads or temp",
                    "Trust individual project folders, not their parents"),
    "TRUST-2": Rule("medium", "Folder trust turned off: any repo's config loads silently",
                    "Turn folder trust on"),
    "TRUST-3": Rule("high",   "A repository's own config grants broad permissions",
                    "Review the committed file; keep grants in your personal settings instead"),
    "TRUST-0": Rule("low",    "Trusted project folder",
                    "Untrust folders you no longer work in"),
    # ---- MCP servers ----------------------------------------------------------------------
    "MCP-1":   Rule("high",   "Literal secret in an MCP server's config",
                    "Move the secret to an environment variable or keychain and reference it"),
    "MCP-2":   Rule("medium", "MCP server launched from an unpinned package (runs whatever is latest)",
                    "Pin an exact version, e.g. npx -y pkg@1.2.3"),
    "MCP-3":   Rule("high",   "Remote MCP server over plain http",
                    "Use https"),
    "MCP-4":   Rule("high",   "MCP server's tools run without asking",
                    "Allow individual read-only tools instead of the whole server"),
    "MCP-5":   Rule("high",   "MCP server command is an inline shell script or runs from a temp/relative path",
                    "Point the server at an installed, pinned executable"),
    "MCP-6":   Rule("high",   "Filesystem MCP server rooted at home or /",
                    "Root it at the project directory"),
    "MCP-0":   Rule("low",    "MCP server configured",
                    "Remove servers you no longer use"),
    # ---- hooks, secrets, exposure ---------------------------------------------------------
    "HOOK-1":  Rule("medium", "Command hook or helper runs as you",
                    "Check the script it runs; remove hooks you did not write"),
    "HOOK-2":  Rule("high",   "Hook defined by a project file runs as you",
                    "Move hooks to your personal settings after reviewing them"),
    "SECRET-1": Rule("high",  "Literal secret stored in an agent config",
                     "Move it to the OS keychain or an environment variable"),
    "EXPO-1":  Rule("high",   "Agent gateway reachable beyond this machine or without auth",
                    "Bind to loopback and require a token"),
    "EXPO-2":  Rule("high",   "Anyone may message an exec-capable agent",
                    "Use pairing or an allowlist for chat channels"),
    "HYG-1":   Rule("high",   "Agent config writable by other users",
                    "chmod go-w the file"),
    "DENY-0":  Rule("info",   "Denied or always-asked (a restriction)",
                    "Nothing to do: this tightens permissions"),
    "GRANT-0": Rule("low",    "Tool allowed without asking",
                    "Nothing to do if you recognise it"),
    "INFO-0":  Rule("info",   "Setting recorded for history",
                    "Nothing to do"),
}
# fmt: on


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]


def worst(*rule_ids: str) -> str:
    """The most severe of several candidate rules (first listed wins ties)."""
    return min(rule_ids, key=lambda r: RISK_LEVELS.index(RULES[r].risk))


# ---- classifiers scanners share ------------------------------------------------------------

ESCAPE_HATCHES = {
    "sh", "bash", "zsh", "fish", "dash", "ksh", "pwsh", "powershell", "cmd",
    "python", "python3", "node", "deno", "bun", "ruby", "perl", "php", "lua", "osascript",
    "npx", "pnpx", "bunx", "uvx", "pipx", "dlx",
    "env", "xargs", "sudo", "doas", "su", "eval", "exec", "nohup", "timeout", "watch", "find", "awk", "make",
    "ssh", "scp", "rsync", "curl", "wget", "nc", "ncat", "socat", "docker", "podman", "kubectl",
    "terraform", "gcloud", "aws", "az", "gh",
}
BROAD_TOOLS = {"npm", "pnpm", "yarn", "pip", "pip3", "uv", "cargo", "git", "go", "gradle", "mvn", "poetry"}
CATCH_ALL = {"", "*", "**", ":*", "*:*", ".*", "/.*/", "/^.*$/"}


def shell_rule(pattern: str) -> str:
    """Rule for a command allowed to run without asking (`pattern` as the tool wrote it)."""
    text = pattern.strip().strip('"').strip()
    if text in CATCH_ALL:
        return "SHELL-1"
    head = re.split(r"[\s:()*]+", text.lstrip("^/"), maxsplit=1)[0].lower()
    if head in CATCH_ALL:
        return "SHELL-1"
    base = head.rsplit("/", 1)[-1]
    if base in ESCAPE_HATCHES or re.fullmatch(r"python[\d.]*", base):
        return "SHELL-2"
    words = [w for w in re.split(r"[\s:]+", text) if w]
    if base in BROAD_TOOLS and (len(words) <= 1 or words[1] in ("*", "**")):
        return "SHELL-3"
    if len(words) >= 2 and words[1] in ("push", "publish") and base in BROAD_TOOLS:
        return "SHELL-3"
    return "SHELL-0"


SECRET_PATHS = re.compile(
    r"(\.ssh|\.aws|\.config/gcloud|\.azure|\.kube|\.docker/config\.json|\.npmrc|\.pypirc|\.netrc"
    r"|\.git-credentials|\.gnupg|(^|/|\*)\.env|\.pem$|\.key$|(^|/)id_[a-z0-9]+|keychain|\.password-store"
    r"|credentials|auth\.json|oauth_creds)",
    re.IGNORECASE,
)
SELF_ESCALATION = re.compile(
    r"(\.claude(/|$)|\.claude\.json|settings(\.local)?\.json|\.codex|\.gemini|\.qwen|\.vscode/settings|\.cursor"
    r"|\.openclaw|\.config/opencode|\.bashrc|\.zshrc|\.profile|\.bash_profile|config\.fish|authorized_keys"
    r"|crontab|LaunchAgents|systemd/user|\.git/hooks)",
    re.IGNORECASE,
)


def is_broad_root(path: str, home: str) -> bool:
    """True for home, /, a drive root, the parent of home, Downloads or a temp dir."""
    text = path.strip().rstrip("/\\") or "/"
    home = home.rstrip("/")
    expanded = re.sub(r"^(~|\$HOME|\$\{HOME\}|%USERPROFILE%)", home, text)
    expanded = re.sub(r"/\*\*?$", "", expanded) or "/"
    if expanded in ("/", "//", home, str(_parent(home))) or re.fullmatch(r"[A-Za-z]:[\\/]?", expanded):
        return True
    return bool(re.search(r"(^|/)(Downloads|tmp|temp)$", expanded, re.IGNORECASE))


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


def path_rule(pattern: str, home: str, *, writes: bool) -> str:
    """Rule for a file read/edit allow or a widened directory."""
    if SECRET_PATHS.search(pattern):
        return "FILE-1"
    if writes and SELF_ESCALATION.search(pattern):
        return "FILE-2"
    if pattern.strip() in CATCH_ALL or is_broad_root(pattern, home):
        return "FILE-3"
    return "FILE-0"
