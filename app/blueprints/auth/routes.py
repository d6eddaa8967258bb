from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.blueprints.auth import bp
from app.blueprints.auth.forms import ChangePasswordForm, SetPasswordForm, SignInForm, SignOutForm
from app.blueprints.forms import apply_field_errors, form_status
from app.extensions import limiter
from app.services import accounts
from app.services.errors import SignInRefused, SignInThrottled, ValidationFailed


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never send a user on to another host after signing in.
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/"):
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                email=form.email.data,
                password=form.password.data,
                ip_address=request.remote_addr or "-",
            )
        except (SignInRefused, SignInThrottled) as exc:
            form.form_errors.append(exc.message)
            status = exc.status
        else:
            session.clear()  # a fresh session on sign-in (no fixation)
            session.permanent = True
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), max(status, form_status(form))


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    form = SignOutForm()
    if form.validate_on_submit():
        accounts.record_logout(current_user)
        logout_user()
        session.clear()
        flash("You have signed out.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.change_password(
                actor=current_user,
                current_password=form.current_password.data,
                new_password=form.new_password.data,
                confirm=form.confirm_password.data,
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        else:
            login_user(user)  # keep this session; the password change ended the others
            flash("Your password has been changed. Other sessions have been signed out.", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form), form_status(form)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def set_password(token: str):
    try:
        user = accounts.user_for_password_token(token)
    except ValidationFailed as exc:
        return render_template("auth/link_invalid.html", message=exc.message), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password_with_token(
                token=token, new_password=form.new_password.data, confirm=form.confirm_password.data
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        else:
            flash("Your password has been set. You can now sign in.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user), form_status(form)
