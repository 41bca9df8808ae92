from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    EmailField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
)

# type/subtype and optional parameters: nothing that could end the header
MIME_PART = r"[A-Za-z0-9!#$&^_.+-]+"
MIME_RE = rf"^{MIME_PART}/{MIME_PART}( ?; ?[A-Za-z0-9_.-]+=[A-Za-z0-9_.\"-]+)*\Z"


class EndpointForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])


class ShareForm(FlaskForm):
    email = EmailField("Teammate's email", validators=[DataRequired(), Length(max=254)])


def finite(form, field) -> None:
    if field.data is not None and not field.data.is_finite():
        raise StopValidation("A delay from 0 to 10 seconds.")


class ReplyForm(FlaskForm):
    status = IntegerField(
        "Status code",
        validators=[
            DataRequired("Give a status code from 200 to 599."),
            NumberRange(200, 599, "A status code from 200 to 599."),
        ],
    )
    content_type = StringField(
        "Content type",
        default="application/json",
        validators=[
            DataRequired("Give a content type, e.g. application/json."),
            Length(max=100),
            Regexp(MIME_RE, message="A type like text/plain or application/json; charset=utf-8."),
        ],
    )
    body = TextAreaField("Body", validators=[Length(max=65536, message="At most 64 KiB.")])
    delay = DecimalField(
        "Delay (seconds)",
        places=None,
        validators=[Optional(), finite, NumberRange(0, 10, "A delay from 0 to 10 seconds.")],
    )


class ClearReplyForm(FlaskForm):
    """Back to the receiver's own answer (the form carries only its CSRF token)."""


class ForwardForm(FlaskForm):
    """Where each capture is also sent, and which answer the app gets."""

    url = URLField(
        "Forward URL",
        validators=[
            DataRequired("Give your backend's URL, e.g. https://api.example.com/push"),
            Length(max=2048),
        ],  # fmt: skip
    )
    answer = RadioField(
        "The app gets",
        choices=[
            SelectChoice("site", "this site's answer"),
            SelectChoice("backend", "your backend's answer, as it came"),
        ],  # fmt: skip
        default="site",
    )
