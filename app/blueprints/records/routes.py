"""Reading reports: the published records list and one report's page, as the policy allows."""

from flask import render_template
from flask_login import current_user

from app.blueprints.forms import page_number
from app.blueprints.records import bp
from app.blueprints.submission.forms import AnswerForm, SubmitReportForm
from app.services import reports, workflow


@bp.route("/records/")
def index():
    page = reports.list_published(current_user, page=page_number())
    return render_template("records/index.html", page=page)


@bp.route("/reports/<reference>")
def detail(reference: str):
    view = reports.get_record(current_user, reference)
    if not view.full:
        return render_template("records/notice.html", report=view.report)
    report = view.report
    return render_template(
        "records/detail.html",
        report=report,
        allowed=workflow.allowed(report, current_user),
        history=reports.history_for(current_user, report),
        submit_form=SubmitReportForm(version=report.version),
        answer_form=AnswerForm(version=report.version),
        similar=reports.similar_records(current_user, report),
    )
