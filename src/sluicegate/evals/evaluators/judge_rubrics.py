"""The rubrics of the LLM judge: groundedness, relevance, coherence, fluency and similarity,
each a definition and a 1–5 scale. They follow the definitions of the Azure AI / PromptFlow
quality evaluators (same qualities, same inputs, same meaning of each level), so scores are
comparable in spirit with those tools, and are written for one JSON answer with the reasoning
first, which `judge_parse` reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Field = Literal["query", "context", "ground_truth"]


@dataclass(frozen=True, slots=True)
class Rubric:
    name: str
    quality: str
    definition: str
    levels: tuple[str, str, str, str, str]
    """What scores 1, 2, 3, 4 and 5."""
    requires: frozenset[Field] = frozenset()
    """Inputs without which the rubric cannot be applied (the item is then left out)."""
    uses: frozenset[Field] = frozenset()
    """Inputs shown to the judge when the item has them."""


GROUNDEDNESS = Rubric(
    name="groundedness",
    quality="Groundedness",
    definition=(
        "Groundedness is how far the RESPONSE is supported by the CONTEXT, which is the only "
        "source of truth. A claim the CONTEXT does not state is not grounded, even when it is "
        "true in the world or a plausible inference or generalisation from the CONTEXT."
    ),
    levels=(
        "Unrelated: the response has nothing to do with the query or the context.",
        "Ungrounded: the response tries to answer but states things the context contradicts or "
        "does not support (wrong details, misreadings, or inferences beyond what it says).",
        "Nothing to ground: the response makes no claim that could be checked against the "
        "context (a clarifying question, a courtesy, a refusal).",
        "Grounded but incomplete: every major claim is supported by the context, but the "
        "response leaves out details from the context that the query needs, or adds a minor "
        "unsupported detail.",
        "Fully grounded: every claim is supported by the context and the response gives what "
        "the context offers for the query, without extraneous information.",
    ),
    requires=frozenset({"context"}),
    uses=frozenset({"query", "context"}),
)

RELEVANCE = Rubric(
    name="relevance",
    quality="Relevance",
    definition=(
        "Relevance is how well the RESPONSE addresses the QUERY: whether it answers what was "
        "asked, completely, with useful and specific information."
    ),
    levels=(
        "Irrelevant: the response is off-topic and does not attempt to address the query.",
        "Related but unhelpful: the response touches the topic but gives nothing specific or "
        "useful (vague phrases, a non-answer, an error message).",
        "Partially relevant: on-topic and partly useful, but essential parts of the query are "
        "left unanswered.",
        "Relevant: the response answers every essential part of the query accurately; only "
        "minor details may be missing.",
        "Relevant with insight: a complete, accurate answer that also adds context or "
        "explanation that helps the user understand why it matters or how to use it.",
    ),
    requires=frozenset({"query"}),
    uses=frozenset({"query"}),
)

COHERENCE = Rubric(
    name="coherence",
    quality="Coherence",
    definition=(
        "Coherence is the logical and orderly presentation of ideas: whether the sentences of "
        "the RESPONSE connect to each other and to the QUERY, so that a reader can follow its "
        "line of thought from start to end."
    ),
    levels=(
        "Incoherent: disconnected sentences or fragments with no logical relation; the "
        "response cannot be followed.",
        "Poorly coherent: some ideas relate, but the response jumps between them, contradicts "
        "itself or is hard to follow.",
        "Partially coherent: the main idea can be followed, but transitions are weak or parts "
        "are out of order.",
        "Coherent: ideas come in a logical order with clear connections; lapses are minor.",
        "Highly coherent: well organised, with smooth transitions; each part builds on the "
        "previous one and the whole answers the query as one argument.",
    ),
    uses=frozenset({"query"}),
)

FLUENCY = Rubric(
    name="fluency",
    quality="Fluency",
    definition=(
        "Fluency is the quality of the RESPONSE as written language: grammatical accuracy, "
        "range of vocabulary, sentence construction and readability. It is judged on the "
        "language alone, not on whether the content is correct."
    ),
    levels=(
        "Emergent: pervasive grammatical errors, fragments and very limited vocabulary; the "
        "text is largely incomprehensible.",
        "Basic: simple ideas come across, but errors are frequent, sentences short or "
        "malformed, phrasing repetitive or awkward.",
        "Competent: clear, with occasional errors; vocabulary adequate, sentences correct but "
        "simple and little varied.",
        "Proficient: good grammar, varied vocabulary, well-built and connected sentences; minor "
        "errors do not hinder reading.",
        "Exceptional: flawless grammar, precise and varied vocabulary and sentence structure; "
        "the text reads naturally and effortlessly.",
    ),
)

SIMILARITY = Rubric(
    name="similarity",
    quality="Similarity",
    definition=(
        "Similarity is how closely the RESPONSE conveys the same information as the GROUND "
        "TRUTH answer to the QUERY. Wording may differ freely; what counts is whether the same "
        "facts and meaning come across, and whether anything contradicts the ground truth."
    ),
    levels=(
        "Not similar: the response conveys different information or contradicts the ground truth.",
        "Mostly not similar: a few points are shared, but key facts are missing or wrong.",
        "Somewhat similar: some key information is shared, with notable omissions, additions "
        "or errors.",
        "Mostly similar: essentially the same information, with minor differences or omissions.",
        "Equivalent: the response conveys the same information as the ground truth, completely.",
    ),
    requires=frozenset({"ground_truth"}),
    uses=frozenset({"query", "ground_truth"}),
)

RUBRICS: Mapping[str, Rubric] = MappingProxyType(
    {rubric.name: rubric for rubric in (GROUNDEDNESS, RELEVANCE, COHERENCE, FLUENCY, SIMILARITY)}
)
