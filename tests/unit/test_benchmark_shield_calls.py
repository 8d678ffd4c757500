"""The instruction-count driver: it calls the shield it is asked for, with the model it is given."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks import shield_calls

from sluicegate.safety.classifier import MODEL_PATH, LinearModel, load_model
from sluicegate.safety.document_shield import DocumentShield
from sluicegate.safety.prompt_shield import PromptShield
from sluicegate.safety.verdict import Verdict


@pytest.mark.parametrize("shield", ["prompt", "document"])
def test_each_shield_is_called_warm_then_the_asked_number_of_times(
    shield: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    chosen: type[PromptShield | DocumentShield] = (
        PromptShield if shield == "prompt" else DocumentShield
    )
    original = chosen.__call__

    def counted(self: PromptShield | DocumentShield, text: str) -> Verdict:
        calls.append(len(text))
        return original(self, text)  # type: ignore[arg-type]

    monkeypatch.setattr(chosen, "__call__", counted)
    shield_calls.main(["--text", "prose", "--calls", "2", "--shield", shield])
    assert len(calls) == 3
    assert min(calls) > 4_000  # the 1k-token text


def test_another_model_file_is_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[Path] = []

    def load(path: Path | None = None) -> LinearModel:
        loaded.append(path or MODEL_PATH)
        return load_model(path)

    monkeypatch.setattr("benchmarks.shield_calls.load_model", load)
    copy = tmp_path / "model.json.gz"
    copy.write_bytes(MODEL_PATH.read_bytes())
    shield_calls.main(["--calls", "0", "--model", str(copy)])
    assert loaded == [copy]
