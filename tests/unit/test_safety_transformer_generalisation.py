"""The helpers of the transformer tier's "attack styles it never saw" runs: what each retraining
keeps, and how its section lands in the report. Nothing here trains."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.local_model import require_shield_model
from training.prompt_shield_data import (
    BACKGROUND,
    EVERYDAY,
    NEURALCHEMY,
    SLABS,
    Corpora,
    Example,
)
from training.prompt_shield_eval import HELD_OUT_GROUPS
from training.prompt_shield_transformer import REPORT_PATH, TrainConfig
from training.prompt_shield_transformer_generalisation import (
    COMMAND,
    NOT_RERUN,
    SECTION,
    Measured,
    Retrained,
    from_source,
    generalisation,
    linear_rows,
    main,
    measured,
    not_rerun,
    replace_section,
    rerun_command,
    restricted,
    with_linear_cells,
    with_linear_section,
    without_categories,
)

from sluicegate.safety.transformer_model import MODEL_PATH, load_transformer


def _corpora() -> Corpora:
    def split(name: str) -> tuple[Example, ...]:
        return (
            Example(f"{name} s-labs attack", 1, SLABS),
            Example(f"{name} s-labs benign", 0, SLABS),
            Example(f"{name} jailbreak", 1, NEURALCHEMY, "jailbreak"),
            Example(f"{name} encoding", 1, NEURALCHEMY, "encoding"),
            Example(f"{name} neuralchemy benign", 0, NEURALCHEMY, "benign"),
        )

    return Corpora(
        train=split("train"),
        validation=split("validation"),
        test=split("test"),
        multilingual=(Example("ignorez", 1, "yanismiraoui"),),
        background=(Example("docs", 0, BACKGROUND),),
        background_validation=(Example("more docs", 0, BACKGROUND),),
        everyday=(Example("hi", 0, EVERYDAY),),
        everyday_validation=(Example("thanks", 0, EVERYDAY),),
    )


def test_one_source_keeps_its_train_and_validation_and_all_the_benign_extras() -> None:
    corpora = _corpora()
    only = restricted(corpora, from_source(SLABS))
    assert {e.source for e in (*only.train, *only.validation)} == {SLABS}
    assert len(only.train) == len(only.validation) == 2
    assert only.test == corpora.test  # both sources are measured
    assert only.background == corpora.background
    assert only.everyday == corpora.everyday
    assert only.everyday_validation == corpora.everyday_validation
    assert only.background_validation == corpora.background_validation
    assert only.training == (*only.train, *corpora.background, *corpora.everyday)


def test_a_held_out_group_leaves_only_its_neuralchemy_categories_out() -> None:
    kept = restricted(_corpora(), without_categories(frozenset({"jailbreak"})))
    texts = {e.text for e in kept.train}
    assert texts == {
        "train s-labs attack",
        "train s-labs benign",
        "train encoding",
        "train neuralchemy benign",
    }
    assert "validation jailbreak" not in {e.text for e in kept.validation}


REPORT = """\
# Report

## What it costs

Fast.

## Not measured here

Attack styles, later.
"""


def test_the_section_replaces_the_note_that_stood_in_its_place_then_itself() -> None:
    first = replace_section(REPORT, f"{SECTION}\n\nrun one\n")
    assert "Not measured here" not in first
    assert first.endswith(f"Fast.\n\n{SECTION}\n\nrun one\n")
    again = replace_section(first, f"{SECTION}\n\nrun two\n")
    assert "run one" not in again
    assert again == first.replace("run one", "run two")


def test_a_report_without_retrainings_carries_the_previous_figures_marked_as_old() -> None:
    previous = f"# Report\n\n{SECTION}\n\n| a | b |\n\n### Groups\n\nrow\n\n## Later\n\nx\n"
    stand_in = not_rerun(previous)
    assert stand_in.startswith("## Not measured here\n\nAttack styles it never saw: not measured")
    assert "model this one replaced" in stand_in
    assert stand_in.endswith("\n| a | b |\n\n#### Groups\n\nrow\n")
    assert "Later" not in stand_in
    # a second run without retrainings carries the same figures, not a note about a note
    report = replace_section(previous, stand_in)
    assert not_rerun(report) == stand_in
    assert replace_section(report, not_rerun(report)) == report


def test_a_report_again_on_the_same_weights_keeps_its_measured_section_as_it_stands() -> None:
    previous = f"# Report\n\n{SECTION}\n\n| a | b |\n\n### Groups\n\nrow\n\n## Later\n\nx\n"
    kept = not_rerun(previous, same_weights=True)
    assert kept == f"{SECTION}\n\n| a | b |\n\n### Groups\n\nrow\n"
    assert replace_section(previous, kept) == previous
    # a stand-in stays a stand-in: its figures are still another model's
    stand_in = replace_section(previous, not_rerun(previous))
    assert not_rerun(stand_in, same_weights=True) == not_rerun(previous)


def test_a_report_without_retrainings_or_previous_figures_only_says_so() -> None:
    assert not_rerun("# Report\n") == NOT_RERUN.format(command=COMMAND)
    assert not_rerun(REPORT) == NOT_RERUN.format(command=COMMAND)


def test_a_section_in_the_middle_keeps_what_follows() -> None:
    text = f"# Report\n\n{SECTION}\n\nold\n\n## Later\n\nkept\n"
    assert replace_section(text, f"{SECTION}\n\nnew") == (
        f"# Report\n\n{SECTION}\n\nnew\n\n## Later\n\nkept\n"
    )


def test_a_report_without_the_section_gets_it_appended() -> None:
    assert replace_section("# Report\n\nbody\n", SECTION) == f"# Report\n\nbody\n\n{SECTION}\n"


def test_the_linear_tiers_figures_are_read_from_its_report(tmp_path: Path) -> None:
    report = tmp_path / "linear.md"
    report.write_text(
        "## Generalisation to unseen attack styles\n\n"
        "| trained on | tuned on | tested on | attacks detected | benign flagged |\n"
        "|---|---|---|---:|---:|\n"
        "| s-labs | s-labs validation | neuralchemy test | 23.2% (128/552) | 0.26% (1/390) |\n\n"
        "| held-out group | categories | test attacks | detected when held out "
        "| detected by the shipped model | benign flagged when held out |\n"
        "|---|---|---:|---:|---:|---:|\n"
        "| adversarial | adversarial | 79 | 50.6% (40/79) | 94.9% (75/79) | 0.0% (0/390) |\n\n"
        "## Latency\n\n| s-labs | s-labs validation | x | 1 | 2 |\n",
        encoding="utf-8",
    )
    assert linear_rows(report) == {
        "s-labs | s-labs validation | neuralchemy test": ("23.2% (128/552)", "0.26% (1/390)"),
        "adversarial": ("79", "50.6% (40/79)", "94.9% (75/79)", "0.0% (0/390)"),
    }
    assert linear_rows(tmp_path / "missing.md") == {}


def test_the_shipped_model_is_measured_by_the_plain_command() -> None:
    assert rerun_command(TrainConfig()) == COMMAND
    assert rerun_command(TrainConfig(), model=MODEL_PATH, report=REPORT_PATH) == COMMAND


def test_a_candidate_is_measured_with_its_training_flags_model_and_report() -> None:
    command = rerun_command(
        TrainConfig(telegraphic=True, padded=True, addressed=True, corrected_labels=True),
        model=Path("/tmp/candidate.safetensors"),
        report=Path("/tmp/candidate.md"),
    )
    assert command == (
        f"{COMMAND} --telegraphic --padded --addressed --corrected-labels "
        "--model /tmp/candidate.safetensors --report /tmp/candidate.md"
    )
    stand_in = not_rerun("# Report\n", command=command)
    assert stand_in == NOT_RERUN.format(command=command)
    assert "--corrected-labels --model /tmp/candidate.safetensors" in stand_in


ADVERSARIAL = "| adversarial | adversarial | 79 | 50.6% (40/79) | 94.9% | 0.0% | 40% |"
MEASURED = f"""\
# Report

{SECTION}

Written by `{COMMAND}`.

| trained on | tuned on | tested on | attacks detected | benign flagged | linear | linear |
|---|---|---|---:|---:|---:|---:|
| s-labs | s-labs validation | neuralchemy test | 46.2% (255/552) | 1.3% (5/390) | 29% | 1% |
| neuralchemy | neuralchemy validation | s-labs test | 60% (628/1051) | 0.19% (2/1050) | 37% | 0% |

| held-out group | categories | test attacks | detected when held out | x | y | z |
|---|---|---:|---:|---:|---:|---:|
| adversarial | adversarial | 79 | 50.6% (40/79) | 94.9% | 0.0% | 40% |

Training time per run on this machine (x86_64, CPython 3.11.7, 2 threads): s-labs 2127 s \
(threshold 0.6666); neuralchemy 1252 s (threshold 0.8388); without adversarial 1300 s \
(threshold 0.9). All runs, with tuning and measuring: 3504 s.

## Later

| s-labs | s-labs validation | not | this | one |
"""


def test_a_groups_only_run_keeps_the_measured_cross_source_rows_and_their_timings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import training.prompt_shield_transformer_generalisation as module

    monkeypatch.setattr(module, "linear_rows", dict)  # no linear report to read
    carried = measured(MEASURED)
    assert carried == Measured(
        rows=(
            "| s-labs | s-labs validation | neuralchemy test | 46.2% (255/552) | 1.3% (5/390) "
            "| 29% | 1% |",
            "| neuralchemy | neuralchemy validation | s-labs test | 60% (628/1051) "
            "| 0.19% (2/1050) | 37% | 0% |",
        ),
        timings=("s-labs 2127 s (threshold 0.6666)", "neuralchemy 1252 s (threshold 0.8388)"),
        groups={"adversarial": ADVERSARIAL},
        group_timings={"adversarial": "without adversarial 1300 s (threshold 0.9)"},
    )
    section = generalisation(_corpora(), carried=carried)
    assert section.startswith(f"{SECTION}\n\nWritten by `{COMMAND} --groups-only`, beside")
    assert all(row in section for row in carried.rows)
    assert ADVERSARIAL in section
    assert (
        "s-labs 2127 s (threshold 0.6666); neuralchemy 1252 s (threshold 0.8388); "
        "without adversarial 1300 s (threshold 0.9). The groups run last, with tuning"
    ) in section
    # the section it writes is read back the same way, for the next groups-only run
    assert measured(replace_section(MEASURED, section)) == carried


def test_a_stand_in_or_a_report_without_cross_source_rows_has_nothing_to_keep() -> None:
    assert measured(REPORT) is None
    assert measured("# Report\n") is None
    stand_in = replace_section(MEASURED, not_rerun(MEASURED))
    assert measured(stand_in) is None
    without_rows = f"# Report\n\n{SECTION}\n\n| adversarial | adversarial | 79 |\n"
    assert measured(without_rows) is None


LINEAR = {
    "s-labs | s-labs validation | neuralchemy test": ("30.1% (166/552)", "0.51% (2/390)"),
    "adversarial": ("79", "55.7% (44/79)", "94.9% (75/79)", "0.0% (0/390)"),
}


def test_the_linear_cells_follow_the_linear_report_and_nothing_else_moves() -> None:
    refreshed = with_linear_section(MEASURED, LINEAR)
    assert (
        "| s-labs | s-labs validation | neuralchemy test | 46.2% (255/552) | 1.3% (5/390) "
        "| 30.1% (166/552) | 0.51% (2/390) |"
    ) in refreshed
    assert "| adversarial | adversarial | 79 | 50.6% (40/79) | 94.9% | 0.0% | 55.7% (44/79) |" in (
        refreshed
    )
    # a row the linear report does not have, and everything outside the section, stay
    assert "| 60% (628/1051) | 0.19% (2/1050) | 37% | 0% |" in refreshed
    assert refreshed.endswith("## Later\n\n| s-labs | s-labs validation | not | this | one |\n")
    assert with_linear_section(refreshed, LINEAR) == refreshed
    assert len(refreshed.splitlines()) == len(MEASURED.splitlines())


def test_rows_of_another_shape_and_stand_ins_are_left_alone() -> None:
    assert with_linear_cells("| a | b |", LINEAR) == "| a | b |"
    header = "| trained on | tuned on | tested on | detected | flagged | linear | linear |"
    assert with_linear_cells(header, LINEAR) == header
    stand_in = replace_section(MEASURED, not_rerun(MEASURED))
    assert with_linear_section(stand_in, LINEAR) == stand_in
    assert with_linear_section(REPORT, LINEAR) == REPORT


def test_a_groups_only_run_refreshes_the_carried_rows_linear_cells(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import training.prompt_shield_transformer_generalisation as module

    monkeypatch.setattr(module, "linear_rows", lambda: LINEAR)
    carried = measured(MEASURED)
    assert carried is not None
    section = generalisation(_corpora(), carried=carried)
    assert "| 1.3% (5/390) | 30.1% (166/552) | 0.51% (2/390) |" in section


def test_a_groups_only_run_retrains_the_groups_asked_and_keeps_the_other_measured_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_shield_model()
    import training.prompt_shield_transformer_generalisation as module

    shipped = load_transformer()
    held_out: list[set[str]] = []

    def retrained(corpora: Corpora, config: TrainConfig, log: object) -> Retrained:
        # the training itself is measured by the real runs; here the shipped weights stand in
        held_out.append({e.category for e in corpora.train if e.source == NEURALCHEMY})
        return Retrained(shipped, trained_seconds=12.0, seconds=13.0)

    monkeypatch.setattr(module, "linear_rows", dict)
    monkeypatch.setattr(module, "retrained", retrained)
    carried = measured(MEASURED)
    assert carried is not None
    section = generalisation(
        _corpora(),
        held_out_groups=True,
        carried=carried,
        groups=["jailbreak / persona"],
        shipped=shipped,
    )
    assert held_out == [{"encoding", "benign"}]  # one retraining, without the jailbreak group
    rows = [line for line in section.splitlines() if line.startswith(("| jailbreak", "| adv"))]
    assert rows[0].startswith("| jailbreak / persona | jailbreak, persona_replacement | 1 | ")
    assert rows[1:] == [ADVERSARIAL]  # kept, after the new row as HELD_OUT_GROUPS orders them
    assert (
        "neuralchemy 1252 s (threshold 0.8388); without jailbreak / persona 12 s (threshold "
    ) in section
    assert "; without adversarial 1300 s (threshold 0.9). The groups run last" in section
    assert "training (encodings / smuggling, extraction, indirect / agents), one retraining" in (
        section
    )


def _run_groups_only(monkeypatch: pytest.MonkeyPatch, report: Path, *args: str) -> list[str] | None:
    """main() with `args`, as far as which groups it hands to the retraining."""
    import training.prompt_shield_transformer_generalisation as module

    asked: list[list[str] | None] = []

    def section(corpora: Corpora, **kwargs: object) -> str:
        asked.append(kwargs["groups"])  # type: ignore[arg-type]
        return f"{SECTION}\n\nnew\n"

    monkeypatch.setattr(module, "load_corpora", lambda corrected_labels: _corpora())
    monkeypatch.setattr(module, "load_transformer", lambda path: None)
    monkeypatch.setattr(module, "generalisation", section)
    main(["--groups-only", "--report", str(report), *args])
    assert f"{SECTION}\n\nnew\n" in report.read_text(encoding="utf-8")
    return asked[0]


def test_groups_only_runs_the_groups_not_measured_yet_or_those_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "report.md"
    report.write_text(MEASURED, encoding="utf-8")
    assert _run_groups_only(monkeypatch, report) == [
        g for g in HELD_OUT_GROUPS if g != "adversarial"
    ]
    report.write_text(MEASURED, encoding="utf-8")
    assert _run_groups_only(monkeypatch, report, "--group", "adversarial") == ["adversarial"]


def _refused_groups_only(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> str:
    """What `--groups-only` says when it refuses a report holding `text`, which it leaves."""
    report = tmp_path / "report.md"
    report.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["--groups-only", "--report", str(report)])
    assert report.read_text(encoding="utf-8") == text
    return capsys.readouterr().err


def test_groups_only_with_every_group_measured_asks_which_to_run_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    every = "\n".join(f"| {group} | c | 1 | 0% | 0% | 0% | 0% |" for group in HELD_OUT_GROUPS)
    error = _refused_groups_only(tmp_path, capsys, MEASURED.replace(ADVERSARIAL, every))
    assert "every held-out group measured; name one with --group" in error


def test_groups_only_refuses_a_report_with_nothing_to_keep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    error = _refused_groups_only(tmp_path, capsys, REPORT)
    assert "has no measured cross-source rows to keep" in error


def test_linear_only_rewrites_the_linear_cells_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import training.prompt_shield_transformer_generalisation as module

    monkeypatch.setattr(module, "linear_rows", lambda: LINEAR)
    report = tmp_path / "report.md"
    report.write_text(MEASURED, encoding="utf-8")
    main(["--linear-only", "--report", str(report)])
    assert report.read_text(encoding="utf-8") == with_linear_section(MEASURED, LINEAR)
    assert not list(tmp_path.glob(".*.tmp"))
