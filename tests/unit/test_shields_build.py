"""Building the detectors once at start-up: the prompt and document shields each read their own
model file, and profiles that differ in a threshold share the loaded model."""

from __future__ import annotations

from sluicegate.config.safety import SafetySettings
from sluicegate.policies.shields.blocklists import BlocklistCatalog
from sluicegate.policies.shields.build import DetectorFactory
from sluicegate.safety.classifier import DOCUMENT_MODEL_PATH, MODEL_PATH, load_model
from sluicegate.safety.document_shield import DocumentShield
from sluicegate.safety.prompt_shield import PromptShield


def test_each_shield_has_its_own_model_shared_across_thresholds() -> None:
    factory = DetectorFactory(BlocklistCatalog({}, None))
    settings = SafetySettings.model_validate(
        {
            "profiles": {
                "a": {},
                "b": {"prompt_shield": {"threshold": 0.99}, "document_shield": {"threshold": 0.99}},
            }
        }
    )
    a = factory.detectors(settings.profile("a"))
    b = factory.detectors(settings.profile("b"))
    prompts = [a.prompt_shield, b.prompt_shield]
    documents = [a.document_shield, b.document_shield]
    assert all(isinstance(p, PromptShield) for p in prompts)
    assert all(isinstance(d, DocumentShield) for d in documents)
    prompt_a, prompt_b = (p for p in prompts if isinstance(p, PromptShield))
    document_a, document_b = (d for d in documents if isinstance(d, DocumentShield))
    assert prompt_a.model is prompt_b.model
    assert document_a.model is document_b.model
    assert prompt_a.model == load_model(MODEL_PATH)
    assert document_a.model == load_model(DOCUMENT_MODEL_PATH)
    assert prompt_a.model != document_a.model
    assert (prompt_b.threshold, document_b.threshold) == (0.99, 0.99)
    assert document_a.model is not None
    assert document_a.threshold == document_a.model.document_threshold


def test_the_shields_read_their_own_files_by_default() -> None:
    assert PromptShield().model == load_model(MODEL_PATH)
    assert DocumentShield().model == load_model(DOCUMENT_MODEL_PATH)
    assert load_model(MODEL_PATH).metadata["role"] == "prompt"
    assert load_model(DOCUMENT_MODEL_PATH).metadata["role"] == "document"
