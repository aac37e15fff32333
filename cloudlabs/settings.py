"""Stack settings: the typed, validated ``cloudlabs:`` configuration of one student stack.

The same parser reads a stack file (``environments/Pulumi.<stack>.yaml``, native YAML values)
and the Pulumi runtime's config (every value a string, objects as JSON), so labctl and the
Pulumi program refuse exactly the same input with exactly the same message:

    <file>: <key>: <value> is not allowed (<why>); allowed: <what is>

Every problem in the input is reported, one per line, before anything is registered.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from ipaddress import IPv4Network, ip_network
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from pydantic import ValidationError

from . import accounts, exposure
from .addressing import SEATS, AddressPlanError, LabLayout
from .catalog import stack_layout
from .catalog import LABS, LabOptions
from .dockerhost import mask_password
from .lab import StackFacts
from .naming import name_problems
from .profiles import Profile, ProfileError, load_profile, profile_names
from .reading import InputFileError, load_mapping, show

NAMESPACE = "cloudlabs"
REGION_KEY = "aws:region"
DEFAULT_PROFILE = "learner-lab"
DEFAULT_INSTANCE_TYPE = "t3.micro"

# Lowercase letters, digits and single hyphens; valid in a Pulumi stack name, an S3 bucket name
# and a DNS label. 20 characters keep "<prefix>-<cohort>-<student>-<purpose>" under S3's 63.
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,19}$")
SLUG_ALLOWED = "1-20 lowercase letters, digits and single hyphens, not starting or ending with a hyphen"
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")


@dataclass(frozen=True)
class Problem:
    source: str
    key: str
    allowed: str
    value: Any = None
    missing: bool = False
    reason: str | None = None

    def __str__(self) -> str:
        if self.missing:
            return f"{self.source}: {self.key}: missing; allowed: {self.allowed}"
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.source}: {self.key}: {_show(self.value)} is not allowed{why}; allowed: {self.allowed}"


@dataclass(frozen=True)
class FileProblem:
    """A problem with a file as a whole (unreadable, not YAML): the message names file and line."""

    message: str

    def __str__(self) -> str:
        return self.message


class SettingsError(ValueError):
    """Bad stack settings: one line per problem, each naming file, key, value and what is allowed."""

    def __init__(self, problems: Sequence[Problem | FileProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in problems))


def _show(value: Any) -> str:
    # text in quotes, so `seat: '3'` shows as "3", not as the number it is not; a URL's password masked
    return show(_masked(value))


def _masked(value: Any) -> Any:
    """The value with every URL password in it masked, before it is shown (and cut short)."""
    if isinstance(value, str):
        return mask_password(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return value


@dataclass(frozen=True)
class LabSelection:
    lab: str
    stage: str
    options: LabOptions


@dataclass(frozen=True)
class StackSettings:
    cohort: str
    student: str
    seat: int
    labs: tuple[LabSelection, ...]
    admin_cidr: IPv4Network
    allow_open_admin_cidr: bool
    profile: Profile
    key_name: str | None
    instance_type: str
    expires: date
    region: str
    session_hours: float  # a class session's length: the stack's sessionHours, else the profile's
    sessions: int  # how many sessions the course has: the stack's sessions, else the profile's
    key_file: str | None = None
    name_tag_prefix: bool = True
    account_model: str = "shared"  # cloudlabs.accounts.MODELS: the stack's accountModel, else the profile's
    account: str | None = None  # per-student: the student's account id
    role_arn: str | None = None  # per-student: the role every operation on the stack assumes
    generated_key: bool = False  # shared without a keyName: instances start with the student's own key pair

    @property
    def stack_name(self) -> str:
        return f"{self.cohort}-{self.student}"

    def layouts(self) -> tuple[LabLayout, ...]:
        return stack_layout([s.lab for s in self.labs], self.seat)


# --- one parser per key: value -> typed value, or ValueError(reason) --------------------------

def _slug(value: Any) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        raise ValueError(None)
    return value


def _seat(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        quoted = isinstance(value, str) and value.strip().isdigit()
        raise ValueError("text, not a number; remove the quotes" if quoted else "not a whole number")
    if value not in SEATS:
        raise ValueError("out of range")
    return value


def _admin_cidr(value: Any) -> IPv4Network:
    if not isinstance(value, str):
        raise ValueError("not a string")
    try:
        network = ip_network(value, strict=False)
    except ValueError:
        raise ValueError("not an IP network in CIDR form") from None
    if network.version != 4:
        raise ValueError("IPv6 admin ranges are not supported yet")
    if "/" not in value:
        raise ValueError(f"no prefix length; for one address write {network}")
    if str(network) != value.strip():
        raise ValueError(f"host bits are set; did you mean {network}?")
    return network


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):  # no 'yes', 1 or "true": a typo should not open a door
        raise ValueError(None)
    return value


def _expires(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):  # YAML reads 2026-12-19 as a date
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("not a calendar date") from None
    raise ValueError(None)


def _key_name(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 255 or not value.isascii() or not value.isprintable():
        raise ValueError(None)
    return value


_KEY_FILE = re.compile(r"[A-Za-z0-9_.~/-]{1,128}")


def _key_file(value: Any) -> str:
    if not isinstance(value, str) or not _KEY_FILE.fullmatch(value) or value.endswith("/"):
        raise ValueError(None)
    return value


def _instance_type(value: Any) -> str:
    if not isinstance(value, str) or not INSTANCE_TYPE.match(value):
        raise ValueError("not an instance type name")
    return value


MAX_SESSION_HOURS = 24
MAX_SESSIONS = 1000


def _number_text(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"\s*[0-9]+(\.[0-9]+)?\s*", value) is not None


def _session_hours(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("text, not a number; remove the quotes" if _number_text(value) else "not a number")
    if not 0 < value <= MAX_SESSION_HOURS:  # NaN fails this too
        raise ValueError("out of range")
    return float(value)


def _sessions(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("text, not a number; remove the quotes" if _number_text(value) else "not a whole number")
    if not 1 <= value <= MAX_SESSIONS:
        raise ValueError("out of range")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(None)
    return value


@dataclass(frozen=True)
class _Key:
    name: str  # without the namespace
    parse: Callable[[Any], Any]
    allowed: str
    required: bool = True
    default: Any = None


_KEYS: tuple[_Key, ...] = (
    _Key("cohort", _slug, SLUG_ALLOWED + " (part of stack and bucket names)"),
    _Key("student", _slug, SLUG_ALLOWED + " (an opaque id, never a real name: stack files are committed)"),
    _Key("seat", _seat, f"a whole number from {SEATS.start} (the instructor) to {SEATS.stop - 1}; seat N owns 10.N.0.0/16"),
    _Key("labs", lambda v: v, ""),  # parsed by _labs, which reports per item
    _Key("adminCidr", _admin_cidr, "an IPv4 network in CIDR form that may SSH in, e.g. 203.0.113.0/24"),
    _Key("allowOpenAdminCidr", _bool, "true or false", required=False, default=False),
    _Key("profile", _text, "", required=False, default=DEFAULT_PROFILE),
    _Key("keyName", _key_name, "the name of an existing EC2 key pair (1-255 printable ASCII characters)", required=False),
    _Key("keyFile", _key_file, "the private key file the ssh commands use, e.g. vockey.pem or labsuser.pem "
         "(letters, digits, . _ - ~ /; default: the profile's keyFiles name for keyName, e.g. labsuser.pem for a Learner "
         "Lab's vockey, else <keyName>.pem)", required=False),
    _Key("nameTagPrefix", _bool, "true or false: Name tags start with the student id (default: the profile's "
         "nameTagPrefix; learner-lab false, one account per student)", required=False),
    _Key("instanceType", _instance_type, "", required=False, default=DEFAULT_INSTANCE_TYPE),
    _Key("expires", _expires, "a date written YYYY-MM-DD (tagged on every resource as cloudlabs:expires)"),
    _Key("sessionHours", _session_hours, f"a number of hours more than 0, at most {MAX_SESSION_HOURS}: a class session's "
         "length (default: the profile's sessionHours; learner-lab 4)", required=False),
    _Key("sessions", _sessions, f"a whole number from 1 to {MAX_SESSIONS}: how many sessions the course has (default: "
         "the profile's sessions; 12, one per chapter of the book)", required=False),
    _Key("accountModel", accounts.parse_model, accounts.MODELS_ALLOWED + " (default: the profile's accountModel; "
         "learner-lab self-service, sandbox shared)", required=False),
    _Key("account", accounts.parse_account, accounts.ACCOUNT_ALLOWED + " (accountModel per-student only)", required=False),
    _Key("roleArn", accounts.parse_role_arn, "an IAM role ARN in the student's account, e.g. "
         "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole (accountModel per-student only)", required=False),
)
KNOWN_KEYS = tuple(f"{NAMESPACE}:{k.name}" for k in _KEYS)


def _labs_allowed() -> str:
    return "a non-empty list; each item a lab key or {lab, stage, options}; labs: " + ", ".join(LABS)


def _parse_labs(value: Any, source: str, problems: list[Problem | FileProblem],
                places: dict[str, str] | None = None) -> tuple[LabSelection, ...]:
    """The labs' selections; ``places`` gets each selected lab's key in the file (cloudlabs:labs[i])."""
    key = f"{NAMESPACE}:labs"
    if isinstance(value, str) and value in LABS:
        value = [value]  # `labs: vpc-nat`, one lab
    if not isinstance(value, list) or not value:
        problems.append(Problem(source, key, _labs_allowed(), value))
        return ()
    selections: list[LabSelection] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        where = f"{key}[{i}]"
        if isinstance(item, str):
            item = {"lab": item}
        if not isinstance(item, dict) or set(item) - {"lab", "stage", "options"}:
            problems.append(Problem(source, where, "a lab key, or a mapping with lab, stage (optional) and options (optional)", item))
            continue
        lab = item.get("lab")
        spec = LABS.get(lab) if isinstance(lab, str) else None
        if spec is None or not isinstance(lab, str):
            close = difflib.get_close_matches(str(lab), LABS, n=1)
            problems.append(Problem(source, f"{where}.lab", ", ".join(LABS), lab, missing="lab" not in item,
                                    reason=f"did you mean {close[0]}?" if close else "unknown lab"))
            continue
        if lab in seen:
            problems.append(Problem(source, f"{where}.lab", "each lab at most once per stack", lab, reason="listed twice"))
            continue
        seen.add(lab)
        stage = item.get("stage", spec.default_stage)
        if stage not in spec.stages:
            problems.append(Problem(source, f"{where}.stage", f"stages of {lab}: {', '.join(spec.stages)}", stage))
            continue
        options = _parse_options(spec.options, item.get("options") or {}, f"{where}.options", source, problems)
        if options is not None:
            selections.append(LabSelection(lab, stage, options))
            if places is not None:
                places[lab] = where
    return tuple(selections)


def _parse_options(model: type[LabOptions], raw: Any, where: str, source: str, problems: list[Problem | FileProblem]) -> LabOptions | None:
    fields = {f.alias or name: f for name, f in model.model_fields.items()}
    known = ", ".join(fields) or "none (this lab has no options)"
    if not isinstance(raw, dict):
        problems.append(Problem(source, where, f"a mapping of options: {known}", raw))
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        for e in err.errors():
            # a lab's own rule (a ValueError in a validator) says why, next to what is allowed
            reason = str(e["msg"]).removeprefix("Value error, ") if e["type"] == "value_error" else None
            if not e["loc"]:  # a rule across options: reported on the options as a whole
                problems.append(Problem(source, where, f"options: {known}", raw, reason=reason))
                continue
            name = str(e["loc"][0])
            field = fields.get(name)
            if field is None:
                problems.append(Problem(source, f"{where}.{name}", f"options: {known}", raw.get(name), reason="unknown option"))
            else:
                problems.append(Problem(source, f"{where}.{name}", field.description or e["msg"], raw.get(name), reason=reason))
        return None


def decode_runtime_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The Pulumi runtime's config (every value text) back to the stack file's native values:
    the exact inverse of :func:`runtime_config_values`, so both paths are held to the same strict
    types (``"3"`` is a seat only because the runtime wrote the file's 3 that way)."""
    native: dict[str, Any] = dict(config)
    for key, value in config.items():
        if not isinstance(value, str):
            continue
        if key == f"{NAMESPACE}:seat" and re.fullmatch(r"[0-9]{1,6}", value):
            native[key] = int(value)
        elif key in (f"{NAMESPACE}:sessionHours", f"{NAMESPACE}:sessions") and re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,12})?", value):
            native[key] = float(value) if "." in value else int(value)
        elif key in (f"{NAMESPACE}:allowOpenAdminCidr", f"{NAMESPACE}:nameTagPrefix") and value in ("true", "false"):
            native[key] = value == "true"
        elif key == f"{NAMESPACE}:labs" and value[:1] in "[{":
            try:
                native[key] = json.loads(value)
            except json.JSONDecodeError:
                pass  # reported as it is
    return native


def parse_settings(config: Mapping[str, Any], source: str, profiles_dir: Path | None = None,
                   runtime: bool = False) -> StackSettings:
    """Validate one stack's config (keys like ``cloudlabs:seat`` and ``aws:region``).

    ``runtime``: the values come from the Pulumi runtime (text) rather than a stack file.
    Raises SettingsError listing every problem; returns fully typed settings otherwise.
    """
    if runtime:
        config = decode_runtime_config(config)
    problems: list[Problem | FileProblem] = []
    prefix = f"{NAMESPACE}:"
    for key in sorted(config, key=str):
        if key.startswith(prefix) and key not in KNOWN_KEYS:
            close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
            problems.append(Problem(source, key, "the settings " + ", ".join(KNOWN_KEYS), config[key],
                                    reason=f"unknown setting; did you mean {close[0]}?" if close else "unknown setting"))

    values: dict[str, Any] = {}
    places: dict[str, str] = {}
    for spec in _KEYS:
        full = prefix + spec.name
        if full not in config or config[full] is None:
            if spec.required:
                allowed = _labs_allowed() if spec.name == "labs" else spec.allowed
                problems.append(Problem(source, full, allowed, missing=True))
            values[spec.name] = spec.default
            continue
        raw = config[full]
        if spec.name == "labs":
            values["labs"] = _parse_labs(raw, source, problems, places)
            continue
        try:
            values[spec.name] = spec.parse(raw)
        except ValueError as err:
            reason = err.args[0] if err.args else None
            allowed = spec.allowed or ("one of: " + ", ".join(profile_names(profiles_dir)) if spec.name == "profile" else "")
            problems.append(Problem(source, full, allowed or "an instance type the profile allows", raw, reason=reason))
            values[spec.name] = None

    profile = _check_profile(values, config, source, profiles_dir, problems)
    admin = values["adminCidr"]
    if admin is not None and exposure.is_wide_open(admin) and not values["allowOpenAdminCidr"]:
        problems.append(Problem(
            source, f"{prefix}adminCidr", f"{exposure.WIDE_OPEN_TEXT}; or set cloudlabs:allowOpenAdminCidr: true "
            "to open SSH and RDP that wide", str(admin), reason=f"opens SSH to {exposure.describe(admin)}"))
    if values["labs"] and isinstance(values["seat"], int):
        try:
            stack_layout([s.lab for s in values["labs"]], values["seat"])
        except AddressPlanError as err:
            problems.append(Problem(source, f"{prefix}labs", "labs whose networks do not overlap", [s.lab for s in values["labs"]], reason=str(err)))
    _check_across(values, config, profile, source, places, problems)
    _check_accounts(values, config, profile, source, problems)

    if problems:
        raise SettingsError(problems)
    assert profile is not None
    return StackSettings(
        cohort=values["cohort"],
        student=values["student"],
        seat=values["seat"],
        labs=values["labs"],
        admin_cidr=values["adminCidr"],
        allow_open_admin_cidr=values["allowOpenAdminCidr"],
        profile=profile,
        key_name=values["keyName"],
        instance_type=values["instanceType"],
        expires=values["expires"],
        region=values[REGION_KEY],
        session_hours=profile.session_hours if values["sessionHours"] is None else values["sessionHours"],
        sessions=profile.sessions if values["sessions"] is None else values["sessions"],
        key_file=values["keyFile"],
        name_tag_prefix=_name_tag_prefix(values, profile),
        account_model=_account_model(values, profile),
        account=values["account"],
        role_arn=values["roleArn"],
        generated_key=_account_model(values, profile) == "shared" and values["keyName"] is None,
    )


def _account_model(values: dict[str, Any], profile: Profile | None) -> str:
    if values["accountModel"] is not None:
        return str(values["accountModel"])
    return profile.account_model if profile is not None else "shared"


def _name_tag_prefix(values: dict[str, Any], profile: Profile | None) -> bool:
    """Students sharing an account are told apart by their id in front of every name: the shared
    model decides it; elsewhere the stack's nameTagPrefix, else the profile's."""
    if _account_model(values, profile) == "shared":
        return True
    if values["nameTagPrefix"] is not None:
        return bool(values["nameTagPrefix"])
    return profile.name_tag_prefix if profile is not None else True


def _check_accounts(values: dict[str, Any], config: Mapping[str, Any], profile: Profile | None, source: str,
                    problems: list[Problem | FileProblem]) -> None:
    """The account model against the keys that belong to it (only where the values involved are valid)."""
    prefix = f"{NAMESPACE}:"
    if config.get(prefix + "accountModel") is not None and values["accountModel"] is None:
        return  # a bad model is reported already
    model = _account_model(values, profile)
    per_student = model == "per-student"
    for key in ("account", "roleArn"):
        written = config.get(prefix + key) is not None
        if per_student and not written:
            problems.append(Problem(source, prefix + key, next(k.allowed for k in _KEYS if k.name == key), missing=True))
        elif written and not per_student:
            problems.append(Problem(source, prefix + key, f"no {key} with accountModel {model} (only per-student)",
                                    config[prefix + key], reason=f"the stacks of a {model} cohort do not live in an "
                                                                 "account of the student's own"))
    if per_student and values["account"] and values["roleArn"]:
        if accounts.role_account(values["roleArn"]) != values["account"]:
            problems.append(Problem(source, prefix + "roleArn", f"a role in the student's account {values['account']}",
                                    values["roleArn"], reason="the role is in another account"))
        elif values["cohort"] and values["student"]:
            wanted = accounts.assume_roles_config(values["roleArn"], f"{values['cohort']}-{values['student']}")
            have = config.get(accounts.ASSUME_ROLES_KEY)
            if isinstance(have, str):  # the Pulumi runtime's text
                try:
                    have = json.loads(have)
                except json.JSONDecodeError:
                    pass
            if have != wanted:
                problems.append(Problem(source, accounts.ASSUME_ROLES_KEY, f"{json.dumps(wanted)} (labctl sync writes it)",
                                        have, missing=have is None,
                                        reason="Pulumi would deploy with the caller's credentials, not the student's role"))
    if model == "shared":
        if values["nameTagPrefix"] is False:
            problems.append(Problem(source, prefix + "nameTagPrefix", "true, or leave it out, with accountModel shared",
                                    False, reason="students sharing an account are told apart by their id in every name"))
        shared_keys = profile.key_files if profile is not None else {}
        if values["keyName"] is not None and values["keyName"] in shared_keys:
            problems.append(Problem(source, prefix + "keyName", "no keyName with accountModel shared: each student gets a "
                                    "key pair of their own (generated, its private key a secret stack output)",
                                    values["keyName"], reason=f"the profile {profile.name if profile else ''}'s key "
                                    "pair: every student of the account would hold the same private key"))


def _check_across(values: dict[str, Any], config: Mapping[str, Any], profile: Profile | None, source: str,
                  places: dict[str, str], problems: list[Problem | FileProblem]) -> None:
    """Values each valid alone that contradict each other, and the names the ids make. Checked
    only where the values involved are themselves valid (a bad one is already reported)."""
    prefix = f"{NAMESPACE}:"
    key_name_written = config.get(f"{prefix}keyName") is not None
    if values["keyFile"] is not None and not key_name_written:
        problems.append(Problem(
            source, f"{prefix}keyFile", "a key file only with cloudlabs:keyName: the private key of that key pair",
            values["keyFile"], reason="keyFile names the private key of keyName's key pair, and no keyName is set: "
                                      "the instances start without a key pair"))
    if all(values[k] is not None or config.get(prefix + k) is None for k in ("keyName", "instanceType")):
        key_name = values["keyName"]
        if key_name is None and _account_model(values, profile) == "shared" and values["cohort"] and values["student"]:
            key_name = accounts.student_key_name(values["cohort"], values["student"])  # generated per student
        facts = StackFacts(key_name=key_name, instance_type=values["instanceType"] or DEFAULT_INSTANCE_TYPE)
        for selection in values["labs"] or ():
            fields = type(selection.options).model_fields
            for name, why in selection.options.conflicts(facts).items():
                problems.append(Problem(source, f"{places[selection.lab]}.options.{fields[name].alias or name}",
                                        fields[name].description or "", getattr(selection.options, name), reason=why))
    cohort, student = values["cohort"], values["student"]
    if cohort is not None and student is not None and values["labs"]:
        prefixed = _name_tag_prefix(values, profile)
        for found in name_problems(cohort, student, [s.lab for s in values["labs"]], prefixed):
            problems.append(Problem(source, f"{prefix}{found.setting}", found.allowed, found.value, reason=found.reason))


def _check_profile(values: dict[str, Any], config: Mapping[str, Any], source: str, profiles_dir: Path | None,
                   problems: list[Problem | FileProblem]) -> Profile | None:
    """Load the guardrail profile and hold the region and instance type to it."""
    values[REGION_KEY] = config.get(REGION_KEY)
    if values["profile"] is None:
        return None
    try:
        profile = load_profile(values["profile"], profiles_dir)
    except ProfileError as err:
        if "unknown profile" in str(err):
            problems.append(Problem(source, f"{NAMESPACE}:profile", "one of: " + ", ".join(profile_names(profiles_dir)),
                                    values["profile"]))
        else:  # the profile's own file is broken: each of its problems, naming that file's line
            problems.extend(FileProblem(f"{source}: {NAMESPACE}:profile: {values['profile']!r} cannot be used: {line}")
                            for line in str(err).splitlines())
        return None
    region = values[REGION_KEY]
    if region is None:
        problems.append(Problem(source, REGION_KEY, f"a region of profile {profile.name}: {', '.join(profile.regions)}", missing=True))
    elif region not in profile.regions:
        problems.append(Problem(source, REGION_KEY, f"a region of profile {profile.name}: {', '.join(profile.regions)}", region))
    itype = values["instanceType"]
    if itype is not None and itype not in profile.instance_types:
        problems.append(Problem(source, f"{NAMESPACE}:instanceType",
                                f"an instance type of profile {profile.name}: {', '.join(profile.instance_types)}", itype))
    return profile


# --- stack files ------------------------------------------------------------------------------

STACK_FILE = re.compile(r"^Pulumi\.(?P<stack>[^.]+)\.yaml$")


class StackFileError(ValueError):
    pass


def stack_name_of(path: Path) -> str:
    match = STACK_FILE.match(path.name)
    if not match:
        raise StackFileError(f"{path}: not a stack settings file (expected Pulumi.<stack>.yaml)")
    return match["stack"]


def read_stack_document(path: Path) -> dict[str, Any]:
    """The whole stack settings file (``config:`` and anything Pulumi keeps beside it)."""
    try:
        source = load_mapping(path, "stack settings file (Pulumi.<stack>.yaml)")
    except InputFileError as err:
        raise StackFileError(str(err)) from None
    if not isinstance(source.data.get("config"), dict):
        raise StackFileError(f"{source.where(('config',))}: config: {'missing' if 'config' not in source.data else 'not a mapping'}; "
                             "allowed: a mapping of settings (cloudlabs:..., aws:region)")
    return source.data


def read_stack_file(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping of a Pulumi stack settings file, as native YAML values."""
    return read_stack_document(path)["config"]


def load_stack_settings(path: Path, profiles_dir: Path | None = None) -> StackSettings:
    """Read and validate a stack file; the stack name must match cohort and student."""
    stack = stack_name_of(path)
    settings = parse_settings(read_stack_file(path), str(path), profiles_dir)
    if settings.stack_name != stack:
        raise SettingsError([Problem(str(path), f"{NAMESPACE}:student", f"cohort and student matching the stack name {stack!r}",
                                     settings.student, reason=f"the file is for stack {stack}, the settings say {settings.stack_name}")])
    return settings


def load_all_stack_settings(paths: list[Path], profiles_dir: Path | None = None) -> dict[Path, StackSettings]:
    """Validate every stack file; one SettingsError listing every problem of every file, so a
    run stops before anything is rendered, written or deployed."""
    settings: dict[Path, StackSettings] = {}
    problems: list[Problem | FileProblem] = []
    for path in paths:
        try:
            settings[path] = load_stack_settings(path, profiles_dir)
        except SettingsError as exc:
            problems.extend(exc.problems)
        except StackFileError as exc:
            problems.append(FileProblem(str(exc)))
    if problems:
        raise SettingsError(problems)
    return settings


def runtime_config_values(config: Mapping[str, Any]) -> dict[str, str]:
    """Stack-file values as the Pulumi CLI hands them to a program: strings, objects as JSON."""
    out: dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, str):
            out[key] = value
        elif isinstance(value, date):
            out[key] = value.isoformat()
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = json.dumps(value)
    return out
