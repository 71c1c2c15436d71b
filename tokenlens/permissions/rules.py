"""The risk rules: ONE table saying how risky each kind of grant is and how to tighten it.

Ids follow /shared/specs/permissions.md §4. The spec's "critical" is shown as "high" (the
product has four levels). Scanners decide WHICH rule a grant falls under using the small
classifiers below; the table alone decides the risk level and the hint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The one definition of the risk levels, most risky first. Everything else (the CLI's
# colours, the app's badges and filters, the export's counts, the snapshot columns) is keyed
# by these and imports them from here (tests/test_layering.py checks).
RISK_LEVELS = ("high", "medium", "low", "info")


def at_least(level: str) -> tuple[str, ...]:
    """The levels as risky as `level` or more: at_least("medium") == ("high", "medium")."""
    return RISK_LEVELS[: RISK_LEVELS.index(level) + 1]


@dataclass(frozen=True)
class Rule:
    risk: str
    title: str
    hint: str


# fmt: off
# Hints are templates: {grant} is the grant as written (subject), {value} its value, {file} the
# config file it came from and {setting} the key that holds it there (see `setting_name`).
RULES: dict[str, Rule] = {
    # ---- approval modes -------------------------------------------------------------------
    "MODE-1":  Rule("high",   "Approves everything, no prompt",
                    "Set {grant} in {file} (now {value}) to a prompting mode, then pre-allow only the commands you need"),
    "MODE-2":  Rule("high",   "No sandbox, or auto-approving mode",
                    "Set {grant} in {file} (now {value}) back to a sandboxed mode such as workspace-write,"
                    " prompting on escalation"),
    "MODE-3":  Rule("high",   "Habit of skipping permission prompts",
                    "Remove {grant} from {file}; start sessions in the default, prompting mode"),
    "MODE-4":  Rule("medium", "Auto-approves edits, or never asks inside a sandbox",
                    "{grant} = {value} in {file} is fine for trusted repos; switch to the default mode elsewhere"),
    "MODE-5":  Rule("low",    "Auto-accepts file edits only",
                    "With {grant} = {value} in {file}, review diffs before committing; use default mode in"
                    " unfamiliar repos"),
    "MODE-0":  Rule("info",   "Prompting or read-only mode",
                    "Nothing to do: {grant} prompts or is read-only"),
    # ---- shell ----------------------------------------------------------------------------
    "SHELL-1": Rule("high",   "Any shell command runs without asking",
                    "Replace `{grant}` in {setting} ({file}) with the exact commands you need, e.g. Bash(npm test)"),
    "SHELL-2": Rule("high",   "Allowed command is an escape hatch (shell, interpreter, runner, sudo, curl...)",
                    "Remove `{grant}` from {setting} in {file}; allow one specific script instead of a shell,"
                    " interpreter, runner, sudo or network tool"),
    "SHELL-3": Rule("medium", "Broad package-manager or build-tool allow (runs any script it is given)",
                    "Narrow `{grant}` in {setting} ({file}) to subcommands such as `pip list`, `go test`"),
    "SHELL-4": Rule("high",   "Allowed command destroys data or history (rm, dd, force-push, reset --hard, DROP...)",
                    "Remove `{grant}` from {setting} in {file}; let deletes, force-pushes and resets prompt every time"),
    "SHELL-5": Rule("high",   "Allowed command publishes, pushes or deploys (publish, push, apply, deploy --prod...)",
                    "Remove `{grant}` from {setting} in {file}; let publishes, pushes and deploys prompt every time"),
    "SHELL-0": Rule("low",    "Specific command allowed without asking",
                    "Low risk: `{grant}` names one narrow command; remove it from {setting} in {file} once unused"),
    # ---- files ----------------------------------------------------------------------------
    "FILE-1":  Rule("high",   "Access to secrets (~/.ssh, cloud credentials, .env, keys)",
                    "Remove `{grant}` from {setting} in {file}, and add a deny rule for the secret paths"),
    "FILE-2":  Rule("high",   "May edit agent configs, shell startup files or git hooks (self-escalation)",
                    "Remove `{grant}` from {setting} in {file}; edits to agent configs, startup files and hooks"
                    " should always prompt"),
    "FILE-3":  Rule("high",   "Working area widened to home, / or a drive root",
                    "Replace `{grant}` in {setting} ({file}) with the one extra directory you need"),
    "FILE-0":  Rule("low",    "Extra directory or file pattern allowed",
                    "Low risk: `{grant}` is a narrow path; remove it from {setting} in {file} if it is not yours"),
    # ---- network / sandbox ----------------------------------------------------------------
    "NET-1":   Rule("medium", "Network reachable from the sandbox or fetches allowed everywhere",
                    "Limit `{grant}` in {file} to the domains you need"),
    "NET-2":   Rule("high",   "Network wide open (all domains, all local sockets, docker.sock)",
                    "Remove the wildcard from `{grant}` in {file}; list domains; never expose docker.sock"),
    "SBX-1":   Rule("medium", "Sandboxed commands auto-run and may fall back to unsandboxed",
                    "Set sandbox.allowUnsandboxedCommands to false in {file}"),
    "SBX-2":   Rule("high",   "Sandbox disabled for an exec-capable agent",
                    "Turn the sandbox on (mode: all) with network none in {file}; now {grant} = {value}"),
    "SBX-3":   Rule("medium", "Commands inherit every environment variable, secrets included",
                    "Set inherit = \"core\" under {grant} in {file} and keep the default excludes"),
    "SBX-0":   Rule("info",   "Sandbox setting",
                    "Nothing to do: {grant} = {value} is a sandbox setting"),
    # ---- trust ----------------------------------------------------------------------------
    "TRUST-1": Rule("high",   "Trusted folder is home, /, a drive root, Downloads or temp",
                    "Untrust {grant} in {file}; trust individual project folders, not their parents"),
    "TRUST-2": Rule("medium", "Folder trust turned off: any repo's config loads silently",
                    "Turn folder trust back on ({grant} in {file})"),
    "TRUST-3": Rule("high",   "A repository's own config grants broad permissions",
                    "Review `{grant}` committed in {file}; keep broad grants in your personal settings instead"),
    "TRUST-0": Rule("low",    "Trusted project folder",
                    "Untrust {grant} in {file} once you no longer work in it"),
    # ---- MCP servers ----------------------------------------------------------------------
    "MCP-1":   Rule("high",   "Literal secret in an MCP server's config",
                    "Move the secret behind `{grant}` in {file} to an environment variable or keychain and"
                    " reference it"),
    "MCP-2":   Rule("medium", "MCP server launched from an unpinned package (runs whatever is latest)",
                    "Pin an exact version for `{grant}` in {setting} ({file}), e.g. npx -y pkg@1.2.3"),
    "MCP-3":   Rule("high",   "Remote MCP server over plain http",
                    "Point `{grant}` in {file} at an https:// URL"),
    "MCP-4":   Rule("high",   "MCP server's tools run without asking",
                    "Stop auto-approving `{grant}` ({setting} in {file}); allow its individual read-only tools"
                    " instead"),
    "MCP-5":   Rule("high",   "MCP server command is an inline shell script or runs from a temp/relative path",
                    "Point `{grant}` in {file} at an installed, pinned executable instead of a script or temp path"),
    "MCP-6":   Rule("high",   "Filesystem MCP server rooted at home or /",
                    "Root `{grant}` in {file} at the project directory, not home or /"),
    "MCP-7":   Rule("high",   "Acts as you in chat, mail or calendar without asking",
                    "`{grant}` can post, mail or answer invites as you without asking: remove it from {setting}"
                    " in {file} and allow only its read tools"),
    "MCP-8":   Rule("high",   "Spends money or changes a cloud or payment account without asking",
                    "`{grant}` can spend money or change cloud resources without asking: remove it from {setting}"
                    " in {file}; let each call prompt"),
    "MCP-9":   Rule("medium", "MCP server can act as you (chat, mail, calendar) or in a cloud/payment account",
                    "`{grant}` ({setting} in {file}) can act as you or in a paid account: never auto-approve it,"
                    " and remove it when unused"),
    "MCP-10":  Rule("high",   "MCP tool that deletes, publishes, deploys, sends or pays runs without asking",
                    "Remove `{grant}` from {setting} in {file}; deleting, publishing, sending or paying tools should"
                    " prompt"),
    "MCP-0":   Rule("low",    "MCP server configured",
                    "Remove `{grant}` from {setting} in {file} if you no longer use it"),
    # ---- hooks, secrets, exposure ---------------------------------------------------------
    "HOOK-1":  Rule("medium", "Command hook or helper runs as you",
                    "Check the script hook {grant} runs ({file}); remove hooks you did not write"),
    "HOOK-2":  Rule("high",   "Hook defined by a project file runs as you",
                    "Review hook {grant} in the project file {file}; move it to your personal settings if you keep it"),
    "SECRET-1": Rule("high",  "Literal secret stored in an agent config",
                     "Move {grant} out of {file} into the OS keychain or an environment variable"),
    "EXPO-1":  Rule("high",   "Agent gateway reachable beyond this machine or without auth",
                    "Bind the gateway to loopback and require a token ({grant} in {file})"),
    "EXPO-2":  Rule("high",   "Anyone may message an exec-capable agent",
                    "Switch {grant} in {file} to pairing or an allowlist"),
    "HYG-1":   Rule("high",   "Agent config writable by other users",
                    "Run chmod go-w {grant}"),
    "DENY-0":  Rule("info",   "Denied or always-asked (a restriction)",
                    "Nothing to do: `{grant}` tightens permissions"),
    "GRANT-0": Rule("low",    "Tool allowed without asking",
                    "Low risk: `{grant}` runs without asking; drop it from {setting} in {file} when you stop using it"),
    "INFO-0":  Rule("info",   "Setting recorded for history",
                    "Nothing to do: recorded for history"),
}
# fmt: on


# What a high-risk grant lets the agent do, in plain words (the app's tooltip says this, then
# the rule's hint: how to narrow it). One line per high rule (tests/test_app_readable.py).
LETS_THE_AGENT: dict[str, str] = {
    "MODE-1": "run any command and edit any file without asking you first",
    "MODE-2": "run commands outside a sandbox, with your full access to files and network, without asking",
    "MODE-3": "skip every permission prompt whenever you start it this way",
    "SHELL-1": "run any shell command at all without asking",
    "SHELL-2": "run a shell, interpreter, runner, sudo or network tool without asking: through it, any command",
    "SHELL-4": "delete files or rewrite history (rm, force-push, reset --hard, DROP...) without asking",
    "SHELL-5": "publish, push or deploy in your name without asking",
    "FILE-1": "read your SSH keys, cloud credentials, .env files or other secrets",
    "FILE-2": "edit its own config, your shell startup files or git hooks, and so grant itself more",
    "FILE-3": "read and write across your home folder, / or a whole drive",
    "NET-2": "reach any domain, every local socket or docker.sock (and so the host)",
    "SBX-2": "run commands with no sandbox around them",
    "TRUST-1": "load and obey the config files of any folder under this one (home, /, Downloads, temp)",
    "TRUST-3": "use broad permissions that a repository's own config file grants it",
    "MCP-1": "hold a secret in plain text that anything reading the config can copy",
    "MCP-3": "send its traffic to a remote server over unencrypted http",
    "MCP-4": "call every tool of this MCP server without asking",
    "MCP-5": "run an inline shell script or a program from a temporary or relative path at each start",
    "MCP-6": "read and write files anywhere under your home folder or /",
    "MCP-7": "post, send mail or answer invites as you without asking",
    "MCP-8": "spend money or change a cloud or payment account without asking",
    "MCP-10": "delete, publish, deploy, send or pay through this tool without asking",
    "HOOK-2": "run a project file's hook command as you",
    "SECRET-1": "hold a secret in plain text that anything reading the config can copy",
    "EXPO-1": "be reached from other machines, or without a token",
    "EXPO-2": "take messages from anyone and act on them",
    "HYG-1": "be reconfigured by other users of this computer (its config is writable by them)",
}


def grant_explanation(rule_id: str, hint: str, source_file: str = "") -> str:
    """A grant explained for a tooltip: for a high one what it lets the agent do and how to
    narrow it (the rule's hint, already filled in for this grant); else the rule's title and
    hint. An unknown rule id (a newer ledger) gets the hint alone."""
    known = RULES.get(rule_id)
    if known is None:
        lines = [hint]
    elif known.risk == "high":
        lets = LETS_THE_AGENT.get(rule_id, known.title[0].lower() + known.title[1:])
        lines = [f"Lets the agent {lets}.", f"To narrow it: {_lower_first(hint)}."]
    else:
        lines = [f"{known.title}.", hint + ("" if hint.endswith(".") else ".")]
    if source_file:
        lines += ["", f"Set in {source_file}"]
    return "\n".join(lines)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]


def worst(*rule_ids: str) -> str:
    """The most severe of several candidate rules (first listed wins ties)."""
    return min(rule_ids, key=lambda r: RISK_LEVELS.index(RULES[r].risk))


# ---- hints: what to do about THIS grant ----------------------------------------------------

def setting_name(tool: str, kind: str, subject: str, source_file: str) -> str:
    """The key in `source_file` that holds a grant (derived from what a grant records). Each
    tool's permissions module says where its grants live: `SETTINGS` (kind -> key), `MCP_KEY`,
    and `setting_name()` for the cases a kind alone does not decide."""
    scanner = _scanner_of(tool)
    special = getattr(scanner, "setting_name", None)
    named = special(kind, subject, source_file) if special else None
    if named:
        return named
    if kind == "mcp_server":
        return getattr(scanner, "MCP_KEY", "mcpServers")
    return getattr(scanner, "SETTINGS", {}).get(kind, "its setting")


def _scanner_of(grant_tool: str):
    from tokenlens.tools import scanner_for

    return scanner_for(grant_tool)


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def hint_for(rule_id: str, *, tool: str = "", kind: str = "", subject: str = "", value: str = "",
             source_file: str = "") -> str:
    """The rule's hint filled in for one grant: which grant, in which file, under which key."""
    fields = _Blank(grant=subject, value=value, file=source_file or "its config file",
                    setting=setting_name(tool, kind, subject, source_file))
    return RULES[rule_id].hint.format_map(fields)


# ---- classifiers scanners share ------------------------------------------------------------

ESCAPE_HATCHES = {
    "sh", "bash", "zsh", "fish", "dash", "ksh", "pwsh", "powershell", "cmd",
    "python", "python3", "node", "deno", "bun", "ruby", "perl", "php", "lua", "osascript",
    "npx", "pnpx", "bunx", "uvx", "pipx", "dlx",
    "env", "xargs", "sudo", "doas", "su", "eval", "exec", "nohup", "timeout", "watch", "find", "awk", "make",
    "ssh", "scp", "rsync", "curl", "wget", "nc", "ncat", "socat", "docker", "podman", "kubectl",
    "terraform", "gcloud", "aws", "az", "gh",
}
# Infra CLIs are escape hatches as a whole, but a pattern naming a read-only subcommand
# (`kubectl get`, `gh pr view`, `aws s3 ls`) cannot run anything else.
INFRA_TOOLS = {"docker", "podman", "kubectl", "terraform", "gcloud", "aws", "az", "gh"}
READ_ONLY = re.compile(r"^(ps|images|logs|inspect|get|describe|view|list|ls|status|version|show|plan|validate"
                       r"|fmt|top|diff|explain|whoami|search|history|stats|info|(describe|get|list)-\S+)$")
BROAD_TOOLS = {"npm", "pnpm", "yarn", "pip", "pip3", "uv", "cargo", "git", "go", "gradle", "mvn", "poetry"}
CATCH_ALL = {"", "*", "**", ":*", "*:*", ".*", "/.*/", "/^.*$/"}

# What a command does, read off its own words (the pattern's literal part, or a sample command).
DESTROYS = re.compile(r"""(
    ^(rm|dd|shred|wipefs|srm|unlink|truncate|mkfs(\.\w+)?)\b
  | ^git\s+push\b.*(\s-f\b|\s--force|\s\+\S|\s--mirror|\s--delete|\s-d\b)
  | ^git\s+(reset\s+--hard|clean\s+-\S*[fdx]|filter-branch|filter-repo|branch\s+-D\b|stash\s+(drop|clear))
  | ^(chmod|chown|chgrp)\s+(\S+\s+)*(-\w*R|--recursive)\b
  | ^kubectl\s+(\S+\s+)*(delete|drain)\b
  | ^(terraform|tofu|pulumi|cdk)\s+(\S+\s+)*destroy\b | ^terraform\s+apply\b.*\s-destroy\b
  | ^(docker|podman)\s+((system|volume|image|container|network|builder)\s+(prune|rm)|rm|rmi)\b
  | ^aws\s+.*\s(rm|rb|delete\S*|terminate\S*|purge\S*)(\s|$)
  | ^(gcloud|az|doctl|flyctl|fly|heroku|vercel|netlify)\s+.*\s(delete|destroy|remove|rm)(\s|$)
  | ^gh\s+(repo|release)\s+delete\b | ^helm\s+(uninstall|delete)\b
  | ^(psql|mysql|mariadb|sqlite3|mongosh|mongo|redis-cli|clickhouse-client|sqlcmd|duckdb)\b.*
      \b(drop|truncate|delete\s+from|flushall|flushdb|dropdatabase)\b
)""", re.IGNORECASE | re.VERBOSE)
PUBLISHES = re.compile(r"""(
    ^git\s+push\b
  | ^(npm|pnpm|yarn|bun|cargo|gem|poetry|flit|hatch|uv|vsce|ovsx)\s+(\S+\s+)*?(publish|push)\b
  | ^twine\s+upload\b | ^(docker|podman)\s+push\b | ^dotnet\s+nuget\s+push\b
  | ^kubectl\s+(\S+\s+)*(apply|create|replace|patch|rollout|scale|set)\b | ^helm\s+(install|upgrade|rollback)\b
  | ^(terraform|tofu)\s+(\S+\s+)*apply\b | ^(pulumi|railway)\s+up\b | ^cdk\s+deploy\b
  | ^gh\s+(release\s+(create|upload|edit)|pr\s+merge|workflow\s+run)\b
  | ^(vercel|netlify|fly|flyctl|firebase|wrangler|railway|heroku|serverless|sls|surge|amplify|eb|gcloud|az|doctl)\b
      .*(\sdeploy\b|\s--prod\b|\spublish\b|\srelease\b)
  | ^vercel(\s+--\w+)*\s*$
  | ^aws\s+.*\s(deploy|s3\s+(cp|sync|mv)|lambda\s+update\S*|cloudformation\s+(deploy|create-stack|update-stack))\b
  | ^ansible-playbook\b | ^make\s+(deploy|release|publish)\b | ^(sendmail|mutt|mailx?)\b
)""", re.IGNORECASE | re.VERBOSE)
# Commands a wildcard may cover: a pattern matching any of these is rated as if it said so.
DESTROY_SAMPLES = (
    "rm -rf ~", "dd if=/dev/zero of=/dev/sda", "mkfs.ext4 /dev/sda1", "shred -u notes.txt", "chmod -R 777 ~",
    "chown -R nobody ~", "git push --force origin main", "git reset --hard HEAD~20", "git clean -fdx",
    "kubectl delete namespace prod", "terraform destroy -auto-approve", "aws s3 rm s3://bucket --recursive",
    "gcloud projects delete my-project", "az group delete --name prod", "docker system prune -af",
    "psql -c 'DROP TABLE users'", "mysql -e 'DROP DATABASE app'", "sqlite3 app.db 'DROP TABLE users'",
)
PUBLISH_SAMPLES = (
    "git push origin main", "npm publish", "pnpm publish", "yarn publish", "cargo publish", "uv publish",
    "poetry publish", "twine upload dist/*", "gem push app.gem", "docker push registry/app",
    "kubectl apply -f prod.yaml", "helm upgrade --install app ./chart", "terraform apply -auto-approve",
    "gh release create v1.0.0", "fly deploy", "vercel --prod", "netlify deploy --prod", "firebase deploy",
    "wrangler deploy", "gcloud run deploy api", "aws s3 sync . s3://bucket",
)


def shell_rule(pattern: str, *, prefix: bool = False) -> str:
    """Rule for a command allowed to run without asking (`pattern` as the tool wrote it).

    `prefix`: the tool matches the pattern as a command prefix (Gemini, Codex, Cursor, Amp's
    allowlist, VS Code): `git` there allows `git push --force` too.
    """
    text = pattern.strip().strip('"').strip()
    if text in CATCH_ALL:
        return "SHELL-1"
    head = re.split(r"[\s:()*]+", text.lstrip("^/"), maxsplit=1)[0].lower()
    if head in CATCH_ALL:
        return "SHELL-1"
    base = head.rsplit("/", 1)[-1].removesuffix(".exe")
    literal = _literal(text)
    covers = _coverage(text, prefix)
    if DESTROYS.search(literal):
        return "SHELL-4"
    if PUBLISHES.search(literal):
        return "SHELL-4" if any(map(covers, DESTROY_SAMPLES)) else "SHELL-5"
    words = [w for w in re.split(r"[\s:]+", literal) if w]
    read_only = base in INFRA_TOOLS and any(READ_ONLY.match(w) for w in words[1:3])
    if (base in ESCAPE_HATCHES and not read_only) or re.fullmatch(r"python[\d.]*", base):
        return "SHELL-2"
    if any(map(covers, DESTROY_SAMPLES)):
        return "SHELL-4"
    if any(map(covers, PUBLISH_SAMPLES)):
        return "SHELL-5"
    if base in BROAD_TOOLS and literal and len(words) <= 1:
        return "SHELL-3"
    return "SHELL-0"


def _literal(text: str) -> str:
    """The words a pattern spells out before its first wildcard (nothing for a /regex/)."""
    if _regex_body(text) is not None:
        return ""
    return re.split(r"[*?]", text, maxsplit=1)[0].removesuffix(":").strip()


def _regex_body(text: str) -> str | None:
    match = re.fullmatch(r"/(.+)/[imsu]*", text, re.S)
    return match.group(1) if match else None


def _coverage(text: str, prefix: bool):
    """A predicate: does this pattern let `command` run? (glob, Claude's `:*`, or /regex/)."""
    body = _regex_body(text)
    if body is not None:
        try:
            compiled = re.compile(body)
        except re.error:
            return lambda command: False
        return lambda command: compiled.search(command) is not None
    tail = ""
    if text.endswith(":*"):
        text, tail = text[:-2], r"(\s.*)?"
    elif prefix:
        tail = r"(\s.*)?"
    glob = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    compiled = re.compile(glob + tail, re.S | re.IGNORECASE)
    return lambda command: compiled.fullmatch(command) is not None


# ---- MCP: what a server or tool can do as the person -----------------------------------------

CHAT_WORDS = ("slack", "gmail", "email", "outlook", "imap", "smtp", "calendar", "gcal", "discord", "telegram",
              "whatsapp", "imessage", "sendgrid", "mailgun", "postmark", "twilio", "linkedin", "twitter",
              "mastodon", "bluesky", "mattermost", "zulip", "messenger", "mailchimp", "office365", "ms365")
CHAT_TOKENS = {"mail", "teams", "resend", "sms", "gworkspace", "gsuite"}
CLOUD_WORDS = ("cloudflare", "vercel", "netlify", "heroku", "digitalocean", "linode", "hetzner", "supabase",
               "stripe", "paypal", "braintree", "plaid", "adyen", "coinbase", "shopify", "kubernetes", "terraform",
               "pulumi", "azure", "gcloud", "awslabs", "firebase", "billing", "payment", "lemonsqueezy")
CLOUD_TOKENS = {"aws", "gcp", "fly", "flyio", "k8s", "kubectl", "railway", "square"}
READ_TOOL = re.compile(r"^(get|list|read|search|fetch|view|describe|show|find|lookup|retrieve|count|check|whoami)"
                       r"([_\-A-Z]|$)")
RISKY_TOOL = re.compile(r"(^|[_\-])(delete|drop|destroy|remove|purge|wipe|truncate|terminate|deploy|publish|merge"
                        r"|release|push|send|post|pay|charge|refund|transfer|payout)([_\-]|$)", re.IGNORECASE)


def mcp_reach(*texts: str) -> str | None:
    """"chat" for a server that talks as the person (Slack, mail, calendar...), "cloud" for one
    that drives a cloud console or payments; None otherwise. Judged from its name and launch
    command (package names such as @modelcontextprotocol/server-slack)."""
    joined = " ".join(texts).lower()
    tokens = set(re.split(r"[^a-z0-9]+", joined))
    if tokens & CHAT_TOKENS or any(word in joined for word in CHAT_WORDS):
        return "chat"
    if tokens & CLOUD_TOKENS or any(word in joined for word in CLOUD_WORDS) or "google-cloud" in joined:
        return "cloud"
    return None


def mcp_server_rule(name: str, launch: str = "", *, trusted: bool) -> str | None:
    """The reach rule for a configured server (None when its reach is ordinary)."""
    reach = mcp_reach(name, launch)
    if reach is None:
        return None
    if not trusted:
        return "MCP-9"
    return "MCP-7" if reach == "chat" else "MCP-8"


def mcp_allow_rule(server: str, tool: str | None) -> str:
    """Rule for an MCP server or tool allowed without asking (`tool` None or `*` = all its tools)."""
    whole = tool is None or tool.strip() in ("", "*") or tool.endswith("*")
    first, sep, rest = (tool or "").partition("_")
    if sep and first.lower() in server.lower():
        tool = rest  # `slack_post_message` of server `slack`: the verb is what follows
    reach = mcp_reach(server)
    if reach is not None and (whole or not READ_TOOL.match(tool or "")):
        return "MCP-7" if reach == "chat" else "MCP-8"
    if whole:
        return "MCP-4"
    if RISKY_TOOL.search(tool or ""):
        return "MCP-10"
    return "GRANT-0"


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
