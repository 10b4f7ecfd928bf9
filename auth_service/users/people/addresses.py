"""Email addresses as auth stores and compares them: one normal form, and no look-alikes.

An address is NFKC-normalised (full-width letters become plain ones), trimmed and lower-cased,
then checked by email-validator (syntax, internationalised domains, unsafe characters such as
zero-width spaces). A new address must also read as what it looks like: no invisible character,
and its local part and its domain each written in one script. Accented letters count as their
plain letter (`josé` is fine), but a letter of another script, or a Latin letter outside ASCII
that looks like an ASCII one, beside ASCII letters is refused: `bars-adm\u0131n` (a dotless i) or
`b\u0430rs` (a Cyrillic a) would otherwise pass for `bars-admin` and `bars`.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from email_validator import EmailNotValidError, validate_email

# Scripts written together in one language count as one (Japanese, Korean, Chinese).
_HAN = {"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO", "IDEOGRAPHIC"}
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Co", "Cn", "Cs", "Zs", "Zl", "Zp"}


def normalize_email(email: str) -> str:
    """The stored form of an address (or of what someone typed to sign in): NFKC, trimmed, lower-case."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def _script(letter: str) -> str:
    plain = unicodedata.normalize("NFKD", letter)[0]  # an accented letter counts as its base letter
    if plain.isascii():
        return "ASCII"
    word = unicodedata.name(plain, "UNKNOWN").split(" ")[0]
    return "HAN" if word in _HAN else word


def _mixed_scripts(text: str) -> set[str]:
    scripts = {_script(character) for character in text if character.isalpha()}
    return scripts if len(scripts) > 1 else set()


def validated_new_email(email: str) -> str:
    """The stored form of an address a person registers with, or a ValidationError saying what is wrong."""
    address = normalize_email(email)
    invisible = [character for character in address if unicodedata.category(character) in _INVISIBLE_CATEGORIES]
    if invisible:
        names = ", ".join(sorted({unicodedata.name(character, f"U+{ord(character):04X}") for character in invisible}))
        raise ValidationError(f"The address contains invisible characters: {names}.", code="invalid")
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationError(str(error), code="invalid") from error
    local_part, domain = checked.local_part, checked.domain.lower()
    for part, text in (("name", local_part), ("domain", domain)):
        scripts = _mixed_scripts(text)
        if scripts:
            raise ValidationError(
                f"The address mixes letters of different scripts in its {part} ({', '.join(sorted(scripts))}), "
                "so it could pass for another address.",
                code="look_alike",
            )
    return f"{local_part.lower()}@{domain}"
