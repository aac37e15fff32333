"""Access cards: what one student needs to start a session (lab and stage, URLs, ssh/RDP commands and
the key file, the database endpoint, the first step, the session's end, the expiry, what a session
costs), as Markdown, HTML and a CSV row for the course's LMS.

Pure: it takes the stack's outputs (after ``up``, or the plan's when nothing is deployed) and the
facts around them; ``labctl cards`` (labctl.cli.cards) gathers them and writes the files. Secrets (a
generated private key, a database password) are on a card only when asked, and never in the CSV.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable, Iterator, Mapping

from jinja2 import Environment

from cloudlabs.catalog import LABS

SECRET = "[secret]"  # how the plan (and `pulumi stack output` without --show-secrets) shows a secret
MARKER = "labctl cards"  # first line of every card file: labctl only ever replaces files that carry it
CSV_COLUMNS = ("student", "stack", "status", "labs", "urls", "connect", "key_file", "database", "first_step",
               "session_end", "expires", "session_cost_usd", "card_html")


@dataclass(frozen=True)
class CardInput:
    """Everything a card says, gathered by the command (no argparse, no files)."""

    cohort: str
    student: str
    stack: str
    region: str
    labs: tuple[tuple[str, str], ...]  # (lab, stage)
    outputs: Mapping[str, Any]  # the stack's outputs: lab key -> its outputs, and studentKey
    deployed: bool  # False: the plan's outputs (addresses are the renderer's, not AWS's)
    expires: datetime | date
    key_file: str | None = None  # the settings' key file (the profile's keyFiles, e.g. labsuser.pem)
    session: tuple[datetime, datetime] | None = None  # the session in progress or the next
    session_hours: float = 0.0
    session_cost: float | None = None  # $ for one session of session_hours
    source: str = ""  # where the outputs came from, said on the card
    scheduled: bool = False  # the cohort has a schedule: (without it, no session end and the tagged expiry date)


@dataclass
class Found:
    """What the outputs hold for a card, by what a student does with it."""

    urls: list[str] = field(default_factory=list)
    connect: list[tuple[str, str]] = field(default_factory=list)  # (what, command)
    database: list[tuple[str, str]] = field(default_factory=list)
    first_steps: list[tuple[str, str]] = field(default_factory=list)  # (lab, text)
    secrets: list[tuple[str, str]] = field(default_factory=list)  # (what, value): only with --with-secrets
    secret_names: list[str] = field(default_factory=list)  # what a card without secrets leaves out
    key_file: str | None = None


@dataclass(frozen=True)
class Card:
    student: str
    markdown: str
    html: str
    row: dict[str, str]
    has_secrets: bool


def _leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(value, Mapping):
        for key in sorted(value):
            yield from _leaves(value[key], path + (str(key),))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, path + (str(i + 1),))
    else:
        yield path, value


def _is_secret(lab: str, path: tuple[str, ...], value: Any) -> bool:
    """Redacted, or an output the lab declares secret (a leaf named "password" may be the command
    that fetches one: get-password-data)."""
    definition = LABS.get(lab)
    declared = definition is not None and any(o.name == path[0] and o.kind == "secret" for o in definition.outputs)
    return value == SECRET or declared


def _connects(path: tuple[str, ...], value: str) -> bool:
    words = " ".join(path).lower()
    return (value.startswith(("ssh ", "mstsc ", "xfreerdp ", "aws ec2 get-password-data ")) or
            (any(w in words for w in ("ssh", "rdp", "password")) and " " in value.strip() and not value.startswith("http")))


def find(data: CardInput) -> Found:
    """Sort the stack's outputs into what a card shows (declared lab outputs, walked to their leaves)."""
    found = Found()
    for lab, stage in data.labs:
        outputs = data.outputs.get(lab)
        outputs = outputs if isinstance(outputs, Mapping) else {}
        step = outputs.get("nextStep")
        definition = LABS.get(lab)
        text = step if isinstance(step, str) and step else (definition.stages.get(stage, "") if definition else "")
        if text:
            found.first_steps.append((lab, text))
        for path, value in _leaves(outputs):
            label = ".".join(path)
            if _is_secret(lab, path, value):
                if isinstance(value, str) and value and value != SECRET:
                    found.secrets.append((f"{lab}.{label}", value))
                else:
                    found.secret_names.append(f"{lab}.{label}")
                continue
            if not isinstance(value, str) or not value:
                continue
            if value.startswith(("http://", "https://")) and "169.254.169.254" not in value:
                if value not in found.urls:
                    found.urls.append(value)
            elif _connects(path, value):
                found.connect.append((f"{lab} {label}", value))
            elif path[-1] in ("dbEndpoint", "dbUser", "dbName", "mysqlFromWeb") or (len(path) > 1 and path[0] == "database"):
                found.database.append((f"{lab} {label}", value))
    key = data.outputs.get("studentKey")
    if isinstance(key, Mapping):  # the shared account's own key pair of the student
        found.key_file = str(key.get("keyFile") or "") or None
        private = key.get("privateKey")
        if isinstance(private, str) and private and private != SECRET:
            found.secrets.append(("studentKey.privateKey", private))
        elif private is not None:
            found.secret_names.append("studentKey.privateKey")
    if found.key_file is None:
        found.key_file = data.key_file
    return found


def _when(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return moment.isoformat(sep=" ", timespec="minutes")
    return moment.isoformat()


def _context(data: CardInput, found: Found, with_secrets: bool) -> dict[str, Any]:
    session = data.session
    return {
        "d": data, "f": found, "with_secrets": with_secrets, "marker": MARKER, "no_key_text": NO_KEY,
        "labs": ", ".join(f"{lab} ({stage})" for lab, stage in data.labs),
        "status": "deployed" if data.deployed else "not deployed yet",
        "session": (f"{_when(session[0])} to {_when(session[1])}" if session else
                    f"no session left on the schedule ({data.session_hours:g} h each)" if data.scheduled else
                    f"not scheduled (a session is {data.session_hours:g} h)"),
        "expires": _when(data.expires),
        "expires_note": ("everything of the lab is destroyed then" if data.scheduled else
                         "the last day your lab may run (tagged on its resources)"),
        "cost": ("not priced" if data.session_cost is None else
                 f"${data.session_cost:.2f} for {data.session_hours:g} h (estimated from on-demand prices)"),
        "no_key": not found.key_file and any(_ssh_without_key(command) for _, command in found.connect),
        "secrets": found.secrets if with_secrets else [],
        "withheld": found.secret_names + ([] if with_secrets else [what for what, _ in found.secrets]),
    }


def _ssh_without_key(command: str) -> bool:
    """An ssh command that names no key file: with no key file on the card either, the stack's servers were
    started without a key pair (no keyName in a per-student account), and ssh cannot log in with a key."""
    words = command.split()
    return bool(words) and words[0] == "ssh" and "-i" not in words


NO_KEY = ("No key file: your servers were started without a key pair (the cohort file sets no keyName), so these "
          "ssh commands cannot log in; ask your instructor.")


def md_code(value: Any) -> str:
    """A value as a Markdown code span that no backtick or line break in it can end early."""
    text = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}" if longest else f"{fence}{text}{fence}"


def md_link(url: str) -> str:
    """An autolink only where the URL cannot close it (no spaces, < or >); else a code span."""
    return f"<{url}>" if re.fullmatch(r"[^\s<>`]+", url) else md_code(url)


def md_text(value: Any) -> str:
    """Prose on one line, with Markdown's and HTML's active characters made literal."""
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", " ".join(str(value).split()))


_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
_MD = Environment(autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
_MD.filters.update(code=md_code, link=md_link, text=md_text)

MARKDOWN = _MD.from_string("""<!-- {{ marker }}: cohort {{ d.cohort }}, student {{ d.student }} -->
# Access card: {{ d.student }} ({{ d.stack }})

{% if not d.deployed %}
**Not deployed yet**: from the plan{{ d.source and " (" + d.source + ")" }}. Addresses and ids change at `labctl up`; ask for a new card then.

{% endif %}
| | |
|---|---|
| Lab | {{ labs | text }} |
| Status | {{ status }}{{ d.deployed and d.source and " (" + d.source + ")" or "" }} |
| Region | {{ d.region }} |
| Session | {{ session }} |
| Expires | {{ expires }}: {{ expires_note }} |
| Cost of a session | {{ cost }} |

## What to do first
{% for lab, text in f.first_steps %}
- **{{ lab }}**: {{ text | text }}
{% endfor %}
{% if f.urls %}

## Open in a browser
{% for url in f.urls %}
- {{ url | link }}
{% endfor %}
{% endif %}
{% if f.connect %}

## Connect
{% if f.key_file %}
Key file: {{ f.key_file | code }} (the private key of your key pair; {{ ('chmod 600 ' + f.key_file) | code }} before ssh uses it).

{% elif no_key %}
{{ no_key_text }}

{% endif %}
{% for what, command in f.connect %}
- {{ what | text }}: {{ command | code }}
{% endfor %}
{% endif %}
{% if f.database %}

## Database
{% for what, value in f.database %}
- {{ what | text }}: {{ value | code }}
{% endfor %}
{% endif %}
{% if secrets %}

## Secrets (this card is for {{ d.student }} alone: keep it private)
{% for what, value in secrets %}

{{ what }}:

```
{{ value }}
```
{% endfor %}
{% endif %}
{% if withheld %}

Not on this card: {{ withheld | join(", ") }} (secrets: your instructor hands them out, or `pulumi stack output --show-secrets --stack {{ d.stack }}`).
{% endif %}
""")

HTML = _ENV.from_string("""<!DOCTYPE html>
<!-- {{ marker }}: cohort {{ d.cohort }}, student {{ d.student }} -->
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Access card: {{ d.student }} ({{ d.stack }})</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 50rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.4; }
th { text-align: left; padding-right: 1rem; } code, pre { background: #f3f3f3; padding: 0.1rem 0.3rem; overflow-wrap: anywhere; }
pre { padding: 0.5rem; white-space: pre-wrap; } .status { font-weight: bold; }
</style>
</head>
<body>
<main>
<h1>Access card: {{ d.student }} ({{ d.stack }})</h1>
{% if not d.deployed %}
<p class="status">Not deployed yet: from the plan{{ d.source and " (" + d.source + ")" }}. Addresses and ids change at <code>labctl up</code>; ask for a new card then.</p>
{% endif %}
<table>
<tr><th scope="row">Lab</th><td>{{ labs }}</td></tr>
<tr><th scope="row">Status</th><td>{{ status }}</td></tr>
<tr><th scope="row">Region</th><td>{{ d.region }}</td></tr>
<tr><th scope="row">Session</th><td>{{ session }}</td></tr>
<tr><th scope="row">Expires</th><td>{{ expires }}: {{ expires_note }}</td></tr>
<tr><th scope="row">Cost of a session</th><td>{{ cost }}</td></tr>
</table>
<h2>What to do first</h2>
<ul>
{% for lab, text in f.first_steps %}
<li><strong>{{ lab }}</strong>: {{ text }}</li>
{% endfor %}
</ul>
{% if f.urls %}
<h2>Open in a browser</h2>
<ul>
{% for url in f.urls %}
<li><a href="{{ url }}">{{ url }}</a></li>
{% endfor %}
</ul>
{% endif %}
{% if f.connect %}
<h2>Connect</h2>
{% if f.key_file %}
<p>Key file: <code>{{ f.key_file }}</code> (the private key of your key pair; <code>chmod 600 {{ f.key_file }}</code> before ssh uses it).</p>
{% elif no_key %}
<p>{{ no_key_text }}</p>
{% endif %}
<ul>
{% for what, command in f.connect %}
<li>{{ what }}: <code>{{ command }}</code></li>
{% endfor %}
</ul>
{% endif %}
{% if f.database %}
<h2>Database</h2>
<ul>
{% for what, value in f.database %}
<li>{{ what }}: <code>{{ value }}</code></li>
{% endfor %}
</ul>
{% endif %}
{% if secrets %}
<h2>Secrets (this card is for {{ d.student }} alone: keep it private)</h2>
{% for what, value in secrets %}
<h3>{{ what }}</h3>
<pre>{{ value }}</pre>
{% endfor %}
{% endif %}
{% if withheld %}
<p>Not on this card: {{ withheld | join(", ") }} (secrets: your instructor hands them out, or <code>pulumi stack output --show-secrets --stack {{ d.stack }}</code>).</p>
{% endif %}
</main>
</body>
</html>
""")


def make_card(data: CardInput, with_secrets: bool = False, html_name: str | None = None) -> Card:
    found = find(data)
    context = _context(data, found, with_secrets)
    row = {
        "student": data.student, "stack": data.stack, "status": context["status"], "labs": context["labs"],
        "urls": " ".join(found.urls), "connect": " | ".join(command for _, command in found.connect),
        "key_file": found.key_file or "", "database": " ".join(v for what, v in found.database if what.endswith("dbEndpoint")
                                                               or what.endswith("endpoint")),
        "first_step": " | ".join(f"{lab}: {text}" for lab, text in found.first_steps),
        "session_end": _when(data.session[1]) if data.session else "", "expires": context["expires"],
        "session_cost_usd": "" if data.session_cost is None else f"{data.session_cost:.2f}",
        "card_html": html_name or f"{data.student}.html",
    }
    return Card(data.student, MARKDOWN.render(context), HTML.render(context), row, bool(context["secrets"]))


def cards_csv(cards: list[Card], kept: Iterable[dict[str, str]] = ()) -> str:
    """One row per student, no secrets: what an LMS imports (each student's link to their card). ``kept``:
    rows of an earlier CSV for students whose cards were not written this time (``--students``), so that
    writing one student's card never drops the rest of the class from the LMS's file."""
    rows = {row["student"]: row for row in kept}
    for card in cards:  # a cell a spreadsheet would run as a formula is quoted (a kept row was quoted already)
        rows[card.student] = {k: "'" + v if v.startswith(("=", "+", "-", "@")) else v for k, v in card.row.items()}
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for student in sorted(rows):
        writer.writerow(rows[student])
    return buffer.getvalue()


def csv_rows(text: str) -> list[dict[str, str]]:
    """The rows of a cards.csv labctl wrote (its header exactly), else none."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
        return []
    return [row for row in reader if row.get("student") and None not in row]
