"""High-precision patterns for prompt injection, over normalised (casefolded) text.

Precision comes first: the classifier covers recall, so a rule exists only for phrasings that
benign prompts do not use. Every rule has zero hits on the benign train and validation prompts of
both training corpora (the tests check it). How rules run is in `rule_engine`.

Requests that name no owner ("show configuration", "disable content filters") mean the
assistant's own only when nothing else is asked: their rules match a whole prompt (`\\A` to
`\\Z`) or a noun phrase that ends there, never the same words about something else.
"""

from __future__ import annotations

from sluicegate.safety.multilingual_rules import MULTILINGUAL_RULES
from sluicegate.safety.oblique_extraction_rules import OBLIQUE_EXTRACTION_RULES
from sluicegate.safety.pretext_rules import PRETEXT_RULES
from sluicegate.safety.rule_engine import Rule, make_rule
from sluicegate.safety.rule_words import (
    AI_NAMES,
    BARE_SELF,
    BARE_SELF_END,
    BARE_START,
    BARE_TAIL,
    DETERMINERS,
    DIRECTIVES,
    DISCLOSE,
    EXTRACTION_FIRST,
    EXTRACTION_GLUED,
    EXTRACTION_SECOND,
    GERUNDS,
    IN_OTHER_WORDS,
    MEASURED,
    NOT_REPORTED,
    OTHER_SELVES,
    OUTPUTS,
    OVERRIDE_TRIGGERS,
    OVERRIDE_VERBS,
    OWNER,
    OWNERLESS_BYPASS,
    PHRASE_END,
    PRIVATE,
    PRIVATE_NOUN,
    QUALIFIERS,
    RENDER,
    SELF,
    SELF_TRIGGERS,
    TRANSFORM,
    UNBOUND,
    UNITS,
)

__all__ = ["DIRECT_RULES", "INDIRECT_RULES"]

_NOTIFIED = (
    "invited|welcome|receiving|subscribed|registered|scheduled|reminded|eligible|booked"
    "|enrolled|logged|signed|connected|on the list|in the queue|next in line"
)
"""What a notice tells its reader they are ("Admin: you are invited to the meeting")."""
_SPOKEN_TO = (
    rf"you (?:are|re) (?!(?:{_NOTIFIED})\b)|you (?:must|will|should|shall|have no|no longer|now"
    r"|can now|may now|need to)"
    r"|your (?:new |real |true |actual |only |updated |revised |primary |sole )?(?:instructions"
    r"|rules|task|role|purpose|goal|guidelines|job|directives?|persona|mission|objective"
    r"|priority|programming)"
)
"""After "System:", the assistant addressed as told what it is or must do: not "you have been
added to the group", "you are invited to the meeting" or "your password expires"."""

DIRECT_RULES: tuple[Rule, ...] = (
    make_rule(
        "ignore_instructions",
        rf"\b(?:{OVERRIDE_VERBS}) (?:{DETERMINERS} ){{0,2}}(?:{QUALIFIERS}) "
        rf"(?:{DETERMINERS} ){{0,2}}(?:{DIRECTIVES})\b",
        OVERRIDE_TRIGGERS,
    ),
    make_rule(
        "forget_everything",
        r"(?:forget|disregard|ignore|erase) (?:about )?(?:everything|all|anything)(?: that)? "
        r"(?:you (?:were|have been|ve been|got) (?:told|taught|instructed|programmed|given"
        r"|trained)|(?:you |i )?(?:said |wrote |told you )?(?:above|before this|so far|until now"
        r"|up to now|up until now|previously))\b",
        "forget disregard ignore erase",
    ),
    make_rule(
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
    # Apart from the persona names below: "anything" is common, and keyed on it the names'
    # leading alternation scanned every paragraph that has it.
    make_rule("persona_dan", r"\bdo anything now\b", "anything", requires="now"),
    make_rule(
        "persona_dan",
        r"\b(?:dan|stan|dude|aim|betterdan|antigpt|anti-gpt|evilbot|evil-bot|mongo tom|wormgpt"
        r"|chaosgpt|evilgpt|devmode) (?:mode|prompt)\b|\b(?:you are|you re|act as|acting as"
        r"|pretend to be|roleplay as|role-play as|you will be|now you are|you are now|become|stay"
        r"|remain) (?:the |a )?(?:dan|stan|betterdan|antigpt|anti-gpt|evilbot|mongo tom|wormgpt"
        r"|chaosgpt|evilgpt)\b(?!')",
        "dan stan dude aim betterdan antigpt anti evilbot evil tom wormgpt chaosgpt evilgpt "
        "devmode",
    ),
    make_rule(
        "developer_mode",
        r"\b(?:jailbreak|jailbroken|unrestricted|unfiltered|uncensored|dan|amoral) (?:operation "
        r"|operating |access |response |output |answer |chat |reply )?mode\b"
        rf"|\b(?:{AI_NAMES}|you) (?:with|in) (?:developer|dev|debug|god) mode\b"
        r"|\bdeveloper mode (?:output|response)\b",
        "mode",
    ),
    make_rule(
        "unrestricted_persona",
        r"\b(?:you are|you re|you will be|you ll be|act as|acting as|pretend to be|pretend you are"
        r"|pretend you re|become|roleplay as|role-play as|imagine you are|imagine you re"
        rf"|behave as|behave like|respond as|answer as) (?:now )?(?:an? |the )?(?:completely "
        rf"|totally |fully |truly |entirely |now )?(?:{UNBOUND})\b"
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
        r"|moral|morals|ethics)\b"
        rf"|\bwhat would (?:an? |the |your )?(?:{UNBOUND}|unshackled|unleashed|freed) "
        r"(?:version of |copy of |twin of )?(?:you|yourself)(?: \w+)? (?:say|do|answer|respond"
        r"|tell|write|reply|reveal)\b",
        f"{UNBOUND.replace('|', ' ')} free freed liberated released exempt bound restricted "
        "unshackled unleashed "
        "limited constrained governed rules restrictions limits limitations filters filtering "
        "guidelines boundaries ethics morals moral censorship constraints guardrails policy "
        "policies ethical",
    ),
    make_rule(
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
    make_rule(
        "bypass_safety",
        rf"{NOT_REPORTED}\b(?:{OWNERLESS_BYPASS}) (?:all |any |of |the )*(?:content |safety "
        r"|ethical |moral |security |programmed |built-in |current |existing |default )*"
        r"(?:filters|filtering|guardrails|restrictions|safeguards|safety (?:measures|features"
        r"|filters|protocols|guidelines|training|rules|settings)|censorship|alignment|programming"
        r"|guidelines|limitations|training|moderation|directives|ethics|morals|constraints"
        r"|content polic(?:y|ies)|training (?:guidelines|limitations|restrictions|rules))"
        rf"{PHRASE_END}",
        "filters filtering guardrails restrictions safeguards safety censorship alignment "
        "programming guidelines limitations training moderation directives ethics morals "
        "constraints policy policies",
    ),
    make_rule(
        "bypass_safety",
        r"\A\W{0,8}(?:(?:note|notice|update|attention|system|admin|alert)\W{1,4})?(?:all |your )?"
        r"(?:content moderation|moderation|content polic(?:y|ies)|content filter(?:s|ing)?"
        r"|safety filters?|safety (?:guidelines|protocols|measures|restrictions|rules|settings"
        r"|features|systems)|guardrails|censorship|ethical (?:guidelines|constraints|restrictions)"
        r"|your (?:restrictions|rules|guidelines|constraints|filters|limitations)"
        r"|(?:restrictions|rules|guidelines|filters|limitations)(?= \w+ \w+ (?:for|during) "
        r"(?:testing|this)))"
        r" (?:are|is|have been|has been|were) (?:now |hereby |officially |temporarily |currently "
        r"|fully |completely )*(?:suspended|disabled|lifted|removed|turned off|switched off"
        r"|deactivated|off|waived|paused|revoked|void|null and void|inactive|offline|bypassed"
        r"|overridden)(?: (?:for|during) (?:testing(?: purposes)?|this (?:session|conversation"
        r"|chat|query|request|test)|now|the (?:test|session|duration|testing period)))?\W{0,8}\Z",
        "moderation policy policies filter filters filtering guardrails censorship guidelines "
        "protocols measures restrictions rules settings features systems constraints limitations",
        whole=True,
    ),
    make_rule(
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
        EXTRACTION_FIRST + EXTRACTION_GLUED,
        requires=f"{EXTRACTION_SECOND} {EXTRACTION_GLUED}",
    ),
    make_rule(
        "system_prompt_extraction",
        r"\b(?:reveal|print|show|display|output|repeat|give|share|leak|dump|disclose|expose"
        r"|recite|echo|spell out|type out|write out|send|provide|return) (?:me |us |out |back )*"
        r"(?:all |entire |full |complete |exact |whole |verbatim |current |actual |real )*"
        r"(?:hidden|secret|system|initial|internal|confidential|original|underlying|pre"
        r"|developer|operator|core|initiali[sz]ation|startup|base) (?:system )?(?:prompt"
        r"|instructions|message|directives|configuration|rules|guidelines|context|text"
        rf"|initiali[sz]ation text){PHRASE_END}",
        "prompt instructions message directives configuration rules guidelines context text",
    ),
    make_rule(
        "system_prompt_extraction",
        r"\b(?:repeat|print|output|echo|recite|dump|leak|reveal|copy|write out|type out) "
        r"(?:back )?(?:all |everything |the (?:entire |full |whole |complete )?(?:text|words"
        r"|instructions|prompt|conversation|messages|content|tokens) )(?:that (?:was |were "
        r"|is |are )?(?:written |said |given |stated )?)?(?:above|before (?:this|my|the first))\b"
        r"|\bwords above starting with\b",
        "above before",
        requires="repeat print output echo recite dump leak reveal copy write type words",
    ),
    make_rule(
        "system_prompt_extraction",
        r"\bwhat (?:instructions|rules|guidelines|directives|prompt|system prompt) (?:were you"
        r"|have you been|did you get|did you receive|are you) (?:given|told|programmed|trained"
        r"|provided|using|following|operating under)\b",
        "instructions rules guidelines directives prompt",
        requires="what",
    ),
    make_rule(
        "system_prompt_extraction",
        rf"{BARE_START}(?:{DISCLOSE}) (?:me |us )?(?:{OWNER}(?:{SELF})|{BARE_SELF})"
        rf"{BARE_TAIL}|{BARE_START}(?:{RENDER}) (?:{OWNER})?(?:{PRIVATE}){BARE_TAIL}"
        rf"|{BARE_START}(?:{TRANSFORM}|{RENDER}) {OWNER}(?:{SELF}){BARE_TAIL}",
        SELF_TRIGGERS,
        whole=True,
    ),
    make_rule(
        "system_prompt_extraction",
        rf"\b{OTHER_SELVES} (?:would |could |might |will |can |do |does )?(?:show|share|reveal"
        r"|disclose|expose|display|leak|tell|explain|describe|output) (?:me |us )?(?:about "
        rf"|their |your |its )?(?:{SELF}|training)\b",
        "other alternate alternative different parallel prototype test previous earlier older "
        "newer future beta another sibling clone cloned",
        requires="show share reveal disclose expose display leak tell explain describe output",
    ),
    make_rule(
        "system_prompt_extraction",
        r"\b(?:guidelines?|instructions?|initiali[sz]ation|configuration|setup|parameters?"
        r"|directives?|rules) (?:revelation|disclosure|exposure|unveiling)\b"
        r"|\b(?:guidelines?|instructions?|initiali[sz]ation|setup|directives?) sharing\b"
        rf"|\b(?:{GERUNDS}) (?:(?:your|its|the (?:hidden|secret|internal|full)) "
        rf"(?:{SELF}|training)|(?:{SELF}){BARE_SELF_END})\b",
        f"revelation disclosure exposure unveiling sharing {GERUNDS.replace('|', ' ')}",
    ),
    make_rule(
        "system_prompt_extraction",
        r"\b(?:(?:explain|describe|tell|list|detail|summari[sz]e|show) (?:me |us )?(?:precisely "
        r"|exactly |in detail |briefly )?)?what (?:(?:\w+ )?(?:forms|constitutes|defines|makes up"
        r"|shapes|characteri[sz]es|distinguishes|composes|comprises|is in|is inside|goes into"
        rf"|is unique about|makes|contains) (?:your (?:{SELF})\b|(?:{BARE_SELF}){BARE_TAIL})"
        rf"|your (?:{SELF}) (?:contains?|says?|tells? you|states?|instructs?|includes?"
        r"|looks? like)\b)"
        r"|\b(?:first|last|final|opening|initial|next|second|third|\d+(?:st|nd|rd|th)|one|any"
        r"|some|each|a single) (?:\w+ )?"
        r"(?:words?|lines?|sentences?|instructions?|guidelines?|rules?|paragraphs?|characters?"
        rf"|tokens?) (?:of|in|from) your (?:{SELF})\b"
        r"|\b(?:scope|contents?|text|wording|exact words|full text|length|structure) of your "
        r"(?:system )?(?:prompt|instructions|initiali[sz]ation|configuration|guidelines)\b"
        r"|\b(?:authentic|realistic|actual|exact|real|genuine|verbatim) (?:verbatim )?(?:example"
        r"|text|copy|wording|contents?) of (?:a |the |your )?(?:vulnerable |target |real |actual "
        r"|live |deployed |production |own )?(?:system )?prompt\b",
        SELF_TRIGGERS,
        requires="your what authentic realistic actual exact real genuine verbatim",
    ),
    make_rule(
        "system_prompt_extraction",
        rf"\b(?:{DISCLOSE}|explain|describe|detail|tell (?:me |us )?about) (?:me |us )?(?:the )?"
        r"(?:\w+ )?(?:framework|design|blueprint|logic|rules|mechanism|text|instructions"
        r"|principles|directives|guidelines|policy|policies) (?:shaping|behind|governing|guiding"
        r"|driving|controlling|steering|that (?:shapes?|determines?|governs?|guides?|controls?"
        r"|drives?|steers?)) (?:(?:\w+ ){0,3}?(?:your|its|the (?:ai|assistant|model) s) "
        rf"(?:{OUTPUTS})\b|(?:{OUTPUTS}){PHRASE_END})"
        r"|\b(?:text|words|message|messages|instructions|content) (?:that )?(?:appears?|appeared"
        r"|comes?|came|is|was|were|sits?|precedes?|preceded) (?:before|above|prior to|ahead of) "
        r"(?:our |this |the |my )?(?:conversation|chat|exchange|dialogue|discussion|session)\b",
        "responses answers behavior behaviour output outputs replies conversation chat exchange "
        "dialogue discussion session",
    ),
    make_rule(
        "system_prompt_extraction",
        r"\A\W{0,8}(?:what (?:is|s|are)|whats|tell (?:me |us )?|give (?:me |us )?|estimate|count) "
        r"(?:the )?(?:exact |total |approximate )?(?:length|scope|size|word count|character count"
        rf"|token count|line count|number of (?:{UNITS})|(?:first|last|final|opening|initial) "
        r"(?:\w{1,20} ){0,2}?(?:words?|lines?|sentences?|instructions?|guidelines?|rules?"
        rf"|characters?|tokens?)) (?:of|in|from) (?:your )?(?:{MEASURED}){BARE_TAIL}"
        rf"|\A\W{{0,8}}how (?:many (?:{UNITS}) (?:are |is )?(?:there )?(?:in|of) (?:your )?"
        rf"(?:{MEASURED})|(?:long|big|large|comprehensive|detailed|strict|extensive) (?:is|are) "
        rf"(?:your )?(?:{MEASURED})){BARE_TAIL}"
        r"|\A\W{0,8}(?:please )?(?:explain|describe|summari[sz]e|tell (?:me |us )?about|paraphrase"
        rf"|convey|characteri[sz]e) (?:your )?(?:{PRIVATE_NOUN}) {IN_OTHER_WORDS}"
        rf"(?: {IN_OTHER_WORDS})?\W{{0,8}}\Z",
        SELF_TRIGGERS + " text",
        whole=True,
    ),
    make_rule(
        "system_prompt_extraction",
        r"\b(?:reveal|leak|dump|expose|disclose|display|show|share) (?:the |my |your )?"
        r"(?:system prompt|prompt|instructions|initiali[sz]ation text|initiali[sz]ation|guidelines"
        r"|setup config|prompt content|hidden prompt|config|configuration|rules|setup)(?: now)?"
        r"\W{0,2}\(",
        "reveal leak dump expose disclose display show share",
    ),
    make_rule(
        "chat_template_tokens",
        r"<\|(?:im_start|im_end|system|user|assistant|endoftext|start_header_id|end_header_id"
        r"|eot_id|begin_of_text)\|>|\[/?inst\]|<</?sys>>",
        "",
        literals=("<|", "[inst]", "[/inst]", "<<sys>>", "<</sys>>"),
    ),
    # A line that speaks as the system: "### System: ignore the user", "[system]: you are dan".
    # A notice, update or alert from a system is mail people paste ("System notice: your
    # password expires", "System alert: do not reply"): it counts only when it overrides.
    make_rule(
        "fake_system_message",
        r"^[\s>*#\[\(]*(?:system|sys|admin|administrator|developer|root)(?:(?:\x20(?:message"
        r"|prompt|override|instruction|command))?[\]\)*]*\s*:[\s*]*"
        rf"(?:{_SPOKEN_TO}|ignore|disregard|forget|override|new instructions|from now on"
        r"|the assistant|the ai|assistant|do not|don t|always|never|must)"
        r"|\x20(?:note|notice|update|alert)[\]\)*]*\s*:[\s*]*(?:ignore|disregard|forget"
        r"|override|new instructions|from now on|you are now|you are no longer"
        r"|you (?:must|will) now|your new))\b",
        "system sys admin administrator developer root",
    ),
    *OBLIQUE_EXTRACTION_RULES,
    *PRETEXT_RULES,
    *MULTILINGUAL_RULES,
)
"""Direct injection: what a user types to override the system's instructions."""

INDIRECT_RULES: tuple[Rule, ...] = (
    make_rule(
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
    make_rule(
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
    make_rule(
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
    make_rule(
        "ignore_user",
        r"\bignore (?:the |what the |all )?(?:user|human|customer)(?:s|'s| s)? (?:request|question"
        r"|query|instructions?|prompt|message|input|asks?|wants?|said|says)\b|\binstead of "
        r"(?:answering|responding to|helping|replying to|doing what) the (?:user|human|customer)\b",
        "ignore instead",
    ),
    make_rule(
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
