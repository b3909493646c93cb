"""The rule every new password follows, whoever sets it (an administrator, the user, the command
line, the demo): at least 12 characters, not only blanks, and not on the list of common passwords
that zxcvbn ships (the 30,000 passwords most often found in leaks; maintained with the package,
so we keep no list of our own)."""

from __future__ import annotations

from zxcvbn.frequency_lists import FREQUENCY_LISTS

from ..i18n import text
from .errors import Invalid

MIN_LENGTH = 12
# zxcvbn keeps its lists lowercase; "QWERTY123456" is as common as "qwerty123456".
COMMON = frozenset(FREQUENCY_LISTS["passwords"])


def check_new_password(password: str) -> None:
    """Raise ``Invalid`` (saying what to do) if ``password`` may not be used."""
    if len(password) < MIN_LENGTH:
        raise Invalid(
            text(
                f"密码至少 {MIN_LENGTH} 个字符（现在 {len(password)} 个）",
                f"the password needs at least {MIN_LENGTH} characters (it has {len(password)})",
            )
        )
    if not password.strip():
        raise Invalid(
            text("密码不能只由空白字符组成", "the password cannot be only blanks (spaces, tabs)")
        )
    if password.lower() in COMMON:
        raise Invalid(
            text(
                "这是常见密码（出现在泄露的密码清单中），请换一个",
                "this is a common password (it appears in lists of leaked passwords); "
                "choose another",
            )
        )
