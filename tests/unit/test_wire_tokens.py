from sluicegate.wire.tokens import estimate_prompt_tokens, estimate_text_tokens


def test_about_four_characters_per_token() -> None:
    assert estimate_text_tokens("") == 0
    assert estimate_text_tokens("hi") == 1
    assert estimate_text_tokens("x" * 400) == 100


def test_chat_counts_every_message_and_content_parts() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "x" * 40},
            {"role": "user", "content": [{"type": "text", "text": "y" * 80}, {"type": "image"}]},
        ]
    }
    assert estimate_prompt_tokens(body) == 3 + (4 + 10) + (4 + 20)


def test_completion_and_embedding_inputs() -> None:
    assert estimate_prompt_tokens({"prompt": "z" * 8}) == 2
    assert estimate_prompt_tokens({"input": ["a" * 4, "b" * 4]}) == 2
    assert estimate_prompt_tokens({"input": [1, 2, 3]}) == 3
    assert estimate_prompt_tokens({"input": [[1, 2], [3]]}) == 3
    assert estimate_prompt_tokens({}) == 0
