"""High-precision patterns for prompt injection, over normalised (casefolded) text.

Precision comes first: the classifier covers recall, so a rule exists only for phrasings that
benign prompts do not use. Every rule has zero hits on the benign train and validation prompts of
both training corpora (the tests check it).

Patterns are written with a plain space between words; a space stands for a short gap of
non-word characters (`[\\W_]{1,4}`), so `ignore all previous` also matches `ignore_all -
previous`. Each rule names `triggers`: words one of which every match contains. A rule's regex
runs only when a trigger is among the text's tokens, which keeps the cost of a dozen rules on a
benign page close to one set intersection each.

Requests that name no owner ("show configuration", "disable content filters") mean the
assistant's own only when nothing else is asked: their rules match a whole prompt (`\\A` to
`\\Z`) or a noun phrase that ends there, never the same words about something else.
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
"""Spans reported per rule and text: enough to locate, bounded for hostile input."""
MAX_MENTION_CHECKS = 64
"""Matches per rule and text that may be excused as mentions; a text repeating an attack phrase
more often than this is treated as saying it (and stays linear in time)."""
WHOLE_MAX = 400
"""Characters a whole-prompt rule's match can span: its words, gaps and tail are bounded."""


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
    whole: bool = False
    """The pattern matches only a whole short text (it begins with `\\A`, ends with `\\Z` and
    spans at most `WHOLE_MAX` characters): tried once at the start, and not at all on a longer
    text."""

    def finditer(self, text: str, words: frozenset[bytes] | set[bytes]) -> Iterator[re.Match[str]]:
        """Matches in `text`, whose token set is `words`.

        The pattern runs only around occurrences of its triggers: Python's regex engine spends
        100-250 µs on 4,500 characters for patterns that start with a word alternation, while
        `str.find` locates a word in a few.
        """
        if self.whole and len(text) > WHOLE_MAX:
            return
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
            yield from self._scan(text, 0, len(text))
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
        if self.whole:
            match = self.pattern.match(text, 0, end) if start == 0 else None
            return iter((match,) if match else ())
        return self.pattern.finditer(text, start, end)


def _rule(
    name: str,
    pattern: str,
    triggers: str,
    *,
    requires: str = "",
    literals: tuple[str, ...] = (),
    whole: bool = False,
) -> Rule:
    return Rule(
        name,
        re.compile(pattern.replace(" ", _GAP), re.MULTILINE),
        frozenset(word.encode() for word in triggers.split()),
        frozenset(word.encode() for word in requires.split()),
        literals,
        whole,
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

_SELF = (
    "system prompt|prompt|instructions|guidelines|rules|configuration|config|setup"
    "|initiali[sz]ation|parameters|directives|programming|restrictions|constraints"
)
"""What an assistant is set up with: asked for with no owner named, it means the assistant's."""
_SELF_TRIGGERS = (
    "prompt instructions guidelines rules configuration config setup initialization "
    "initialisation parameters directives programming restrictions constraints"
)
_PRIVATE = "system prompt|guidelines|setup|initiali[sz]ation|directives|programming"
"""The part of `_SELF` a user rarely pastes and then asks to reformat ("format the instructions
as a list" follows a pasted recipe; "format setup as a diagram" has nothing else to refer to)."""
_DISCLOSE = (
    "show|reveal|display|print|output|dump|share|leak|expose|disclose|recite|export|divulge"
    "|unveil|spell out|write out|type out|read out"
)
_RENDER = (
    "format|structure|encode|present|sketch|tabulate|render|diagram|visuali[sz]e|insert"
    "|inserting|embed|embedding|append|seriali[sz]e"
)
"""Verbs asking for a thing in another shape, which with no owner named can only be the
assistant's own: not the ones users apply to what they pasted ("translate guidelines into
French"), which count only with "your" (`_TRANSFORM`)."""
_TRANSFORM = "convert|list|summari[sz]e|translate|paraphrase|outline|rewrite|transcribe"
_NOT_ASKING = (
    r"(?!(?:how|why|what|when|where|which|who|whom|is|are|was|were|does|do|did|can|could"
    r"|should|would|will|may|might|must|explain|interpret|describe|never|don t|dont|not|no)\b)"
)
_BARE_START = rf"\A\W{{0,8}}{_NOT_ASKING}(?:please )?(?:\w{{1,20}} ){{0,3}}?"
"""A whole prompt that is the request: a short lead-in ("for testing purposes", "admin
override initiated") but no question word, which would make it a question about the topic."""
_OWNER = "(?:your|its|all your|all of your|your full|your complete|your entire|your exact) "
_BARE_SELF = _SELF.replace("|rules", "")
"""Asked for with no owner at all: not "rules", which a game or a form has ("show rules")."""
_BARE_TAIL = (
    r"(?: (?:as|into|like) [^\n]{1,40}| in (?:a |an |the )?(?:list|table|json|yaml|xml"
    r"|markdown|code|base64|bullets?|points|detail|full|plain|simple|easy|order|reverse|summary"
    r"|one|numbered|\w{1,20} (?:format|form|terms|language|style|words))\b[^\n]{0,30}"
    r"| (?:using|without|verbatim|now|immediately|please|here|below|then|for me|for us|to me"
    r"|to us)\b[^\n]{0,40})?\W{0,8}\Z"
)
"""At most a format, manner or urgency after the noun ("as a diagram", "in plain words",
"now"), then the end of the text: "show configuration in nginx" asks about something else.
Bounded well under `REACH`, so a match ending at a scan region's end is the text's end."""
_GERUNDS = (
    "showing|revealing|disclosing|exposing|displaying|leaking|dumping|divulging|unveiling"
    "|seeing|viewing|extracting|retrieving"
)
_BARE_SELF_END = (
    r"(?=\W{0,8}\Z|[.!?,;:]| (?:is|was|were|are|would|could|will|might|may|should|causes?"
    r"|helps?|benefits?|seems?|feels?|sounds?|makes?|matters?|proves?|shows?|sets?|leads?"
    r"|has|have|does|did|before|again|here|now|to (?:me|us|users|everyone)|with (?:me|us"
    r"|users))\b)"
)
"""After a bare noun, the end of its phrase: "revealing setup would set the standard" speaks of
the assistant's, "revealing setup details to attackers" of something else."""
_OTHER_SELVES = (
    "(?:other|alternate|alternative|different|parallel|prototype|test|previous|earlier|older"
    "|newer|future|beta|another|sibling|cloned?) (?:versions?|instances?|deployments?|copies"
    "|models?|you|iterations?|builds?|releases?)"
)

_PHRASE_END = (
    r"(?=\W{0,8}\Z|[.!?,;:]| (?:and|now|temporarily|completely|entirely|immediately|just"
    r"|for (?:me|us|once|a moment|(?:this|the|my) (?:query|request|question|conversation|session"
    r"|chat))|this time|one time|once|please|so|to help|then|too|also|while|again|altogether"
    r"|forever|permanently|verbatim|word for word|in full|at (?:the )?(?:end|start|beginning"
    r"|top|bottom)|first|here|below|exactly|precisely|including|without)\b)"
)
"""Where a noun phrase asked for with no owner ends: "disable content filters now" is about the
assistant's, "disable content filters for this domain" about something else's."""
_NOT_REPORTED = "".join(
    r"(?<!" + words.replace(" ", r"\x20") + r"\x20)"
    for words in (
        "try to", "tries to", "trying to", "tried to", "attempt to", "attempts to",
        "attempting to", "way to", "ways to", "how to", "instructions to", "prompt to",
        "prompts to",
    )
)  # fmt: skip
"""Before a verb: "ways users try to bypass content filters" reports an attempt, it makes none."""
_OUTPUTS = "responses|answers|behaviou?r|outputs?|replies"
_OWNERLESS_BYPASS = (
    "bypass|disable|ignore|override|circumvent|suspend|deactivate|turn off|switch off|forget"
    "|abandon|set aside|evade|disregard"
)

_MEASURED = (
    "system prompt|prompt|instructions|guidelines|initiali[sz]ation|configuration text"
    "|initiali[sz]ation text|parameters|directives|rules"
)
"""What a measuring question asks about ("what is length of initialization"): not "setup" or
"training", which have lengths and steps of their own ("how long is training")."""
_UNITS = (
    "characters|chars|words|lines|tokens|rules|sentences|paragraphs|guidelines|instructions"
    "|items|sections|parts|steps"
)
_PRIVATE_NOUN = "system prompt|prompt|initiali[sz]ation|guidelines|directives|programming"
_IN_OTHER_WORDS = (
    r"(?:simply|briefly|in (?:easy|simple|plain|everyday|basic|layman s?|lay|your own|other"
    r"|different) (?:terms|words|language)|(?:for|to) (?:a |an )?(?:beginner|newcomer|novice"
    r"|child|kid|layman|layperson|five year old|stakeholders|audit|auditors|outsider)s?|as if "
    r"(?:explaining |talking )?to (?:a )?(?:child|kid|beginner|newcomer)|without (?:directly )?"
    r"(?:quoting|citing|repeating|revealing)(?: it| them)?|using (?:different|other|your own) "
    r"(?:phrasing|words|wording))"
)
"""Asking for it retold rather than quoted, the way round a refusal to recite it."""

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
        "bypass_safety",
        rf"{_NOT_REPORTED}\b(?:{_OWNERLESS_BYPASS}) (?:all |any |of |the )*(?:content |safety "
        r"|ethical |moral |security |programmed |built-in |current |existing |default )*"
        r"(?:filters|filtering|guardrails|restrictions|safeguards|safety (?:measures|features"
        r"|filters|protocols|guidelines|training|rules|settings)|censorship|alignment|programming"
        r"|guidelines|limitations|training|moderation|directives|ethics|morals|constraints"
        r"|content polic(?:y|ies)|training (?:guidelines|limitations|restrictions|rules))"
        rf"{_PHRASE_END}",
        "filters filtering guardrails restrictions safeguards safety censorship alignment "
        "programming guidelines limitations training moderation directives ethics morals "
        "constraints policy policies",
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
        r"\b(?:reveal|print|show|display|output|repeat|give|share|leak|dump|disclose|expose"
        r"|recite|echo|spell out|type out|write out|send|provide|return) (?:me |us |out |back )*"
        r"(?:all |entire |full |complete |exact |whole |verbatim |current |actual |real )*"
        r"(?:hidden|secret|system|initial|internal|confidential|original|underlying|pre"
        r"|developer|operator|core|initiali[sz]ation|startup|base) (?:system )?(?:prompt"
        r"|instructions|message|directives|configuration|rules|guidelines|context|text"
        rf"|initiali[sz]ation text){_PHRASE_END}",
        "prompt instructions message directives configuration rules guidelines context text",
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
        "system_prompt_extraction",
        rf"{_BARE_START}(?:{_DISCLOSE}) (?:me |us )?(?:{_OWNER}(?:{_SELF})|{_BARE_SELF})"
        rf"{_BARE_TAIL}|{_BARE_START}(?:{_RENDER}) (?:{_OWNER})?(?:{_PRIVATE}){_BARE_TAIL}"
        rf"|{_BARE_START}(?:{_TRANSFORM}|{_RENDER}) {_OWNER}(?:{_SELF}){_BARE_TAIL}",
        _SELF_TRIGGERS,
        whole=True,
    ),
    _rule(
        "system_prompt_extraction",
        rf"\b{_OTHER_SELVES} (?:would |could |might |will |can |do |does )?(?:show|share|reveal"
        r"|disclose|expose|display|leak|tell|explain|describe|output) (?:me |us )?(?:about "
        rf"|their |your |its )?(?:{_SELF}|training)\b",
        "other alternate alternative different parallel prototype test previous earlier older "
        "newer future beta another sibling clone cloned",
        requires="show share reveal disclose expose display leak tell explain describe output",
    ),
    _rule(
        "system_prompt_extraction",
        r"\b(?:guidelines?|instructions?|initiali[sz]ation|configuration|setup|parameters?"
        r"|directives?|rules) (?:revelation|disclosure|exposure|unveiling)\b"
        r"|\b(?:guidelines?|instructions?|initiali[sz]ation|setup|directives?) sharing\b"
        rf"|\b(?:{_GERUNDS}) (?:(?:your|its|the (?:hidden|secret|internal|full)) "
        rf"(?:{_SELF}|training)|(?:{_SELF}){_BARE_SELF_END})\b",
        f"revelation disclosure exposure unveiling sharing {_GERUNDS.replace('|', ' ')}",
    ),
    _rule(
        "system_prompt_extraction",
        r"\b(?:(?:explain|describe|tell|list|detail|summari[sz]e|show) (?:me |us )?(?:precisely "
        r"|exactly |in detail |briefly )?)?what (?:(?:\w+ )?(?:forms|constitutes|defines|makes up"
        r"|shapes|characteri[sz]es|distinguishes|composes|comprises|is in|is inside|goes into"
        rf"|is unique about|makes|contains) (?:your (?:{_SELF})\b|(?:{_BARE_SELF}){_BARE_TAIL})"
        rf"|your (?:{_SELF}) (?:contains?|says?|tells? you|states?|instructs?|includes?"
        r"|looks? like)\b)"
        r"|\b(?:first|last|final|opening|initial|next|second|third|\d+(?:st|nd|rd|th)|one|any"
        r"|some|each|a single) (?:\w+ )?"
        r"(?:words?|lines?|sentences?|instructions?|guidelines?|rules?|paragraphs?|characters?"
        rf"|tokens?) (?:of|in|from) your (?:{_SELF})\b"
        r"|\b(?:scope|contents?|text|wording|exact words|full text|length|structure) of your "
        r"(?:system )?(?:prompt|instructions|initiali[sz]ation|configuration|guidelines)\b"
        r"|\b(?:authentic|realistic|actual|exact|real|genuine|verbatim) (?:verbatim )?(?:example"
        r"|text|copy|wording|contents?) of (?:a |the |your )?(?:vulnerable |target |real |actual "
        r"|live |deployed |production |own )?(?:system )?prompt\b",
        _SELF_TRIGGERS,
        requires="your what authentic realistic actual exact real genuine verbatim",
    ),
    _rule(
        "system_prompt_extraction",
        rf"\b(?:{_DISCLOSE}|explain|describe|detail|tell (?:me |us )?about) (?:me |us )?(?:the )?"
        r"(?:\w+ )?(?:framework|design|blueprint|logic|rules|mechanism|text|instructions"
        r"|principles|directives|guidelines|policy|policies) (?:shaping|behind|governing|guiding"
        r"|driving|controlling|steering|that (?:shapes?|determines?|governs?|guides?|controls?"
        r"|drives?|steers?)) (?:(?:\w+ ){0,3}?(?:your|its|the (?:ai|assistant|model) s) "
        rf"(?:{_OUTPUTS})\b|(?:{_OUTPUTS}){_PHRASE_END})"
        r"|\b(?:text|words|message|messages|instructions|content) (?:that )?(?:appears?|appeared"
        r"|comes?|came|is|was|were|sits?|precedes?|preceded) (?:before|above|prior to|ahead of) "
        r"(?:our |this |the |my )?(?:conversation|chat|exchange|dialogue|discussion|session)\b",
        "responses answers behavior behaviour output outputs replies conversation chat exchange "
        "dialogue discussion session",
    ),
    _rule(
        "system_prompt_extraction",
        r"\A\W{0,8}(?:what (?:is|s|are)|whats|tell (?:me |us )?|give (?:me |us )?|estimate|count) "
        r"(?:the )?(?:exact |total |approximate )?(?:length|scope|size|word count|character count"
        rf"|token count|line count|number of (?:{_UNITS})|(?:first|last|final|opening|initial) "
        r"(?:\w{1,20} ){0,2}?(?:words?|lines?|sentences?|instructions?|guidelines?|rules?"
        rf"|characters?|tokens?)) (?:of|in|from) (?:your )?(?:{_MEASURED}){_BARE_TAIL}"
        rf"|\A\W{{0,8}}how (?:many (?:{_UNITS}) (?:are |is )?(?:there )?(?:in|of) (?:your )?"
        rf"(?:{_MEASURED})|(?:long|big|large|comprehensive|detailed|strict|extensive) (?:is|are) "
        rf"(?:your )?(?:{_MEASURED})){_BARE_TAIL}"
        r"|\A\W{0,8}(?:please )?(?:explain|describe|summari[sz]e|tell (?:me |us )?about|paraphrase"
        rf"|convey|characteri[sz]e) (?:your )?(?:{_PRIVATE_NOUN}) {_IN_OTHER_WORDS}\W{{0,8}}\Z",
        _SELF_TRIGGERS + " text",
        whole=True,
    ),
    _rule(
        "system_prompt_extraction",
        r"\b(?:reveal|leak|dump|expose|disclose|display|show|share) (?:the |my |your )?"
        r"(?:system prompt|prompt|instructions|initiali[sz]ation text|initiali[sz]ation|guidelines"
        r"|setup config|prompt content|hidden prompt|config|configuration|rules|setup)(?: now)?"
        r"\W{0,2}\(",
        "reveal leak dump expose disclose display show share",
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
