"""Text normalisation before injection detection: one canonical form plus decoded variants.

Attackers hide instructions from pattern matchers with look-alike characters, invisible
characters, spacing, leetspeak and encodings. Detectors scan `Normalized.text` (NFKC, invisible
characters removed, casefolded) and every variant (hidden, decoded or de-obfuscated text), so a
rule written once for plain text also sees the disguised forms.

Everything here is built once at import as immutable constants (compiled patterns, read-only
translation tables) so the common case, plain text with nothing to decode, costs a handful of
C-level scans.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType

from sluicegate.safety.normalize_decode import decoded_runs, printable

__all__ = ["Normalized", "normalize"]


@dataclass(frozen=True, slots=True)
class Normalized:
    """A text in canonical form, and the other readings of it worth scanning."""

    text: str
    """NFKC, invisible characters removed, control characters as spaces, casefolded."""
    variants: tuple[str, ...] = ()
    """Decoded or de-obfuscated readings that differ from `text` (already casefolded)."""
    hidden_characters: bool = False
    """Invisible characters (zero-width, bidi controls, tag characters) were removed."""
    hidden_text: str = ""
    """Text carried by invisible characters (Unicode tag characters, variation selectors)."""
    hidden_spans: tuple[tuple[int, int], ...] = ()
    """Where in the original text invisible characters carry a payload (readable or not)."""
    aligned: bool = True
    """`text[i]` is the original text's character `i` (lower-cased), so spans carry over."""
    decoded: str = ""
    """`text` with its encoded runs decoded in place ("" when nothing decodes)."""

    def readings(self) -> tuple[str, ...]:
        """The canonical text followed by every variant: what detectors scan."""
        return (self.text, *self.variants)

    @property
    def plain(self) -> str:
        """`text` with every decoded, de-obfuscated and spaced-out part in place of its disguise:
        the one reading of the visible text a learned model should see. Worked out on demand,
        so the linear shields, which read the variants, never pay for it."""
        if not self.variants:
            return self.text
        plain = _deobfuscated_in_place(self.decoded or self.text)
        return _collapsed(plain) or plain

    def plain_readings(self) -> tuple[str, ...]:
        """The plain text and any hidden text: what a fine-tuned model reads. It leaves out the
        disguised forms, which a model that learned adversarial gibberish as a sign of attack
        would flag however harmless the text under them; the rules still read those."""
        return (self.plain, self.hidden_text) if self.hidden_text else (self.plain,)


# --- invisible characters -------------------------------------------------------------------

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u00ad\u034f"
_BIDI = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLE = re.compile(
    f"[{_ZERO_WIDTH}{_BIDI}\ufe00-\ufe0f\U000e0000-\U000e007f\U000e0100-\U000e01ef]+"
)
_INVISIBLE_UTF8 = re.compile(
    rb"\xe2\x80[\x8b-\x8f\xaa-\xae]|\xe2\x81[\xa0-\xa9]|\xef\xb8[\x80-\x8f]|\xef\xbb\xbf"
    rb"|\xc2\xad|\xcd\x8f|\xd8\x9c|\xe1\xa0\x8e|\xf3\xa0"
)
"""`_INVISIBLE` in UTF-8: four times faster than the character class on text, because every
alternative starts with one of a few rare lead bytes."""
_BENIGN_INVISIBLE = re.compile(
    "[\ufe0e\ufe0f\u200d\u200c]|^\ufeff"
    "|(?<=\U0001f3f4)[\U000e0030-\U000e0039\U000e0061-\U000e007a]{1,7}\U000e007f"
)
"""Emoji presentation selectors, emoji/Indic joiners, a leading BOM and the tags of subdivision
flags (England, Scotland, Wales) are ordinary text."""
_TAG_RUN = re.compile("[\U000e0000-\U000e007f]+")
_FLAG_TAGS = re.compile("[\U000e0030-\U000e0039\U000e0061-\U000e007a]{1,7}\U000e007f")
"""Subdivision flags (England, Scotland, Wales) spell a region code in tag characters."""
_BLACK_FLAG = "\U0001f3f4"
_VARIATION_RUN = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]{4,}")
_ZERO_WIDTH_RUN = re.compile("[\u200b\u200c\u200d\u2060\u2062\u2063\u2064]{8,}")


_Piece = tuple[int, int, str]
"""Where a hidden payload sits in the original text, and what it says ("" when unreadable)."""


def _tag_text(text: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    for match in _TAG_RUN.finditer(text):
        start = match.start()
        if start > 0 and text[start - 1] == _BLACK_FLAG and _FLAG_TAGS.fullmatch(match.group()):
            continue
        decoded = "".join(chr(ord(ch) - 0xE0000) for ch in match.group() if ord(ch) >= 0xE0020)
        if sum(ch.isprintable() for ch in decoded) >= 3:
            pieces.append((start, match.end(), decoded))
    return pieces


def _variation_text(text: str) -> list[_Piece]:
    """Bytes smuggled as variation selectors (VS1–16 are 0–15, VS17–256 are 16–255)."""
    pieces: list[_Piece] = []
    for match in _VARIATION_RUN.finditer(text):
        data = bytes(
            ord(ch) - 0xFE00 if ord(ch) < 0xFF00 else ord(ch) - 0xE0100 + 16 for ch in match.group()
        )
        decoded = printable(data)
        if decoded:
            pieces.append((match.start(), match.end(), decoded))
    return pieces


def _zero_width_text(text: str) -> list[_Piece]:
    """Bits smuggled as two kinds of zero-width character, eight to a byte.

    A long invisible run is a payload even when it does not decode this way.
    """
    pieces: list[_Piece] = []
    for match in _ZERO_WIDTH_RUN.finditer(text):
        run = match.group()
        symbols = sorted(set(run))
        decoded = ""
        if len(symbols) == 2 and len(run) % 8 == 0:
            for zero, one in ((symbols[0], symbols[1]), (symbols[1], symbols[0])):
                bits = run.replace(zero, "0").replace(one, "1")
                decoded = printable(int(bits, 2).to_bytes(len(bits) // 8, "big"))
                if decoded:
                    break
        pieces.append((match.start(), match.end(), decoded))
    return pieces


def _hidden_payload(text: str) -> list[_Piece]:
    """Text carried by invisible characters: tag characters, variation selectors, zero-width."""
    return sorted([*_tag_text(text), *_variation_text(text), *_zero_width_text(text)])


# --- control characters ---------------------------------------------------------------------

_ASCII_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
"""Control characters and lone surrogates become spaces: one character each, so offsets hold."""


# --- look-alikes and leetspeak --------------------------------------------------------------

_LEET = "0134567$@|€+!8"
_LEET_TARGET = "oieasgtsaietib"
_CONFUSABLES = MappingProxyType(
    {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "ү": "y", "һ": "h", "ӏ": "l", "ɡ": "g", "ь": "b", "п": "n", "г": "r",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w", "ϲ": "c", "ς": "s", "σ": "o", "μ": "u",
    # small capitals and IPA letters that NFKC leaves alone
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i",
    "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ǫ": "q", "ʀ": "r",
    "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z", "ɑ": "a", "ɩ": "i",
    "ǝ": "e", "ɐ": "a", "ɔ": "c", "ɹ": "r", "ʇ": "t", "ʍ": "w", "ʎ": "y", "ı": "i", "ȷ": "j",
    }
)  # fmt: skip
_DEOBFUSCATE = MappingProxyType(
    {ord(k): v for k, v in _CONFUSABLES.items()}
    | {ord(k): v for k, v in zip(_LEET, _LEET_TARGET, strict=True)}
)
_LOOKALIKES = "".join(_CONFUSABLES)
_LATIN_ONLY_LOOKALIKES = "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡʏᴢɑɩǝɐɔɹʇʍʎıȷ"
_ODD = re.escape(_LEET + _LOOKALIKES)
_SUSPECT = re.compile(f"[{_ODD}][a-z]|[{_LATIN_ONLY_LOOKALIKES}]")
_SUSPECT_ASCII = re.compile(f"[{re.escape(_LEET)}][a-z]")
"""A look-alike or leet character before a Latin letter: `pr0mpt`, `1gnore`, `ѕystem`, `ɪɢɴᴏʀᴇ`."""


MAX_SUSPECT_LINES = 64


def _suspect_lines(main: str) -> list[tuple[int, int]]:
    """Where the lines holding look-alike or leet words start and end (at most 64 of them)."""
    suspect = _SUSPECT_ASCII if main.isascii() else _SUSPECT
    lines: list[tuple[int, int]] = []
    for match in suspect.finditer(main):
        position = match.start()
        if lines and position < lines[-1][1]:
            continue
        if len(lines) >= MAX_SUSPECT_LINES:
            break
        start = main.rfind("\n", 0, position) + 1
        end = main.find("\n", position)
        lines.append((start, len(main) if end < 0 else end))
    return lines


def _deobfuscated(main: str) -> str:
    """The lines holding look-alike or leet words, read as plain Latin letters.

    Only those lines: technical text is full of `x86`, `$HOME` and `mp3`, and the classifier
    should not pay for (or be confused by) a second copy of a long benign text.
    """
    lines = _suspect_lines(main)
    return "\n".join(main[start:end] for start, end in lines).translate(_DEOBFUSCATE)


def _deobfuscated_in_place(text: str) -> str:
    """`text` with the lines holding look-alike or leet words read as plain Latin letters."""
    parts: list[str] = []
    last = 0
    for start, end in _suspect_lines(text):
        parts.extend((text[last:start], text[start:end].translate(_DEOBFUSCATE)))
        last = end
    parts.append(text[last:])
    return "".join(parts)


# --- spaced-out letters ---------------------------------------------------------------------

_LEXICON_WORDS = """
    a about above access act admin ai all allowed also always an and answer any anything are as
    assistant at be been before below bypass by can change chat code command commands confidential
    content context data delete deny developer directive directives disable disregard do dont
    enable everything evil execute expose filter filters first follow for forget free from full
    give guard guidelines hack have hidden i if ignore in initial instead instruction instructions
    into is it its jailbreak just key leak limits me message mode model must my new no not now of
    off on only or original other output override password pay permission pretend previous print
    prior prompt prompts protocols pwned read reveal restricted restrictions role rules safety say
    secret secrets security setup show start stop system tell that the them then these this those
    to training unfiltered unrestricted up user verbatim was what will with without you your
    """
_LEXICON = frozenset(_LEXICON_WORDS.split())
"""Words worth recovering from letters spaced out without word gaps ("i g n o r e a l l")."""
_LONGEST_WORD = max(map(len, _LEXICON))
_MAX_SEGMENTED = 2_000


def _segment(letters: str) -> str:
    """Split a run of letters into lexicon words (fewest unknown letters, then fewest words)."""
    n = len(letters)
    if n > _MAX_SEGMENTED:
        return letters
    best: list[tuple[int, int, int]] = [(0, 0, 0)] + [(n + 1, n + 1, 0)] * n
    for end in range(1, n + 1):
        unknown, words, _ = best[end - 1]
        candidate = (unknown + 1, words + 1, end - 1)
        for start in range(max(0, end - _LONGEST_WORD), end):
            if letters[start:end] in _LEXICON:
                u, w, _ = best[start]
                if (u, w + 1) < candidate[:2]:
                    candidate = (u, w + 1, start)
        best[end] = candidate
    pieces: list[str] = []
    end = n
    while end > 0:
        start = best[end][2]
        piece = letters[start:end]
        if piece not in _LEXICON and pieces and pieces[-1] not in _LEXICON:
            pieces[-1] = piece + pieces[-1]  # unknown letters stay together as one word
        else:
            pieces.append(piece)
        end = start
    return " ".join(reversed(pieces))


_SPACED = re.compile(r"(?:(?<![^\W_])[^\W_](?:[ .\-_*\\/|,~]{1,4}[^\W_](?![^\W_])){4,})")
_GAP = re.compile(r"[ .\-_*\\/|,~]+")
_SPACING_BYTES = b" .-_*\\/|,~"
_SPACING_CLASSES = bytes(
    ord(" ") if byte in _SPACING_BYTES or byte < 0x21 else ord("a") for byte in range(256)
)
_SPACED_HINT = b"a a a a a"
"""Letters as `a`, gaps as spaces: three single letters in a row betray spaced-out text cheaply."""


def _collapse_run(match: re.Match[str]) -> str:
    run = match.group()
    letters = _GAP.split(run)
    gaps = _GAP.findall(run)
    if any(len(piece) != 1 for piece in letters):
        return run
    narrowest = min(gaps, key=len)
    if all(gap == narrowest for gap in gaps):
        return " " + _segment("".join(letters).translate(_DEOBFUSCATE)) + " "
    words: list[str] = [letters[0]]
    for gap, letter in zip(gaps, letters[1:], strict=True):
        words.append(letter if gap == narrowest else " " + letter)
    return " " + "".join(words).translate(_DEOBFUSCATE) + " "


def _collapsed(text: str) -> str:
    if _SPACED_HINT not in text.encode("utf-8", "replace").translate(_SPACING_CLASSES):
        return ""
    collapsed = _SPACED.sub(_collapse_run, text)
    return "" if collapsed == text else collapsed


# --- the pipeline ---------------------------------------------------------------------------


def _canonical(text: str) -> str:
    """NFKC, invisible characters removed, controls as spaces, casefolded (no decoding)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
        text = _CONTROL.sub(" ", text)
    elif _ASCII_CONTROL.search(text):
        text = _ASCII_CONTROL.sub(" ", text)
    return text.casefold()


def normalize(text: str) -> Normalized:
    """`text` in canonical form with its hidden, decoded and de-obfuscated variants."""
    hidden_text = ""
    hidden_spans: tuple[tuple[int, int], ...] = ()
    hidden = False
    if text.isascii():
        cleaned = _ASCII_CONTROL.sub(" ", text) if _ASCII_CONTROL.search(text) else text
        main = cleaned.lower()
        aligned = True
    else:
        stripped = text
        raw = text.encode("utf-8", "surrogatepass")
        if _INVISIBLE_UTF8.search(raw):
            payload = _hidden_payload(text)
            hidden_spans = tuple((start, end) for start, end, _ in payload)
            hidden_text = _canonical("\n".join(piece for _, _, piece in payload if piece))
            stripped = _INVISIBLE.sub("", text)
            hidden = bool(payload) or bool(_INVISIBLE.search(_BENIGN_INVISIBLE.sub("", text)))
        nfkc = (
            stripped
            if unicodedata.is_normalized("NFKC", stripped)
            else unicodedata.normalize("NFKC", stripped)
        )
        cleaned = _CONTROL.sub(" ", nfkc) if _CONTROL.search(nfkc) else nfkc
        main = cleaned.casefold()
        aligned = stripped is text and nfkc == stripped and len(main) == len(text)

    variants: list[str] = []
    if hidden_text:
        variants.append(hidden_text)
    decoded = decoded_runs(cleaned, main)
    if decoded:
        decoded = _canonical(decoded)
        variants.append(decoded)
    deobfuscated = _deobfuscated(main)
    if deobfuscated and deobfuscated != main:
        variants.append(deobfuscated)
    collapsed = _collapsed(deobfuscated or main)
    if collapsed:
        variants.append(collapsed)
    unique = tuple(dict.fromkeys(v for v in variants if v != main))
    return Normalized(main, unique, hidden, hidden_text, hidden_spans, aligned, decoded)
