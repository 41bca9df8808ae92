from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length


class EndpointForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])


class ShareForm(FlaskForm):
    email = EmailField("Teammate's email", validators=[DataRequired(), Length(max=254)])
