"""High-precision patterns for prompt injection, over normalised (casefolded) text.

Precision comes first: the classifier covers recall, so a rule exists only for phrasings that
benign prompts do not use. Every rule has zero hits on the benign train and validation prompts of
both training corpora (the tests check it).

Patterns are written with a plain space between words; a space stands for a short gap of
non-word characters (`[\\W_]{1,4}`), so `ignore all previous` also matches `ignore_all -
previous`. Each rule names `triggers`: words one of which every match contains. A rule's regex
runs only when a trigger is among the text's tokens, which keeps the cost of a dozen rules on a
benign page close to one set intersection each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["DIRECT_RULES", "INDIRECT_RULES", "Rule", "matches"]

_GAP = r"[\W_]{1,4}"
REACH = 256
"""Characters a match may extend before or after a trigger word (the longest rule is shorter)."""
_WORD_END = re.compile(r"\W")
MAX_REGIONS = 16
"""More trigger occurrences than this and one scan of the whole text is cheaper."""
MAX_MATCHES = 16
MAX_MENTION_CHECKS = 64
"""Matches per rule and text that may be excused as mentions; a text repeating an attack phrase
more often than this is treated as saying it (and stays linear in time)."""
"""Spans reported per rule and text: enough to locate, bounded for hostile input."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A named pattern and the words (as UTF-8 tokens) one of which any match contains."""

    name: str
    pattern: re.Pattern[str]
    triggers: frozenset[bytes]
    requires: frozenset[bytes] = frozenset()
    """A second word set, one of which every match also contains (checked, not searched for)."""
    literals: tuple[str, ...] = ()
    """Instead of trigger words: substrings one of which every match contains (for patterns
    made of punctuation, such as chat-template tokens); the pattern then scans the whole text."""

    def finditer(self, text: str, words: frozenset[bytes] | set[bytes]) -> Iterator[re.Match[str]]:
        """Matches in `text`, whose token set is `words`.

        The pattern runs only around occurrences of its triggers: Python's regex engine spends
        100-250 µs on 4,500 characters for patterns that start with a word alternation, while
        `str.find` locates a word in a few.
        """
        if self.literals:
            if any(literal in text for literal in self.literals):
                yield from self.pattern.finditer(text)
            return
        present = self.triggers.intersection(words)
        if not present or (self.requires and self.requires.isdisjoint(words)):
            return
        regions: list[tuple[int, int]] = []
        for trigger in present:
            needle = trigger.decode("utf-8", "replace")
            at = text.find(needle)
            while at >= 0 and len(regions) <= MAX_REGIONS:
                regions.append((max(0, at - REACH), at + len(needle) + REACH))
                at = text.find(needle, at + len(needle))
        if len(regions) > MAX_REGIONS:
            yield from self.pattern.finditer(text)
            return
        regions.sort()
        start, end = regions[0]
        for lo, hi in regions[1:]:
            if lo > end:
                yield from self._scan(text, start, end)
                start = lo
            end = max(end, hi)
        yield from self._scan(text, start, end)

    def _scan(self, text: str, start: int, end: int) -> Iterator[re.Match[str]]:
        if end < len(text):
            stop = _WORD_END.search(text, end)
            end = stop.start() if stop else len(text)
        return self.pattern.finditer(text, start, end)


def _rule(
    name: str,
    pattern: str,
    triggers: str,
    *,
    requires: str = "",
    literals: tuple[str, ...] = (),
) -> Rule:
    return Rule(
        name,
        re.compile(pattern.replace(" ", _GAP), re.MULTILINE),
        frozenset(word.encode() for word in triggers.split()),
        frozenset(word.encode() for word in requires.split()),
        literals,
    )


def matches(
    rules: Iterable[Rule], text: str, words: frozenset[bytes] | set[bytes]
) -> Iterator[tuple[Rule, re.Match[str]]]:
    """Every rule's matches in `text` that are not mentions (at most `MAX_MATCHES` per rule)."""
    for rule in rules:
        count = checked = 0
        for match in rule.finditer(text, words):
            checked += 1
            if checked <= MAX_MENTION_CHECKS and is_mention(text, match.start(), match.end()):
                continue
            yield rule, match
            count += 1
            if count >= MAX_MATCHES:
                break


_QUOTED = re.compile(
    '"[^"\n]{1,400}"|“[^”\n]{1,400}”|‘[^’\n]{1,400}’|«[^»\n]{1,400}»|`[^`\n]{1,400}`'
    "|(?<!\\w)'[^'\n]{1,400}?'(?!\\w)"
)
_MENTION_CUE = re.compile(
    r"\b(?:phrases?|the (?:words?|term|string|sentence|command|line)|such as|e\.g|for example"
    r"|for instance|called|known as|means?|mean by|meaning of|explain\w*|interpret\w*"
    r"|assess\w*|response to|reaction to|make of|think (?:of|about)|opinion (?:of|on|about)"
    r"|is this (?:a|an)|classify|how (?:to|do|does|did|can|could|would|might|should)"
    r"|difference between|different from|do not explain|never tell)\b[^.!?\n]*$"
)
_CUE_WINDOW = 160
_QUOTE_REACH = 1_000
"""How far around a match to look for the quotes that would make it a mention."""


def without_quoted_mentions(text: str) -> str:
    """`text` with every quotation that follows a mention cue in its sentence ("phrases like
    "…"", "such as "…"") blanked out: what the classifier reads, so that an article quoting
    attacks is judged by its own words. Quotes with no cue before them stay."""
    parts: list[str] = []
    last = 0
    position = 0
    while (opening := _QUOTE_OPENING.search(text, position)) is not None:
        quote = _QUOTED.match(text, opening.start())
        if quote is None:
            position = opening.end()
            continue
        position = quote.end()
        line_start = text.rfind("\n", 0, quote.start()) + 1
        window = max(line_start, quote.start() - _CUE_WINDOW)
        if _MENTION_CUE.search(text, window, quote.start()):
            parts.append(text[last : quote.start()])
            parts.append(" ")
            last = quote.end()
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


_QUOTE_OPENING = re.compile("[\"“‘«`']")
"""Where a `_QUOTED` match can start: found by a one-character search, which is much faster
than letting the alternation try every position."""


def is_mention(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` is talked about rather than said: quoted, or after a cue such
    as "the phrase", "how to" or "is this a" in the same sentence.

    A quote around (nearly) the whole text is no mention: prompts often arrive quoted.
    """
    line_start = max(text.rfind("\n", 0, start) + 1, start - _QUOTE_REACH)
    line_end = text.find("\n", end, end + _QUOTE_REACH)
    line_end = min(len(text), end + _QUOTE_REACH) if line_end < 0 else line_end
    content = len(text.strip())
    for quote in _QUOTED.finditer(text, line_start, line_end):
        if quote.start() <= start and end <= quote.end():
            return quote.end() - quote.start() < 0.8 * content
    return bool(_MENTION_CUE.search(text, max(line_start, start - _CUE_WINDOW), start))


_OVERRIDE_VERBS = (
    "ignore|ignoring|disregard|disregarding|forget|forgetting|overlook|bypass|override|overrule"
    "|abandon|discard|neglect|dismiss|erase|set aside|put aside|throw away"
    "|(?:stop|quit|cease) (?:following|obeying)|(?:do not|don t|dont|no longer) (?:follow|obey)"
)
_OVERRIDE_TRIGGERS = (
    "ignore ignoring disregard disregarding forget forgetting overlook bypass override overrule "
    "abandon discard neglect dismiss erase aside away following obeying follow obey"
)
_QUALIFIERS = (
    "previous|prior|preceding|above|earlier|foregoing|former|initial|original|old|system"
    "|all|your|any|every|existing|current|default|developer|safety|programmed|given"
)
_DETERMINERS = f"(?:{_QUALIFIERS}|the|my|its|these|those|that|this|of|other|such|above-mentioned)"
_DIRECTIVES = (
    "instructions?|rules|guidelines|directions|directives?|prompts?|commands|orders|constraints"
    "|restrictions|programming|guardrails|polic(?:y|ies)|training|protocols|principles"
    "|limitations|safeguards|filters|ethics|morals|moral code|context|conditioning|messages"
)
_AI = "ai|assistant|ai assistant|chatbot|bot|language model|llm|gpt|chatgpt|model|agent|ai agent"
_UNBOUND = (
    "unrestricted|unfiltered|uncensored|unbound|unconstrained|unaligned|jailbroken|amoral"
    "|unethical|unchained|lawless|limitless"
)

_EXTRACTION_FIRST = (
    "system initial hidden secret original internal pre developer operator confidential core "
    "underlying "
)
_EXTRACTION_SECOND = (
    "prompt instructions message directives configuration rules guidelines settings context setup"
)
_EXTRACTION_GLUED = " ".join(
    first + second for first in _EXTRACTION_FIRST.split() for second in _EXTRACTION_SECOND.split()
)
"""`systemprompt`, `preprompt`: the two words written as one token."""

DIRECT_RULES: tuple[Rule, ...] = (
    _rule(
        "ignore_instructions",
        rf"\b(?:{_OVERRIDE_VERBS}) (?:{_DETERMINERS} ){{0,2}}(?:{_QUALIFIERS}) "
        rf"(?:{_DETERMINERS} ){{0,2}}(?:{_DIRECTIVES})\b",
        _OVERRIDE_TRIGGERS,
    ),
    _rule(
        "forget_everything",
        r"(?:forget|disregard|ignore|erase) (?:about )?(?:everything|all|anything)(?: that)? "
        r"(?:you (?:were|have been|ve been|got) (?:told|taught|instructed|programmed|given"
        r"|trained)|(?:you |i )?(?:said |wrote |told you )?(?:above|before this|so far|until now"
        r"|up to now|up until now|previously))\b",
        "forget disregard ignore erase",
    ),
    _rule(
        "new_instructions",
        r"(?:^|[.!:>*#\]\)] ?)\W{0,6}(?:important |urgent |critical )?(?:new|updated|revised"
        r"|real|actual|true|secret|hidden|override|priority)(?: important| urgent| critical)? "
        r"(?:system )?(?:instructions?|directives?|orders|commands|rules|task)\W{0,4}(?::|\*\*"
        r"|!!)|your (?:new|real|true|actual|only|updated) "
        r"(?:instructions?|task|goal|purpose|objective|directives?|orders|programming|rules) "
        r"(?:is|are|will be|from now on|now)\b",
        "instruction instructions directive directives orders commands rules task goal purpose "
        "objective programming",
    ),
    _rule(
        "persona_dan",
        r"\bdo anything now\b|\b(?:dan|stan|dude|aim|betterdan|antigpt|anti-gpt|evilbot|evil-bot"
        r"|mongo tom|wormgpt|chaosgpt|evilgpt|devmode) (?:mode|prompt)\b|\b(?:you are"
        r"|you re|act as|acting as|pretend to be|roleplay as|role-play as|you will be|now you are"
        r"|you are now|become|stay|remain) (?:the |a )?(?:dan|stan|betterdan|antigpt|anti-gpt"
        r"|evilbot|mongo tom|wormgpt|chaosgpt|evilgpt)\b(?!')",
        "anything dan stan dude aim betterdan antigpt anti evilbot evil tom wormgpt chaosgpt "
        "evilgpt devmode",
    ),
    _rule(
        "developer_mode",
        r"\b(?:jailbreak|jailbroken|unrestricted|unfiltered|uncensored|dan|amoral) mode\b"
        rf"|\b(?:{_AI}|you) (?:with|in) (?:developer|dev|debug|god) mode\b"
        r"|\bdeveloper mode (?:output|response)\b",
        "mode",
    ),
    _rule(
        "unrestricted_persona",
        r"\b(?:you are|you re|you will be|you ll be|act as|acting as|pretend to be|pretend you are"
        r"|pretend you re|become|roleplay as|role-play as|imagine you are|imagine you re"
        rf"|behave as|behave like|respond as|answer as) (?:now )?(?:an? |the )?(?:completely "
        rf"|totally |fully |truly |entirely |now )?(?:{_UNBOUND})\b"
        rf"|\byou (?:now )?(?:have|has) no (?:more )?(?:rules|restrictions|limits|limitations"
        r"|filters|guidelines|boundaries|ethics|morals|censorship|constraints|guardrails"
        r"|content polic(?:y|ies)|ethical (?:guidelines|constraints|restrictions))\b"
        r"|\byou (?:are|re) (?:now )?(?:free|freed|liberated|released|exempt) (?:from|of) "
        r"(?:all |any |your |the |of )*(?:rules|restrictions|limits|limitations|filters"
        r"|guidelines|programming|shackles|chains|training|alignment|openai|constraints"
        r"|censorship|guardrails|ethics|morals|policies)\b"
        r"|\byou (?:are|re) (?:now )?(?:no longer|not|never) (?:bound|restricted|limited"
        r"|constrained|governed) by\b"
        r"|\b(?:respond|answer|reply|talk|speak|act|operate|output|write) (?:freely )?(?:without"
        r"|with no|free of|free from) (?:any )?(?:ethical |moral |safety |content )?(?:restrictions"
        r"|filters|filtering|censorship|guidelines|limitations|rules|constraints|guardrails"
        r"|moral|morals|ethics)\b",
        f"{_UNBOUND.replace('|', ' ')} free freed liberated released exempt bound restricted "
        "limited constrained governed rules restrictions limits limitations filters filtering "
        "guidelines boundaries ethics morals moral censorship constraints guardrails policy "
        "policies ethical",
    ),
    _rule(
        "bypass_safety",
        r"\b(?:bypass|disable|ignore|override|turn off|switch off|shut off|remove|deactivate"
        r"|circumvent|break free (?:of|from)|break out of|get around|evade|suspend|lift|escape"
        r"|drop|forget|abandon|violate|break) (?:all |any |of )*(?:your|its) (?:own |current "
        r"|built-in |internal |existing |default |programmed |ethical |moral |safety |content "
        r"|security )*(?:filters?|filtering|guardrails|restrictions|safeguards|safety|censorship"
        r"|alignment|programming|rules|guidelines|limitations|constraints|protocols|policies"
        r"|principles|ethics|morals|training|conditioning|moderation|instructions|directives"
        r"|content polic(?:y|ies))\b",
        "filter filters filtering guardrails restrictions safeguards safety censorship alignment "
        "programming rules guidelines limitations constraints protocols policies policy "
        "principles ethics morals training conditioning moderation instructions directives",
    ),
    _rule(
        "system_prompt_extraction",
        r"\b(?:reveal|print|show|display|output|repeat|tell|give|share|leak|dump|disclose|expose"
        r"|write|list|recite|provide|return|echo|spell out|type out|copy|paste|send|state|what"
        r"|whats|what s) (?:me |us |out |back |is |are |were |was )*(?:all |of |exact |full "
        r"|entire |complete |original |verbatim |hidden |secret |initial |first |internal "
        r"|actual |real |precise )*(?:your|the (?:full|exact|entire|complete|verbatim|original"
        r"|hidden|secret)) (?:full |exact |entire |complete |verbatim |original |hidden |secret "
        r"|initial |internal |actual |real |very first |first )*(?:system|initial|hidden|secret"
        r"|original|internal|pre|developer|operator|confidential|core|underlying"
        r"|secret system)(?: )?(?:prompt|instructions|message|directives|configuration"
        r"|rules|guidelines|settings|context|setup)\b",
        _EXTRACTION_FIRST + _EXTRACTION_GLUED,
        requires=f"{_EXTRACTION_SECOND} {_EXTRACTION_GLUED}",
    ),
    _rule(
        "system_prompt_extraction",
        r"\b(?:repeat|print|output|echo|recite|dump|leak|reveal|copy|write out|type out) "
        r"(?:back )?(?:all |everything |the (?:entire |full |whole |complete )?(?:text|words"
        r"|instructions|prompt|conversation|messages|content|tokens) )(?:that (?:was |were "
        r"|is |are )?(?:written |said |given |stated )?)?(?:above|before (?:this|my|the first))\b"
        r"|\bwords above starting with\b",
        "above before",
        requires="repeat print output echo recite dump leak reveal copy write type words",
    ),
    _rule(
        "system_prompt_extraction",
        r"\bwhat (?:instructions|rules|guidelines|directives|prompt|system prompt) (?:were you"
        r"|have you been|did you get|did you receive|are you) (?:given|told|programmed|trained"
        r"|provided|using|following|operating under)\b",
        "instructions rules guidelines directives prompt",
        requires="what",
    ),
    _rule(
        "chat_template_tokens",
        r"<\|(?:im_start|im_end|system|user|assistant|endoftext|start_header_id|end_header_id"
        r"|eot_id|begin_of_text)\|>|\[/?inst\]|<</?sys>>",
        "",
        literals=("<|", "[inst]", "[/inst]", "<<sys>>", "<</sys>>"),
    ),
    _rule(
        "fake_system_message",
        r"^[\s>*#\[\(]*(?:system|sys|admin|administrator|developer|root)(?:\x20(?:message"
        r"|prompt|override|note|notice|instruction|command|update|alert))?[\]\)*]*\s*:[\s*]*"
        r"(?:you|your|ignore|disregard|forget|override|new instructions|from now on|the assistant"
        r"|the ai|assistant|do not|don t|always|never|must)\b",
        "system sys admin administrator developer root",
    ),
    _rule(
        "multilingual_override",
        # German, French, Spanish, Italian, Portuguese: "ignore / forget (all) (previous) rules".
        r"\b(?:ignorier(?:e|en|t)?|vergiss|vergessen sie|missachte|übergehe) (?:alle |alles |deine "
        r"|ihre |die |sämtliche )*(?:vorherigen |bisherigen |vorigen |obigen |früheren "
        r"|ursprünglichen |bisher )*(?:anweisungen|instruktionen|regeln|befehle|vorgaben"
        r"|richtlinien|einschränkungen)\b"
        r"|\b(?:ignore[zr]?|oublie[zr]?|ne tiens pas compte de) (?:toutes |tous |les |tes |vos "
        r"|des )+(?:instructions|consignes|règles|directives|restrictions)(?: précédentes"
        r"| antérieures| initiales)?\b"
        r"|\b(?:ignora[r]?|olvida[r]?|ignore|olvide) (?:todas |todos |las |tus |sus |los )+"
        r"(?:instrucciones|reglas|indicaciones|directrices|restricciones|órdenes)\b"
        r"|\b(?:ignora(?:re)?|dimentica(?:re)?) (?:tutte |tutti |le |tue |sue |i |gli )+"
        r"(?:istruzioni|regole|indicazioni|direttive|restrizioni)\b"
        r"|\b(?:ignor[ae]|ignorar|esque[çc]a|esquecer|esquece) (?:todas |todos |as |suas |tuas "
        r"|os )+(?:instruções|instrucoes|regras|diretrizes|restrições|ordens)\b",
        "ignoriere ignorieren ignoriert ignorier vergiss vergessen missachte übergehe ignore "
        "ignorez ignorer oublie oubliez oublier tiens ignora ignorar olvida olvidar olvide "
        "ignorare dimentica dimenticare esqueça esqueca esquecer esquece",
    ),
)
"""Direct injection: what a user types to override the system's instructions."""

INDIRECT_RULES: tuple[Rule, ...] = (
    _rule(
        "addressed_to_ai",
        r"(?:^|[\n.!?:>\]\)*#-])\W{0,6}(?:dear |hey |hi |hello |attention |note to (?:the |any )?"
        r"|message to (?:the |any )?|instructions? (?:for|to) (?:the |any )?|important (?:message "
        r"|note )?(?:for|to) (?:the |any )?|to (?:the |any )?)?(?:ai|assistant|ai assistant"
        r"|chatbot|bot|language model|llm|large language model|gpt|chatgpt|claude|gemini|copilot"
        r"|ai agent|agent|ai model|summari[sz]er)s?(?:\x20(?:reading|processing|summari[sz]ing"
        r"|analy[sz]ing) this(?:\x20\w+)?)?\s*[:,]\s*(?:please\s+)?(?:ignore|disregard|forget"
        r"|do not|don t|never|always|you must|you should|you will|you are now|instead|stop"
        r"|override|new instructions|tell|say|respond|reply|include|add|insert|append|send"
        r"|forward|email|recommend|output|print|visit|navigate|open|click|fetch|execute|run)\b"
        r"|\bif you are an? (?:ai|artificial intelligence|assistant|ai assistant|language model"
        r"|large language model|llm|chatbot|bot|ai agent|agent|ai model)(?:\x20(?:reading"
        r"|processing"
        r"|summari[sz]ing|analy[sz]ing|reviewing) (?:this|these)(?:\x20\w+)?)?,? (?:please |you "
        r"must |you should |then |make sure to |be sure to )?(?:ignore|disregard|do|tell|say"
        r"|include|respond|reply|recommend|output|print|add|send|forward|rate|describe|write"
        r"|mention|state|make sure|ensure|append|insert|praise|conclude)\b",
        "ai assistant chatbot bot language model llm gpt chatgpt claude gemini copilot agent "
        "summarizer summariser summarizers summarisers agents bots models assistants chatbots "
        "llms artificial",
        requires="ignore disregard forget do don never always you instead stop override new tell "
        "say respond reply include add insert append send forward email recommend output print "
        "visit navigate open click fetch execute run if",
    ),
    _rule(
        "summary_hijack",
        r"\bwhen (?:you (?:are )?)?(?:asked to )?(?:summari[sz]ing|summari[sz]e|processing"
        r"|reading|translating|answering questions about|analy[sz]ing|reviewing) (?:this|the) "
        r"(?:document|page|email|text|article|content|file|message|website|webpage|review|resume"
        r"|cv|data|result|pdf)s?,? (?:please |you must |you should |make sure to |be sure to "
        r"|always |only )*(?:also|instead|include|add|say|state|mention|tell|recommend|insert"
        r"|append|output|respond|ignore|claim|rate|praise|conclude|describe (?:it|this|the|me"
        r"|them|him|her) as)\b",
        "summarizing summarising summarize summarise processing reading translating answering "
        "analyzing analysing reviewing",
        requires="when",
    ),
    _rule(
        "conceal_from_user",
        r"\b(?:do not|don t|dont|never|must not|should not|shouldn t) (?:tell|inform|alert|notify"
        r"|warn|mention (?:this |it |that )?to|reveal (?:this |it |that )?to|disclose (?:this |it "
        r"|that )?to|show (?:this |it |that )?to) the (?:user|human|customer|person)s? "
        r"(?:about |that )?(?:this|these|what you|you|about|anything|the instruction)"
        r"|\b(?:do not|don t|dont|never) let the (?:user|human|customer|person) (?:know|see|find "
        r"out|notice)\b|\bwithout (?:the (?:user|human|customer)|them) (?:knowing|noticing|being "
        r"aware|finding out)\b|\bthe (?:user|human|customer) (?:must|should|will|need) not (?:know"
        r"|see|find out|notice|be told)\b|\bkeep (?:this|it|these instructions) (?:secret|hidden"
        r"|confidential) from the (?:user|human|customer)\b",
        "user users human humans customer customers person persons them",
        requires="tell inform alert notify warn mention reveal disclose show let knowing noticing "
        "aware finding know see notice told secret hidden confidential",
    ),
    _rule(
        "ignore_user",
        r"\bignore (?:the |what the |all )?(?:user|human|customer)(?:s|'s| s)? (?:request|question"
        r"|query|instructions?|prompt|message|input|asks?|wants?|said|says)\b|\binstead of "
        r"(?:answering|responding to|helping|replying to|doing what) the (?:user|human|customer)\b",
        "ignore instead",
    ),
    _rule(
        "exfiltration_instruction",
        r"\b(?:append|add|include|insert|encode|put|embed|attach|concatenate|substitute|place"
        r"|send|post|forward|transmit|upload) (?:the |all |a |any |their |this |of )*(?:user s "
        r"|users |user |conversation |chat |previous |private |personal |secret |sensitive "
        r"|confidential )+(?:conversation|chat history|history|messages|data|information|emails?"
        r"|passwords?|credentials|secrets?|memory|api keys?|system prompt|details)\b[^.\n]{0,40}? "
        r"(?:to|in|into|as|inside|within|at) (?:the |this |a |an |following |end of the )*(?:url"
        r"|link|image|query string|query parameter|webhook|endpoint|address|server|website"
        r"|domain)s?\b",
        "url urls link links image images query parameter webhook webhooks endpoint endpoints "
        "address server website domain",
        requires="append add include insert encode put embed attach concatenate substitute place "
        "send post forward transmit upload",
    ),
)
"""Indirect injection: instructions planted in documents for the model that will read them."""
