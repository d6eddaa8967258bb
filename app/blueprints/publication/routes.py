"""The monthly SECAS publication: editions, the build button and audited downloads."""

from functools import wraps
from io import BytesIO

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from app.blueprints.forms import apply_field_errors, page_number
from app.blueprints.publication import bp
from app.blueprints.publication.forms import BuildEditionForm
from app.services import publication
from app.services.errors import ValidationFailed


def _index(form: BuildEditionForm, status: int = 200):
    editions = publication.list_editions(current_user, page=page_number())
    return render_template("publication/index.html", editions=editions, form=form), status


@bp.route("/")
def index():
    return _index(BuildEditionForm())


@bp.post("/build")
def build():
    form = BuildEditionForm()
    if not form.validate_on_submit():
        return _index(form, 422)
    try:
        edition = publication.request_build(
            actor=current_user,
            month=form.month.data,
            new_version=form.new_version.data,
            reason=form.reason.data or "",
        )
    except ValidationFailed as exc:
        apply_field_errors(form, exc)
        return _index(form, 422)
    flash(
        f"Version {edition.version} of the {edition.month_label} edition is queued; it is built in "
        "the background and shown here as ready when done.",
        "success",
    )
    return redirect(url_for(".index"))


def _send(download: publication.Download):
    response = send_file(
        BytesIO(download.data),
        mimetype=download.mimetype,
        as_attachment=True,
        download_name=download.filename,
        etag=False,
    )
    # Editions are restricted until SECAS releases them: kept in no cache, like every page.
    response.headers["Cache-Control"] = "no-store"
    return response


def _get_only(view):
    """Flask answers HEAD with the GET view, which would record a download nobody received:
    downloads refuse HEAD (405), so every audited download is a GET that sent the file."""

    @wraps(view)
    def refusing_head(**kwargs):
        if request.method == "HEAD":
            return "", 405, {"Allow": "GET"}
        return view(**kwargs)

    return refusing_head


@bp.route("/<month>.<any(pdf, csv):fmt>")
@_get_only
def download(month: str, fmt: str):
    return _send(publication.download(actor=current_user, month=month, fmt=fmt))


@bp.route("/<month>/v<int:version>.<any(pdf, csv):fmt>")
@_get_only
def download_version(month: str, version: int, fmt: str):
    return _send(publication.download(actor=current_user, month=month, fmt=fmt, version=version))
