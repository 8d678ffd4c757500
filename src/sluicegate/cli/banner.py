"""What `serve` prints once it listens: where to point a client, ready to paste."""

from __future__ import annotations

from sluicegate.cli.first_keys import FirstKeys
from sluicegate.config.settings import CATCH_ALL, GatewayConfig

KEY_PLACEHOLDER = "YOUR-APP-KEY"


def banner(url: str, config: GatewayConfig, first_keys: FirstKeys | None) -> str:
    models = [name for name in config.models if name != CATCH_ALL]
    model = models[0] if models else "your-model"
    lines = [f"sluicegate is listening on {url}", ""]
    lines += _routes(config)
    lines += ["", *_access(config, first_keys)]
    if not config.auth.enabled:
        key = "unused"
    elif first_keys is not None:
        key = first_keys.app
    else:
        key = KEY_PLACEHOLDER
    body = '{"model": "' + model + '", "messages": [{"role": "user", "content": "Say hello"}]}'
    curl = [f"  curl -s {url}/v1/chat/completions -H 'Content-Type: application/json' \\"]
    if config.auth.enabled:
        curl.append(f"    -H 'Authorization: Bearer {key}' \\")
    lines += [
        "",
        "Try it with curl:",
        *curl,
        f"    -d '{body}'",
        "",
        "Or with the openai SDK (pip install openai):",
        "  from openai import OpenAI",
        f'  client = OpenAI(base_url="{url}/v1", api_key="{key}")',
        "  reply = client.chat.completions.create(",
        f'      model="{model}", messages=[{{"role": "user", "content": "Say hello"}}])',
        "  print(reply.choices[0].message.content)",
        "",
        "Press Ctrl+C to stop.",
    ]
    return "\n".join(lines)


def _routes(config: GatewayConfig) -> list[str]:
    lines = []
    by_name = {backend.name: backend for backend in config.backends}
    for name, route in config.models.items():
        described = []
        for member in config.pools[route.pool].members:
            backend = by_name[member.backend]
            priority = member.priority or backend.priority
            described.append(f"{backend.name} ({backend.kind}, priority {priority})")
        lines.append(f"  model {name!r} -> " + ", then ".join(described))
    return lines


def _access(config: GatewayConfig, first_keys: FirstKeys | None) -> list[str]:
    if not config.auth.enabled:
        return ["Authentication is OFF (--no-auth): anyone who can reach this port may call it."]
    if first_keys is not None:
        return [
            "First start: two keys were created. They are shown only now (only their hashes",
            "are stored), so keep them somewhere safe:",
            f"  admin key: {first_keys.admin}",
            f"  app key:   {first_keys.app}",
            "Send a key as 'Authorization: Bearer <key>' (OpenAI clients) or 'api-key: <key>'"
            " (Azure clients).",
        ]
    return [
        "Every call needs a key ('Authorization: Bearer <key>' or 'api-key: <key>'): use the",
        f"app key shown on the first start in place of {KEY_PLACEHOLDER} below.",
    ]
