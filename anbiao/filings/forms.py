from django import forms

from anbiao.core.forms import StyledForm

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SubmitForm(StyledForm):
    """报送: a scheduled period (its key), or 临时报送 as of a date."""

    period = forms.ChoiceField(label="报送期", required=False)
    as_of = forms.DateField(
        label="临时报送统计截至日期",
        required=False,
        widget=DATE_INPUT,
        help_text="不选报送期时填写",
    )
    note = forms.CharField(label="报送说明", required=False, max_length=500)

    def __init__(self, *args, periods=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The newest period not yet filed comes first and is chosen; 临时报送 is the last choice.
        self.fields["period"].choices = [
            (p.key, f"{p.label}(截至{p.as_of:%m月%d日},{p.due_on:%m月%d日}前报送)") for p in periods
        ] + [("", "临时报送(按下方日期)")]
        if periods and not self.is_bound:
            self.initial.setdefault("period", periods[0].key)

    def clean(self):
        data = super().clean()
        if not data.get("period") and not data.get("as_of"):
            self.add_error("as_of", "请选择报送期,或填写临时报送的统计截至日期")
        return data


class ReturnForm(StyledForm):
    comment = forms.CharField(
        label="退回意见", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class RollupForm(StyledForm):
    on = forms.DateField(label="统计日期", required=False, widget=DATE_INPUT)
