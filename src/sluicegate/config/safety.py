"""Safety settings: which detectors run on requests, documents and replies, and what they do.

A *profile* says, per detector family, the action (block, redact, annotate, shadow, off), the
thresholds and the directions. Requests pick a profile by key, then team, then model route,
else `default_profile`. With no `safety` section at all the built-in `default` profile applies,
like Azure OpenAI's default content filter: the prompt shields block attacks and the four harm
categories block at medium severity and above, on input and output. Turning any of it off is
explicit (`default_profile: off`, or a profile that says `action: off`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from sluicegate.config.safety_remote import RemoteDetectorsSettings
from sluicegate.config.strict import Strict

Action = Literal["block", "annotate", "shadow", "off"]
"""block: refuse (input) or cut (output); annotate: let through and report it in the reply;
shadow: only log and count; off: do not run the detector."""
RedactingAction = Literal["block", "redact", "annotate", "shadow", "off"]
"""redact: replace what was found (PII, blocklist terms) and let the request through."""
LevelName = Literal["low", "medium", "high", "off"]
"""The lowest severity that acts (Azure OpenAI's levels); off: never acts for this category."""

BUILT_IN_PROFILES = ("default", "off")


class HarmSettings(Strict):
    """Hate, sexual, violence and self-harm, graded 0–7 (safe, low, medium, high)."""

    action: Action = "block"
    threshold: LevelName = "medium"
    """Applies to each category unless it has its own below."""
    hate: LevelName | None = None
    sexual: LevelName | None = None
    violence: LevelName | None = None
    self_harm: LevelName | None = None
    input: bool = True
    """Check the latest user message (or every user message, see `prompt_scope`)."""
    output: bool = True
    """Check the model's reply, streamed replies incrementally."""

    def level_for(self, category: str) -> LevelName:
        own: LevelName | None = getattr(self, category)
        return own if own is not None else self.threshold


class PromptShieldSettings(Strict):
    """Jailbreaks and direct prompt injection in user messages."""

    action: Action = "block"
    threshold: float | None = Field(default=None, gt=0, lt=1)
    """The classifier's score above which a prompt is an attack; unset: the value tuned on the
    validation data and shipped with the model (see docs/safety.md)."""
    model: Literal["linear", "transformer"] = "linear"
    """linear: word n-grams in pure Python, microseconds per prompt. transformer: a fine-tuned
    MiniLM that detects more attacks at the same false-positive rate, for tens to hundreds of
    milliseconds per prompt in a worker thread; needs the `shield-model` extra (docs/safety.md)."""


class DocumentShieldSettings(Strict):
    """Indirect injection in documents: tool and function results, and text the client marks
    as documents with `<documents>…</documents>` (Azure's document convention)."""

    action: Action = "block"
    threshold: float | None = Field(default=None, gt=0, lt=1)


class PiiSettings(Strict):
    action: RedactingAction = "off"
    redact_with: Literal["mask", "hash"] = "mask"
    """mask: `[EMAIL]`; hash: `[EMAIL:3f1a…]`, the same value always the same token (keyed by
    `hash_salt`), so redacted prompts can still be told apart."""
    types: list[str] | None = None
    """Which kinds to look for (docs/safety-content.md lists them; an unknown name fails at
    start-up); unset: every kind but `person_name` and `street_address`, which are read from
    words rather than checked numbers and are only looked for when named."""
    input: bool = True
    output: bool = True


class BlocklistUse(Strict):
    action: RedactingAction = "block"
    lists: list[str] | Literal["*"] = "*"
    """Which lists apply: names from `safety.blocklists` or managed through the admin API;
    `*` is every list."""
    input: bool = True
    output: bool = True


class RemoteUse(Strict):
    """Remote detectors a profile calls besides the local ones (configured in `safety.remote`)."""

    azure_content_safety: bool = False
    guard_model: bool = False


class OutputSettings(Strict):
    hold_back_chars: int = Field(default=32, ge=0, le=4096)
    """Streamed text is passed on this many characters behind what has been checked, so a
    flagged phrase is cut before its start reaches the client. A stream's first token is
    delayed by at most the time it takes to generate this much text."""


class ProfileSettings(Strict):
    prompt_shield: PromptShieldSettings = PromptShieldSettings()
    document_shield: DocumentShieldSettings = DocumentShieldSettings()
    harm: HarmSettings = HarmSettings()
    pii: PiiSettings = PiiSettings()
    blocklists: BlocklistUse = BlocklistUse()
    remote: RemoteUse = RemoteUse()
    output: OutputSettings = OutputSettings()
    prompt_scope: Literal["last_user", "all_user"] = "last_user"
    """Which user messages the prompt shield and the harm categories read: the latest one (as
    Azure OpenAI does; earlier turns were checked when they were sent) or all of them."""
    annotate: bool = False
    """Add `prompt_filter_results` and `content_filter_results` to every reply, as Azure OpenAI
    does, so Azure-aware clients read the verdicts unchanged."""


OFF_PROFILE = ProfileSettings(
    prompt_shield=PromptShieldSettings(action="off"),
    document_shield=DocumentShieldSettings(action="off"),
    harm=HarmSettings(action="off"),
    pii=PiiSettings(action="off"),
    blocklists=BlocklistUse(action="off"),
)


class BlocklistSettings(Strict):
    terms: list[str] = Field(default_factory=list)
    """Exact words or phrases, matched case-insensitively on word boundaries."""
    patterns: list[str] = Field(default_factory=list)
    """Regular expressions (Python syntax)."""

    @field_validator("terms")
    @classmethod
    def _terms_not_blank(cls, terms: list[str]) -> list[str]:
        if any(not term.strip() for term in terms):
            raise ValueError("a blocklist term must not be empty")
        return terms


class SafetySettings(Strict):
    profiles: dict[str, ProfileSettings] = Field(default_factory=dict)
    """Named profiles; `default` (the safe defaults) and `off` exist unless redefined here."""
    default_profile: str = "default"
    keys: dict[str, str] = Field(default_factory=dict)
    """Key id → profile; wins over the team's and the route's."""
    teams: dict[str, str] = Field(default_factory=dict)
    """Team name → profile; wins over the route's."""
    routes: dict[str, str] = Field(default_factory=dict)
    """Model route (a key of `models`) → profile."""
    blocklists: dict[str, BlocklistSettings] = Field(default_factory=dict)
    """Lists kept in the config; more can be managed through the admin API."""
    remote: RemoteDetectorsSettings = RemoteDetectorsSettings()
    """Azure AI Content Safety and a guard model, for profiles that turn them on."""
    hash_salt: str = ""
    """Key for PII hashing (`redact_with: hash`); set a secret value so tokens cannot be
    reversed by hashing guesses."""

    def profile(self, name: str) -> ProfileSettings:
        if name in self.profiles:
            return self.profiles[name]
        if name == "off":
            return OFF_PROFILE
        return ProfileSettings()

    @model_validator(mode="after")
    def _profiles_exist(self) -> SafetySettings:
        known = set(self.profiles) | set(BUILT_IN_PROFILES)
        named = [("default_profile", self.default_profile)]
        for section in ("keys", "teams", "routes"):
            chosen: dict[str, str] = getattr(self, section)
            named += [(f"{section}.{who}", profile) for who, profile in chosen.items()]
        for where, profile in named:
            if profile not in known:
                raise ValueError(
                    f"safety.{where} names the profile '{profile}', which is not defined; "
                    f"profiles: {', '.join(sorted(known))}"
                )
        for name, settings in self.profiles.items():
            for service in ("azure_content_safety", "guard_model"):
                if getattr(settings.remote, service) and getattr(self.remote, service) is None:
                    raise ValueError(
                        f"safety.profiles.{name}.remote.{service} is on, but "
                        f"safety.remote.{service} is not configured"
                    )
            wanted = settings.blocklists.lists
            if isinstance(wanted, list):
                for listed in wanted:
                    if not listed.strip():
                        raise ValueError(f"safety.profiles.{name}.blocklists.lists: empty name")
        return self
