"""What `serve` prints once it listens: where to point a client, ready to paste."""

from __future__ import annotations

from sluicegate.config.settings import CATCH_ALL, GatewayConfig


def banner(url: str, config: GatewayConfig) -> str:
    models = [name for name in config.models if name != CATCH_ALL]
    model = models[0] if models else "your-model"
    lines = [f"sluicegate is listening on {url}", ""]
    by_name = {backend.name: backend for backend in config.backends}
    for name, route in config.models.items():
        members = config.pools[route.pool].members
        described = []
        for member in members:
            backend = by_name[member.backend]
            priority = member.priority or backend.priority
            described.append(f"{backend.name} ({backend.kind}, priority {priority})")
        lines.append(f"  model {name!r} -> " + ", then ".join(described))
    body = '{"model": "' + model + '", "messages": [{"role": "user", "content": "Say hello"}]}'
    lines += [
        "",
        "Try it with curl:",
        f"  curl -s {url}/v1/chat/completions -H 'Content-Type: application/json' \\",
        f"    -d '{body}'",
        "",
        "Or with the openai SDK (pip install openai):",
        "  from openai import OpenAI",
        f'  client = OpenAI(base_url="{url}/v1", api_key="unused")',
        "  reply = client.chat.completions.create(",
        f'      model="{model}", messages=[{{"role": "user", "content": "Say hello"}}])',
        "  print(reply.choices[0].message.content)",
        "",
        "Press Ctrl+C to stop.",
    ]
    return "\n".join(lines)
