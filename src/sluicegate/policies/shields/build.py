"""Building the safety policy from settings, once, at start-up.

Detectors that carry data (the classifiers' weights, the lexicons, compiled patterns) are
built once and shared by every profile that uses them; profiles that differ only in a
threshold share the model (the prompt and document shields each have their own).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from sluicegate.config.safety import ProfileSettings, SafetySettings
from sluicegate.policies.shields.blocklists import BlocklistCatalog
from sluicegate.policies.shields.inspect import Redactor
from sluicegate.policies.shields.policy import ProfileChooser, SafetyPolicy
from sluicegate.policies.shields.profile import Detector, DetectorSet, Profile
from sluicegate.policies.shields.remote import RemoteChecks
from sluicegate.safety.content import ContentSafety
from sluicegate.safety.document_shield import DocumentShield
from sluicegate.safety.pii import PiiDetector
from sluicegate.safety.prompt_shield import PromptShield
from sluicegate.safety.redact import redact_spans
from sluicegate.safety.transformer_model import (
    TransformerMissing,
    TransformerModel,
    load_transformer,
)
from sluicegate.safety.transformer_shield import TransformerPromptShield
from sluicegate.safety.verdict import Span


class DetectorFactory:
    """Makes each distinct detector once."""

    def __init__(self, catalog: BlocklistCatalog) -> None:
        self._catalog = catalog
        self._prompt: dict[float | None, PromptShield] = {}
        self._transformer_shields: dict[float | None, TransformerPromptShield] = {}
        self._transformer: TransformerModel | None = None
        self._document: dict[float | None, DocumentShield] = {}
        self._harm: ContentSafety | None = None
        self._pii: dict[tuple[str, ...] | None, PiiDetector] = {}

    def detectors(self, settings: ProfileSettings) -> DetectorSet:
        prompt_on = settings.prompt_shield.action != "off"
        return DetectorSet(
            prompt_shield=self._prompt_shield(
                settings.prompt_shield.threshold, settings.prompt_shield.model
            )
            if prompt_on
            else None,
            document_shield=self._document_shield(settings.document_shield.threshold)
            if settings.document_shield.action != "off"
            else None,
            harm=self._content() if settings.harm.action != "off" else None,
            pii=self._pii_detector(settings.pii.types) if settings.pii.action != "off" else None,
            blocklists=self._blocklists(settings.blocklists.lists)
            if settings.blocklists.action != "off"
            else None,
            threaded=prompt_on and settings.prompt_shield.model == "transformer",
        )

    def _prompt_shield(self, threshold: float | None, kind: str = "linear") -> Detector:
        if kind == "transformer":
            return self._transformer_shield(threshold)
        shield = self._prompt.get(threshold)
        if shield is None:
            base = self._prompt.get(None)
            model = base.model if base is not None else None
            shield = self._prompt[threshold] = PromptShield(threshold, model=model)
        return shield

    def _transformer_shield(self, threshold: float | None) -> Detector:
        shield = self._transformer_shields.get(threshold)
        if shield is None:
            if self._transformer is None:
                try:
                    self._transformer = load_transformer()
                except TransformerMissing as missing:
                    raise ValueError(str(missing)) from None
            shield = TransformerPromptShield(threshold, model=self._transformer)
            self._transformer_shields[threshold] = shield
        return shield

    def _document_shield(self, threshold: float | None) -> Detector:
        shield = self._document.get(threshold)
        if shield is None:
            shared = next(iter(self._document.values()), None)
            model = shared.model if shared is not None else None
            shield = self._document[threshold] = DocumentShield(threshold, model=model)
        return shield

    def _content(self) -> Detector:
        if self._harm is None:
            self._harm = ContentSafety()
        return self._harm

    def _pii_detector(self, types: Sequence[str] | None) -> Detector:
        key = None if types is None else tuple(sorted(set(types)))
        detector = self._pii.get(key)
        if detector is None:
            detector = self._pii[key] = PiiDetector(key)
        return detector

    def _blocklists(self, lists: Sequence[str] | str) -> Detector:
        return self._catalog.detector(None if isinstance(lists, str) else lists)


def build_safety_policy(
    settings: SafetySettings,
    catalog: BlocklistCatalog,
    remote: RemoteChecks | None = None,
) -> SafetyPolicy:
    """The policy with every profile compiled. Raises ValueError (naming the profile) for a
    setting the detectors refuse, such as an unknown PII type."""
    factory = DetectorFactory(catalog)
    compiled: dict[str, Profile] = {}

    def profile(name: str) -> Profile:
        if name not in compiled:
            chosen = settings.profile(name)
            try:
                compiled[name] = Profile(name, chosen, factory.detectors(chosen))
            except ValueError as error:
                raise ValueError(f"safety profile '{name}': {error}") from None
        return compiled[name]

    for name in settings.profiles:
        profile(name)
    chooser = ProfileChooser(
        profile(settings.default_profile),
        keys={who: profile(name) for who, name in settings.keys.items()},
        teams={who: profile(name) for who, name in settings.teams.items()},
        routes={who: profile(name) for who, name in settings.routes.items()},
    )
    salt = settings.hash_salt.encode()
    redactors: dict[str, Redactor] = {
        "mask": partial(_redact, mode="mask", salt=salt),
        "hash": partial(_redact, mode="hash", salt=salt),
    }
    return SafetyPolicy(chooser, redactors, remote)


def _redact(text: str, spans: Sequence[Span], *, mode: str, salt: bytes) -> str:
    return redact_spans(text, spans, "hash" if mode == "hash" else "mask", salt=salt)
