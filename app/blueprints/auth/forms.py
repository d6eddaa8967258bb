from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length


class SignInForm(FlaskForm):
    email = EmailField(
        "Email", validators=[DataRequired("Enter your email address."), Length(max=254)]
    )
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    submit = SubmitField("Sign in")


class SetPasswordForm(FlaskForm):
    new_password = PasswordField(
        "New password",
        description="At least 12 characters. A few unrelated words together work well.",
        validators=[DataRequired("Enter a new password.")],
    )
    confirm_password = PasswordField(
        "Confirm new password", validators=[DataRequired("Enter the new password again.")]
    )
    submit = SubmitField("Set password")


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )
    submit = SubmitField("Change password")

    field_order = ("current_password", "new_password", "confirm_password")


class SignOutForm(FlaskForm):
    submit = SubmitField("Sign out")
