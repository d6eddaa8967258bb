from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired


class SubmitReportForm(FlaskForm):
    version = HiddenField()
    submit = SubmitField("Submit to the DCC for validation")


class AnswerForm(FlaskForm):
    version = HiddenField()
    answer = TextAreaField("Your answer", validators=[DataRequired("Enter your answer.")])
    submit = SubmitField("Send answer")
