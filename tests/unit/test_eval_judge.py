"""The LLM judge: prompts carry the rubric and the item's inputs, answers are read robustly,
and a malformed answer is a Score without a value, never an exception."""

from __future__ import annotations

import pytest

from sluicegate.evals.evaluator import EvalItem
from sluicegate.evals.evaluators.judge import (
    CONTEXT_KEYS,
    QUERY_KEYS,
    LlmJudge,
    find_input,
    judge_messages,
)
from sluicegate.evals.evaluators.judge_parse import parse_judgement
from sluicegate.evals.evaluators.judge_rubrics import RUBRICS


class FakeJudge:
    """Answers every call with the next canned reply and keeps the messages it got."""

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.calls: list[list[dict[str, str]]] = []

    async def __call__(self, messages: list[dict[str, str]]) -> str:
        self.calls.append(messages)
        return self.replies.pop(0)


RAG_ITEM = EvalItem(
    id="1",
    inputs={"question": "When does the festival start?"},
    expected="On June 5th.",
    metadata={"context": ["The festival starts on June 5th.", "It features musicians."]},
)


@pytest.mark.parametrize(
    ("reply", "score", "reasoning"),
    [
        (
            '{"reasoning": "All claims are in the context.", "score": 5}',
            5,
            "All claims are in the context.",
        ),
        ('```json\n{"explanation": "Vague.", "score": "2"}\n```', 2, "Vague."),
        ('{"Reasoning": "Upper-case keys.", "Score": 3}', 3, "Upper-case keys."),
        (
            'Sure! Here is my rating: {"score": 4.0, "rationale": "Mostly."} Hope it helps.',
            4,
            "Mostly.",
        ),
        (
            "<S0>Let's think step by step: fine.</S0><S1>Clear.</S1><S2>3</S2>",
            3,
            "Let's think step by step: fine.\nClear.",
        ),
        (
            "The answer is clear and on topic.\nScore: 4/5",
            4,
            "The answer is clear and on topic.\nScore: 4/5",
        ),
        ("**Rating = 1**", 1, "**Rating = 1**"),
        (" 5\n", 5, None),
    ],
)
def test_good_answers_are_read(reply: str, score: int, reasoning: str | None) -> None:
    judgement = parse_judgement(reply)
    assert (judgement.score, judgement.reasoning, judgement.error) == (score, reasoning, None)


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ('{"reasoning": "Great.", "score": 7}', "outside 1–5"),
        ('{"reasoning": "Between.", "score": 3.5}', "not a whole number"),
        ('{"score": "high"}', "not a number"),
        ('{"score": true}', "not a number"),
        ('{"score": 1e999}', "not a whole number"),
        ("<S1>Fine.</S1><S2>five</S2>", "not a number"),
        ("I cannot rate this response.", "no score in the answer"),
        ("", "no score in the answer"),
        ("Score: 0", "outside 1–5"),
    ],
)
def test_malformed_answers_give_no_score_and_say_why(reply: str, error: str) -> None:
    judgement = parse_judgement(reply)
    assert judgement.score is None
    assert error in (judgement.error or "")


def test_long_unreadable_answer_is_quoted_short() -> None:
    judgement = parse_judgement("blah " * 200)
    assert judgement.score is None
    assert len(judgement.error or "") < 260
    assert (judgement.error or "").endswith("…'")


async def test_judge_prompt_carries_rubric_inputs_and_answer() -> None:
    fake = FakeJudge('{"reasoning": "Supported by the context.", "score": 5}')
    judge = LlmJudge(RUBRICS["groundedness"], fake)
    score = await judge.evaluate(RAG_ITEM, "It starts on June 5th.")
    assert (score.metric, score.value, score.reason) == (
        "judge:groundedness",
        5.0,
        "Supported by the context.",
    )
    assert judge.kind == "score"
    system, user = fake.calls[0]
    assert system["role"] == "system"
    assert user["role"] == "user"
    content = user["content"]
    assert "Groundedness is how far the RESPONSE is supported by the CONTEXT" in content
    assert "QUERY:\nWhen does the festival start?" in content
    assert "CONTEXT:\nThe festival starts on June 5th.\n\nIt features musicians." in content
    assert "RESPONSE:\nIt starts on June 5th.\n</data>" in content
    assert "GROUND TRUTH" not in content  # groundedness does not use it
    for level in range(1, 6):
        assert f"\n{level}: " in content


async def test_malformed_judge_answer_is_a_score_without_value() -> None:
    judge = LlmJudge(RUBRICS["fluency"], FakeJudge("I'd say it's pretty good."))
    score = await judge.evaluate(RAG_ITEM, "Fine text.")
    assert score.value is None
    assert (score.reason or "").startswith("malformed judge answer: no score in the answer")


async def test_rubric_without_its_required_input_is_not_applied() -> None:
    fake = FakeJudge()
    no_context = EvalItem(id="2", inputs={"question": "Why?"})
    score = await LlmJudge(RUBRICS["groundedness"], fake).evaluate(no_context, "Because.")
    assert score.value is None
    assert "needs the item's context" in (score.reason or "")
    score = await LlmJudge(RUBRICS["similarity"], fake).evaluate(no_context, "Because.")
    assert score.value is None
    assert "ground_truth" in (score.reason or "")
    assert fake.calls == []  # the judge model was never called


async def test_similarity_shows_the_ground_truth_and_fluency_only_the_answer() -> None:
    fake = FakeJudge('{"reasoning": "Same.", "score": 5}', '{"reasoning": "Good.", "score": 4}')
    await LlmJudge(RUBRICS["similarity"], fake).evaluate(RAG_ITEM, "June 5th.")
    await LlmJudge(RUBRICS["fluency"], fake, name="fluent").evaluate(RAG_ITEM, "June 5th.")
    similarity, fluency = (call[1]["content"] for call in fake.calls)
    assert "GROUND TRUTH:\nOn June 5th." in similarity
    assert "CONTEXT" not in similarity.split("# Data")[1]
    data = fluency.split("<data>")[1]
    assert "QUERY" not in data
    assert "GROUND TRUTH" not in data
    assert "RESPONSE:\nJune 5th." in data


def test_every_rubric_has_five_levels_and_a_prompt() -> None:
    assert set(RUBRICS) == {"groundedness", "relevance", "coherence", "fluency", "similarity"}
    for rubric in RUBRICS.values():
        assert len(rubric.levels) == 5
        assert rubric.requires <= rubric.uses
        messages = judge_messages(rubric, {"query": "q", "context": "c", "ground_truth": "g"}, "a")
        assert '"score"' in messages[1]["content"]


def test_query_and_context_are_found_in_metadata_before_inputs() -> None:
    both = EvalItem(
        id="3",
        inputs={"question": "from inputs", "documents": {"a": 1}},
        metadata={"query": "from metadata"},
    )
    assert find_input(both, QUERY_KEYS) == "from metadata"
    assert find_input(both, CONTEXT_KEYS) == '{"a": 1}'
    assert find_input(EvalItem(id="4", inputs={"question": ""}), QUERY_KEYS) is None
