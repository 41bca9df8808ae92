from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from .service import link_allowed


class SendForm(FlaskForm):
    target = SelectField("Send to", choices=[])
    title = StringField(
        "Title", default="Hello from Push Lab", validators=[DataRequired(), Length(max=100)]
    )
    message = TextAreaField(
        "Message",
        default="This push was sent to you from the Push Lab site.",
        validators=[DataRequired(), Length(max=500)],
    )
    url = StringField("Open this URL on tap (optional)", validators=[Optional(), Length(max=1500)])
    # set by the page while the browser simulates the app: its subscription id
    simulated = HiddenField(validators=[Optional(), Length(max=64)])

    def validate_url(self, field):
        parts = urlsplit(field.data or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError("Use a full http:// or https:// address.")
        if not link_allowed(field.data):
            raise ValidationError(
                "A push may open only a page of this site on tap (or of a host the site's "
                "operator allows in SEND_LINK_HOSTS)."
            )


class MessageForm(FlaskForm):
    # Offered from a list of the people you have written with (datalist
    # "recipient-options" and the buttons of inbox.html); someone new by their exact email.
    recipient = EmailField(
        "To",
        validators=[DataRequired(), Length(max=254)],
        render_kw={"list": "recipient-options", "spellcheck": "false"},
    )
    body = TextAreaField("Message", validators=[DataRequired(), Length(max=1000)])
