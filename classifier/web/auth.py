"""Logins, roles and CSRF tokens for the page, when it has a review database (`classifier.review`).

* Sessions are Flask's signed cookies (key kept in the database), ``HttpOnly``, ``SameSite=Lax`` and ``Secure``
  unless the page is served over plain HTTP on this machine; they last 12 hours. The account is read again on
  every request, so a disabled account is logged out at once, and for good: a session carries the account's
  session generation, which disabling raises, so enabling it again does not bring an old cookie back. Logging out
  revokes the session in the database too (a copied cookie stops working, restart or not:
  `classifier.review.sessions`).
* Once any account exists, every page and the API need a login (a server listening beyond this machine refuses
  every request while no account is enabled, rather than serve without one); the review queue always does, and the admin
  pages need the admin role. A program calls the API with an account's token instead
  (``Authorization: Bearer <token>``, `classifier.review.tokens`); a wrong or revoked token gets a 401.
* Every POST form carries the session's CSRF token (``csrf_token()`` in templates), checked in constant time;
  the JSON API is exempt (a JSON body cannot be sent across sites without the browser asking first, and the
  Origin check refuses cross-site posts).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, flash, g, jsonify, redirect, render_template, request, session, url_for

from classifier.review.sessions import is_revoked, revoke_session
from classifier.review.store import ReviewStore
from classifier.review.tokens import user_for_token
from classifier.review.users import authenticate, get_user, has_users
from classifier.web.throttle import LoginThrottle

__all__ = ["CSRF_FIELD", "install_auth"]

CSRF_FIELD = "csrf_token"
SESSION_HOURS = 12
#: Endpoints anyone may reach: the login page, the stylesheet and script, the favicon.
_PUBLIC = frozenset({"login", "static", "favicon"})
#: Endpoints (by prefix) that need a login even before any account exists, and those that need an admin.
_REVIEW_PREFIXES = ("review", "admin", "logout")
_ADMIN_PREFIX = "admin"
#: POST endpoints that take JSON, not a form.
_CSRF_EXEMPT = frozenset({"api_predict"})
#: Endpoints of forms whose own address is also the page that shows the form (a GET of the same path).
_FORM_PAGES = frozenset({"review_decide", "review_add", "report", "backlog", "login"})
_NO_ACCOUNTS = ("This server listens beyond this machine, but its review database has no enabled account left, so "
                "it answers no one rather than serve without a login. An admin adds or enables one with the same "
                "--db (tension users add NAME --role admin, or tension users enable NAME); the page works again at "
                "once.")


def install_auth(app: Flask, store: ReviewStore, *, secure_cookies: bool, require_accounts: bool = False) -> None:
    """Add the login and logout pages, the login and role checks and the CSRF check to `app`. Failed logins are
    counted per name (`classifier.web.throttle`). With `require_accounts` (a server listening beyond this
    machine), a request while no account is enabled gets a 503 answer instead of the page without a login."""
    app.config.update(
        SECRET_KEY=store.session_secret(),
        SESSION_COOKIE_NAME="tension_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
    )

    throttle = LoginThrottle()
    app.extensions["tension_login_throttle"] = throttle

    @app.context_processor
    def _auth_globals() -> dict[str, Any]:
        return {"csrf_token": _csrf_token, "current_user": g.get("user"), "accounts": True}

    @app.before_request
    def _require_login():
        g.user = None
        bearer = _bearer_token()
        if bearer is not None and request.path.startswith("/api/"):
            g.user = user_for_token(store, bearer)
            if g.user is None:
                return (jsonify(error="This API token is wrong or revoked, or its account is disabled. Ask an admin "
                                      "for a new one (tension users token NAME).", status=401), 401,
                        {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return None
        user_id = session.get("user_id")
        if user_id is not None and is_revoked(store, session.get("csrf")):
            session.clear()
            user_id = None
        if user_id is not None:
            user = get_user(store, int(user_id))
            if user is None or user.disabled or session.get("generation", 0) != user.session_generation:
                session.clear()
            else:
                g.user = user
        endpoint = request.endpoint or ""
        if endpoint in _PUBLIC:
            return None
        if g.user is None and not endpoint.startswith(_REVIEW_PREFIXES) and not has_users(store):
            if require_accounts:
                abort(503, description=_NO_ACCOUNTS)
            return None  # no account yet: the label page and the API are open, on this machine only
        if g.user is None:
            if request.path.startswith("/api/"):
                return (jsonify(error="This server has accounts: send an account's token as 'Authorization: Bearer "
                                      "<token>' (an admin makes one with `tension users token NAME`), or log in on "
                                      "the page first.", status=401), 401, {"WWW-Authenticate": "Bearer"})
            if request.method == "POST":  # a decision sent after the session ended: say it was not saved
                flash("Your session had ended, so what you sent was not saved. Log in, then do it again.", "error")
            return redirect(url_for("login", next=request.full_path.rstrip("?")), code=303)
        if endpoint.startswith(_ADMIN_PREFIX) and not g.user.is_admin:
            abort(403, description="Only an admin may use this page. Ask an admin to do it.")
        return None

    @app.before_request
    def _check_csrf():
        if request.method != "POST" or request.endpoint in _CSRF_EXEMPT:
            return None
        given = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
        expected = session.get("csrf", "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            if request.path.startswith("/api/"):
                abort(400, description="This request's security token is missing or wrong (send the page's "
                                       "X-CSRF-Token, or use an API token).")
            # Reloading would send the stale token again: link to the page the form came from instead.
            back = _same_site_referrer() or (request.path if request.endpoint in _FORM_PAGES else url_for("report"))
            return render_template(
                "error.html", code=400, title="This form has expired",
                message="This form has expired or did not come from this page (its security token is missing or "
                        "wrong), so nothing was saved. Open the page again and send the form from there.",
                back=back), 400
        return None

    def _same_site_referrer() -> str | None:
        """The page the form was sent from, when it is a page of this site (its path and query), else None."""
        referrer = request.referrer
        if not referrer:
            return None
        parts = urlsplit(referrer)
        if parts.netloc != request.host or parts.scheme not in ("http", "https"):
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @app.route("/login", methods=["GET", "POST"])
    def login():
        target = _safe_next(request.values.get("next"))
        if request.method == "GET":
            return render_template("login.html", error=None, next=target, name="", no_accounts=not has_users(store))
        name = request.form.get("name", "").strip()
        wait = throttle.wait(name)
        if wait:
            minutes = max(1, round(wait / 60))
            return render_template("login.html", next=target, name=name, no_accounts=not has_users(store),
                                   error=f"Too many failed logins for this name: try again in about {minutes} "
                                         "minute(s), or ask an admin to check the account."), 429, {
                                             "Retry-After": str(wait)}
        user = authenticate(store, name, request.form.get("password", ""))
        if user is None:
            throttle.failed(name)
            return render_template("login.html", next=target, name=name, no_accounts=not has_users(store),
                                   error="Wrong name or password, or the account is disabled."), 401
        throttle.succeeded(name)
        session.clear()  # a new session for the new login (no fixation)
        session.permanent = True
        session["user_id"] = user.id
        session["generation"] = user.session_generation
        _csrf_token()
        return redirect(target, code=303)

    @app.post("/logout")
    def logout():
        if session.get("csrf"):
            revoke_session(store, session["csrf"], timedelta(hours=SESSION_HOURS))
        session.clear()
        return redirect(url_for("login"), code=303)


def _bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None without one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site only (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/review"
    return target
