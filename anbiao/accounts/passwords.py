"""Password complexity beyond Django's validators: at least three of four character classes."""

import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

CLASSES = {
    "大写字母": re.compile(r"[A-Z]"),
    "小写字母": re.compile(r"[a-z]"),
    "数字": re.compile(r"[0-9]"),
    "符号": re.compile(r"[^A-Za-z0-9]"),
}


class CharacterClassValidator:
    """Requires `min_classes` of: upper case, lower case, digits, symbols (等保 practice)."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        present = [name for name, pattern in CLASSES.items() if pattern.search(password)]
        if len(present) < self.min_classes:
            raise ValidationError(
                "密码须包含大写字母、小写字母、数字、符号中的至少%(n)d类,当前只有%(have)d类。",
                code="password_too_simple",
                params={"n": self.min_classes, "have": len(present)},
            )

    def get_help_text(self) -> str:
        return f"密码须包含大写字母、小写字母、数字、符号中的至少{self.min_classes}类。"


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's length rule, with a Chinese message (its zh-hans plural form is untranslated)."""

    def get_error_message(self) -> str:
        return f"密码太短,至少需要{self.min_length}个字符。"

    def get_help_text(self) -> str:
        return f"密码至少需要{self.min_length}个字符。"
