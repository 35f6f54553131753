"""Response headers Django's own settings do not cover, and the CSP nonce.

- `Cache-Control: private, no-store` on everything a signed-in user gets and on every API
  answer that does not declare itself public: browsers and proxies keep no copy of
  personal or staff data (the back button after logging out shows nothing).
- `Permissions-Policy` (settings.PERMISSIONS_POLICY): browser features no page uses.
- The public survey picks its language from a `jezyk` parameter (Polish without one),
  not from the language cookie or the browser's languages (it sets no cookies), and so
  does the API when asked with one: that language is made the request's, so
  `Content-Language` (set by LocaleMiddleware) names the language the page is in.
- One CSP nonce per signed-in session (CSPMiddleware below).
"""

from collections.abc import Callable

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control

API_PREFIX = "/api/"
# URL namespaces (surveys/urls.py, surveys/api_urls.py) that read the language from
# `jezyk`, and the language each falls back to without it (None: LocaleMiddleware's).
PARAMETER_LANGUAGE = {"ankieta": "pl", "api": None}
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
NONCE_SESSION_KEY = "csp_nonce"


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware; for a signed-in user the nonce lasts the session.

    The staff pages run on Turbo (viewflow's Material frontend): after the first page,
    each next one is fetched and its <body> swapped into the same document, which keeps
    the first page's policy. An inline <script> or <style> carrying the next response's
    own nonce would be refused there, so every page of a session carries the same one
    (what Rails does for Turbo). It lives in the server-side session, never in a cookie,
    and changes at each sign-in. Anonymous pages (login, the public survey) keep a fresh
    nonce per response; the login form is not submitted through Turbo, so the first
    signed-in page is always a full page load.
    """

    def _make_nonce(self, request: HttpRequest) -> str:
        if getattr(request, "_csp_nonce", None) is None and _signed_in(request):
            nonce = request.session.get(NONCE_SESSION_KEY)
            if not isinstance(nonce, str):
                nonce = super()._make_nonce(request)
                request.session[NONCE_SESSION_KEY] = nonce
            request._csp_nonce = nonce  # type: ignore[attr-defined]
        return super()._make_nonce(request)


class SecurityHeadersMiddleware:
    """Cache-Control, Permissions-Policy and the public survey's language (see above)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if _signed_in(request) or _private_api(request, response):
            patch_cache_control(response, private=True, no_store=True)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict
    ) -> None:
        match = request.resolver_match
        if match is None or match.namespace not in PARAMETER_LANGUAGE:
            return  # everything else follows the user's language (LocaleMiddleware)
        language = request.GET.get("jezyk")
        if language is None and request.method == "POST" and request.content_type in FORM_TYPES:
            language = request.POST.get("jezyk")
        if language not in dict(settings.LANGUAGES):
            language = PARAMETER_LANGUAGE[match.namespace]
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language


def _signed_in(request: HttpRequest) -> bool:
    # Without a session cookie nobody is signed in, unless this request signed in (and so
    # changed the session); asking request.user would add "Vary: Cookie" to public pages.
    session = getattr(request, "session", None)
    if settings.SESSION_COOKIE_NAME not in request.COOKIES and not (session and session.modified):
        return False
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated)


def _private_api(request: HttpRequest, response: HttpResponse) -> bool:
    if not request.path.startswith(API_PREFIX):
        return False
    return "public" not in response.get("Cache-Control", "")
