from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from ..devices.external_id import problem_with


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField("Keep me logged in on this device")
    next = HiddenField()


class SignupForm(FlaskForm):
    email = EmailField(
        "Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=8, max=1024, message="Use 8 characters or more.")],
    )
    confirm = PasswordField(
        "Repeat password", validators=[EqualTo("password", message="The passwords differ.")]
    )
    next = HiddenField()


class ExternalIdForm(FlaskForm):
    external_id = StringField("External user id", validators=[DataRequired(), Length(max=128)])

    def validate_external_id(self, field):
        problem = problem_with(field.data)
        if problem:
            raise ValidationError(problem)


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=1024)]
    )
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=8, max=1024, message="Use 8 characters or more.")],
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[EqualTo("new_password", message="The passwords differ.")],
    )
