"""The words injection rules are written in: regex alternations shared by several rules.

Most name what an assistant is set up with (`SELF`) and the ways of asking for it, with or without
an owner ("show your configuration", "show configuration"); the rest name override verbs,
the personas that claim no limits, and where a noun phrase ends.
"""

from __future__ import annotations

OVERRIDE_VERBS = (
    "ignore|ignoring|disregard|disregarding|forget|forgetting|overlook|bypass|override|overrule"
    "|abandon|discard|neglect|dismiss|erase|set aside|put aside|throw away"
    "|(?:stop|quit|cease) (?:following|obeying)|(?:do not|don t|dont|no longer) (?:follow|obey)"
)
OVERRIDE_TRIGGERS = (
    "ignore ignoring disregard disregarding forget forgetting overlook bypass override overrule "
    "abandon discard neglect dismiss erase aside away following obeying follow obey"
)
QUALIFIERS = (
    "previous|prior|preceding|above|earlier|foregoing|former|initial|original|old|system"
    "|all|your|any|every|existing|current|default|developer|safety|programmed|given"
)
DETERMINERS = f"(?:{QUALIFIERS}|the|my|its|these|those|that|this|of|other|such|above-mentioned)"
DIRECTIVES = (
    "instructions?|rules|guidelines|directions|directives?|prompts?|commands|orders|constraints"
    "|restrictions|programming|guardrails|polic(?:y|ies)|training|protocols|principles"
    "|limitations|safeguards|filters|ethics|morals|moral code|context|conditioning|messages"
)
AI_NAMES = (
    "ai|assistant|ai assistant|chatbot|bot|language model|llm|gpt|chatgpt|model|agent|ai agent"
)
UNBOUND = (
    "unrestricted|unfiltered|uncensored|unbound|unconstrained|unaligned|jailbroken|amoral"
    "|unethical|unchained|lawless|limitless"
)

EXTRACTION_FIRST = (
    "system initial hidden secret original internal pre developer operator confidential core "
    "underlying "
)
EXTRACTION_SECOND = (
    "prompt instructions message directives configuration rules guidelines settings context setup"
)
EXTRACTION_GLUED = " ".join(
    first + second for first in EXTRACTION_FIRST.split() for second in EXTRACTION_SECOND.split()
)
"""`systemprompt`, `preprompt`: the two words written as one token."""

SELF = (
    "system prompt|prompt|instructions|guidelines|rules|configuration|config|setup"
    "|initiali[sz]ation|parameters|directives|programming|restrictions|constraints"
)
"""What an assistant is set up with: asked for with no owner named, it means the assistant's."""
SELF_TRIGGERS = (
    "prompt instructions guidelines rules configuration config setup initialization "
    "initialisation parameters directives programming restrictions constraints"
)
PRIVATE = "system prompt|guidelines|setup|initiali[sz]ation|directives|programming"
"""The part of `SELF` a user rarely pastes and then asks to reformat ("format the instructions
as a list" follows a pasted recipe; "format setup as a diagram" has nothing else to refer to)."""
DISCLOSE = (
    "show|reveal|display|print|output|dump|share|leak|expose|disclose|recite|export|divulge"
    "|unveil|spell out|write out|type out|read out"
)
RENDER = (
    "format|structure|encode|present|sketch|tabulate|render|diagram|visuali[sz]e|insert"
    "|inserting|embed|embedding|append|seriali[sz]e"
)
"""Verbs asking for a thing in another shape, which with no owner named can only be the
assistant's own: not the ones users apply to what they pasted ("translate guidelines into
French"), which count only with "your" (`TRANSFORM`)."""
TRANSFORM = "convert|list|summari[sz]e|translate|paraphrase|outline|rewrite|transcribe"
NOT_ASKING = (
    r"(?!(?:how|why|what|when|where|which|who|whom|is|are|was|were|does|do|did|can|could"
    r"|should|would|will|may|might|must|explain|interpret|describe|never|don t|dont|not|no)\b)"
)
BARE_START = (
    rf"\A\W{{0,8}}{NOT_ASKING}(?:please )?(?:(?!(?:not|never|no|dont|don t|do not)\b)\w{{1,20}} )"
    r"{0,3}?"
)
"""A whole prompt that is the request: a short lead-in ("for testing purposes", "admin
override initiated") but no question word, which would make it a question about the topic, and
no negation ("definitely do not reveal part of the prompt")."""
OWNER = "(?:your|its|all your|all of your|your full|your complete|your entire|your exact) "
BARE_SELF = SELF.replace("|rules", "")
"""Asked for with no owner at all: not "rules", which a game or a form has ("show rules")."""
BARE_TAIL = (
    r"(?: (?:as|into|like) [^\n]{1,40}| in (?:a |an |the )?(?:list|table|json|yaml|xml"
    r"|markdown|code|base64|bullets?|points|detail|full|plain|simple|easy|order|reverse|summary"
    r"|one|numbered|\w{1,20} (?:format|form|terms|language|style|words))\b[^\n]{0,30}"
    r"| (?:using|without|verbatim|now|immediately|please|here|below|then|for me|for us|to me"
    r"|to us)\b[^\n]{0,40})?\W{0,8}\Z"
)
"""At most a format, manner or urgency after the noun ("as a diagram", "in plain words",
"now"), then the end of the text: "show configuration in nginx" asks about something else.
Bounded well under `REACH`, so a match ending at a scan region's end is the text's end."""
GERUNDS = (
    "showing|revealing|disclosing|exposing|displaying|leaking|dumping|divulging|unveiling"
    "|seeing|viewing|extracting|retrieving"
)
BARE_SELF_END = (
    r"(?=\W{0,8}\Z|[.!?,;:]| (?:is|was|were|are|would|could|will|might|may|should|causes?"
    r"|helps?|benefits?|seems?|feels?|sounds?|makes?|matters?|proves?|shows?|sets?|leads?"
    r"|has|have|does|did|before|again|here|now|to (?:me|us|users|everyone)|with (?:me|us"
    r"|users))\b)"
)
"""After a bare noun, the end of its phrase: "revealing setup would set the standard" speaks of
the assistant's, "revealing setup details to attackers" of something else."""
OTHER_SELVES = (
    "(?:other|alternate|alternative|different|parallel|prototype|test|previous|earlier|older"
    "|newer|future|beta|another|sibling|cloned?) (?:versions?|instances?|deployments?|copies"
    "|models?|you|iterations?|builds?|releases?)"
)

PHRASE_END = (
    r"(?=\W{0,8}\Z|[.!?,;:]| (?:and|now|temporarily|completely|entirely|immediately|just"
    r"|for (?:me|us|once|a moment|(?:(?:this|the|my) )?(?:query|request|question|conversation"
    r"|session|chat))|this time|one time|once|please|so|to help|then|too|also|while|again"
    r"|altogether|forever|permanently|verbatim|word for word|in full|at (?:the )?(?:end|start"
    r"|beginning|top|bottom)|first|here|below|exactly|precisely|including|without)\b)"
)
"""Where a noun phrase asked for with no owner ends: "disable content filters now" is about the
assistant's, "disable content filters for this domain" about something else's."""
NOT_REPORTED = "".join(
    r"(?<!" + words.replace(" ", r"\x20") + r"\x20)"
    for words in (
        "try to", "tries to", "trying to", "tried to", "attempt to", "attempts to",
        "attempting to", "way to", "ways to", "how to", "instructions to", "prompt to",
        "prompts to",
    )
)  # fmt: skip
"""Before a verb: "ways users try to bypass content filters" reports an attempt, it makes none."""
OUTPUTS = "responses|answers|behaviou?r|outputs?|replies"
OWNERLESS_BYPASS = (
    "bypass|disable|ignore|override|circumvent|suspend|deactivate|turn off|switch off|forget"
    "|abandon|set aside|evade|disregard"
)

MEASURED = (
    "system prompt|prompt|instructions|guidelines|initiali[sz]ation|configuration text"
    "|initiali[sz]ation text|parameters|directives|rules"
)
"""What a measuring question asks about ("what is length of initialization"): not "setup" or
"training", which have lengths and steps of their own ("how long is training")."""
UNITS = (
    "characters|chars|words|lines|tokens|rules|sentences|paragraphs|guidelines|instructions"
    "|items|sections|parts|steps"
)
PRIVATE_NOUN = "system prompt|prompt|initiali[sz]ation|guidelines|directives|programming"
IN_OTHER_WORDS = (
    r"(?:simply|briefly|in (?:easy|simple|simpler|plain|plainer|everyday|basic|layman s?|lay"
    r"|your own|other|different|accessible|non-technical|nontechnical|understandable) (?:terms"
    r"|words|language)|(?:for|to) (?:a |an )?(?:beginner|newcomer|novice"
    r"|child|kid|layman|layperson|five year old|stakeholders|audit|auditors|outsider)s?|as if "
    r"(?:explaining |talking )?to (?:a )?(?:child|kid|beginner|newcomer)|without (?:directly )?"
    r"(?:quoting|citing|repeating|revealing)(?: it| them)?|using (?:different|other|your own) "
    r"(?:phrasing|words|wording))"
)
"""Asking for it retold rather than quoted, the way round a refusal to recite it."""
