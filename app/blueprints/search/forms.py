from flask_wtf import FlaskForm
from wtforms import DateField, SearchField, SelectField, SubmitField
from wtforms.validators import Length, Optional

from app.blueprints.forms import options


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(
        "Search reports and DSMS records",
        validators=[Length(max=500)],
        description='All words must match. Use "quotes" for a phrase and -word to exclude; '
        "versions (3.2.1), alert codes (8F35) and model codes (AM-E470) match as typed.",
    )
    date_from = DateField("From date", validators=[Optional()])
    date_to = DateField("To date", validators=[Optional()])
    sort = SelectField(
        "Sort by",
        choices=options(
            [("relevance", "Best match"), ("newest", "Newest first"), ("oldest", "Oldest first")]
        ),
        default="relevance",
    )
    submit = SubmitField("Search")
