"""The calibrated estimate that quota admission and the simulator both count with.

Expected values follow the rule in `wire/token_count.py`: about 0.2196 tokens per character,
plus 0.7018 per digit, -0.1186 per space and 1.0781 per newline, rounded, at least 1 for
non-empty text; chats add 3 for the reply, 3 per message and every string field of a message.
"""

from sluicegate.wire.endpoints import Endpoint
from sluicegate.wire.token_count import estimate_request_tokens, estimate_tokens


def test_character_classes_weigh_differently() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("hi") == 1  # 2 x 0.2196 = 0.44, raised to the minimum of 1
    assert estimate_tokens("x" * 40) == 9  # 40 x 0.2196 = 8.78
    assert estimate_tokens("x" * 400) == 88  # 87.84
    assert estimate_tokens("2024") == 4  # 4 x (0.2196 + 0.7018) = 3.69
    assert estimate_tokens("x" * 100) == 22  # 21.96
    assert estimate_tokens("word " * 20) == 20  # 100 x 0.2196 - 20 x 0.1186 = 19.59
    assert estimate_tokens("\n" * 4) == 5  # 4 x (0.2196 + 1.0781) = 5.19


def test_chat_counts_reply_priming_every_message_and_content_parts() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "x" * 40},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "y" * 80},
                    {"type": "image_url", "image_url": {"url": "data:,", "detail": "low"}},
                ],
            },
        ]
    }
    # "system" and "user" are 1 each (6 and 4 x 0.2196); 80 letters are 17.57 -> 18; a
    # low-detail image is 85.
    assert estimate_request_tokens(body, Endpoint.CHAT) == 3 + (3 + 1 + 9) + (3 + 1 + 18 + 85)
    assert estimate_request_tokens({}, Endpoint.CHAT) == 3


def test_completion_and_embedding_inputs() -> None:
    assert estimate_request_tokens({"prompt": "z" * 8}, Endpoint.COMPLETIONS) == 2  # 1.76
    assert estimate_request_tokens({"input": ["a" * 4, "b" * 4]}, Endpoint.EMBEDDINGS) == 2
    assert estimate_request_tokens({"input": [1, 2, 3]}, Endpoint.EMBEDDINGS) == 3
    assert estimate_request_tokens({"input": [[1, 2], [3]]}, Endpoint.EMBEDDINGS) == 3
    assert estimate_request_tokens({}, Endpoint.EMBEDDINGS) == 0
