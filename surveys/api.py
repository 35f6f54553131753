"""The survey API (DRF, documented by drf-spectacular at /api/schema/).

- GET  /api/v1/questionnaires/<slug>/            the open version, for kiosk apps (public)
- POST /api/v1/questionnaires/<slug>/responses/  submit one response (public; the same
  validation, one-time token, rate limit and anonymity as the web form)
- GET  /api/v1/responses/                       single responses (quality coordinator)
- GET  /api/v1/responses/export/?as=csv|xlsx[&labels=1]  all of them as a file (the same)

Single responses (answers, desk, date, free text) are for the quality coordinator only:
everyone else reads aggregates (`selectors.can_read_single_responses`). Each read is
written to the audit log, and a response is named by its export reference, never by
its database id. A query parameter with a value the schema does not allow (an empty one
included) is a 400, never silently ignored. Errors have one shape: `surveys.api_errors`.
"""

import re
from typing import Any

from django.db.models import F
from django.db.models.expressions import CombinedExpression
from django.http import QueryDict, StreamingHttpResponse
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from qms.http import client_address
from qms.models import AuditEntry, ServiceCard
from qms.services import audit_record
from surveys import exports, selectors
from surveys.api_errors import REQUEST, error_answer
from surveys.forms import ResponseForm, field_name
from surveys.models import Channel, Desk, Question, QuestionnaireVersion, Response
from surveys.services import (
    ResponseSource,
    Submitted,
    submit_response,
)
from surveys.tokens import new_submission_token
from surveys.views import PUBLIC_CHANNELS

# --- query parameters ------------------------------------------------------------------


class DayField(serializers.DateField):
    """YYYY-MM-DD and nothing else, as the schema's `format: date` promises (Python's own
    parser would also take 20240131 or 2024-W05-3)."""

    default_error_messages = {"invalid": gettext_lazy("Use the date format YYYY-MM-DD.")}

    def to_internal_value(self, value):
        if not (isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)):
            self.fail("invalid")
        return super().to_internal_value(value)


class PageField(serializers.IntegerField):
    """Digits only: DRF's IntegerField would also take "1.0", " 1" or "1_0"."""

    def to_internal_value(self, data):
        if not (isinstance(data, str) and re.fullmatch(r"[0-9]+", data)):
            self.fail("invalid")
        return super().to_internal_value(data)


class LanguageQuery(serializers.Serializer):
    jezyk = serializers.ChoiceField(
        choices=[("pl", "Polish"), ("en", "English")],
        default="pl",
        help_text="Language of texts and errors.",
    )


class ResponseQuery(serializers.Serializer):
    channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, help_text="Only responses from this channel."
    )
    since = DayField(required=False, help_text="Only responses submitted on or after this day.")
    until = DayField(required=False, help_text="Only responses submitted on or before this day.")
    page = PageField(
        min_value=1, required=False, help_text="A page number within the paginated result set."
    )


class ExportQuery(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {  # `as` is a Python keyword: no class attribute can carry the name
            "as": serializers.ChoiceField(
                choices=[("csv", "CSV, UTF-8"), ("xlsx", "Excel: labelled sheet and codes")],
                default="csv",
            ),
            "labels": serializers.ChoiceField(
                choices=[("0", "question keys and option values"), ("1", "labels")],
                default="0",
                help_text="CSV with headers and option labels in the request's language "
                "(default: question keys and option values). XLSX has both sheets.",
            ),
        }


def _query(serializer: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The validated query string. A plain dict, not the QueryDict: DRF reads an empty
    optional value in a QueryDict as "not given", and `?until=` must be an error."""
    query = serializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return query.validated_data


BAD_QUERY = error_answer("A query parameter has a value the schema does not allow.")
SLUG = OpenApiParameter(
    "slug",
    str,
    OpenApiParameter.PATH,
    pattern=r"^[-a-zA-Z0-9_]+$",
    description="The questionnaire's address.",
    examples=[OpenApiExample("The default questionnaire", value="karty-uslug")],
)
NO_QUESTIONNAIRE = error_answer("No questionnaire is open at this address.")


# --- the public questionnaire -----------------------------------------------------------


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    not_applicable = serializers.BooleanField(source="is_not_applicable")


class QuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    page = serializers.IntegerField()
    text = serializers.CharField()
    help = serializers.CharField()
    required = serializers.BooleanField()
    max_length = serializers.IntegerField()
    show_if_key = serializers.CharField()
    show_if_values = serializers.ListField(child=serializers.CharField())
    choices = ChoiceSerializer(many=True)


class ServiceSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    unit = serializers.CharField(source="unit.name")


class VersionSerializer(serializers.Serializer):
    questionnaire = serializers.CharField(source="questionnaire.slug")
    title = serializers.CharField(source="questionnaire.title")
    version = serializers.IntegerField(source="number")
    intro = serializers.CharField()
    pages = serializers.IntegerField(source="page_count")
    closes_on = serializers.DateField(allow_null=True, help_text="null: open until closed")
    questions = QuestionSerializer(many=True)


def _open_version(slug: str) -> QuestionnaireVersion:
    version = selectors.open_version(slug)
    if version is None:
        raise exceptions.NotFound(_("No questionnaire is open at this address."))
    return version


class QuestionnaireView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="questionnaire_open",
        parameters=[SLUG, LanguageQuery],
        responses={
            200: inline_serializer(
                "ActiveQuestionnaire",
                {
                    "version": VersionSerializer(),
                    "services": ServiceSerializer(many=True),
                    "submission_token": serializers.CharField(),
                },
            ),
            400: BAD_QUERY,
            404: NO_QUESTIONNAIRE,
        },
    )
    def get(self, request: Request, slug: str) -> ApiResponse:
        """The open version of a questionnaire with a fresh one-time submission token."""
        with translation.override(_query(LanguageQuery, request)["jezyk"]):
            version = _open_version(slug)
            questions = version.questions.prefetch_related("choices")
            body = {
                "version": {
                    **VersionSerializer(version).data,
                    "questions": QuestionSerializer(questions, many=True).data,
                },
                "services": ServiceSerializer(
                    ServiceCard.objects.filter(is_active=True).select_related("unit"), many=True
                ).data
                if any(q.kind == Question.Kind.SERVICE for q in questions)
                else [],
                "submission_token": new_submission_token(version),
            }
        return ApiResponse(body)


# --- anonymous submission ---------------------------------------------------------------


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string"},
            {"type": "integer"},
            {"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "integer"}]}},
        ]
    }
)
class AnswerField(serializers.Field):
    default_error_messages = {
        "invalid": gettext_lazy("Give an option's value, a list of values, a number or text.")
    }

    def to_internal_value(self, data):
        values = data if isinstance(data, list) else [data]
        if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class SubmitSerializer(serializers.Serializer):
    token = serializers.CharField(
        min_length=1, help_text="submission_token from the questionnaire endpoint"
    )
    channel = serializers.ChoiceField(
        choices=[Channel.WEB, Channel.QR, Channel.KIOSK], default=Channel.WEB
    )
    desk = serializers.CharField(required=False, allow_blank=True, help_text="desk code")
    kiosk_key = serializers.UUIDField(
        required=False, help_text="the desk tablet's key; required for the kiosk channel"
    )
    answers = serializers.DictField(
        child=AnswerField(),
        help_text="question key → choice value, list of values (multiple choice), "
        "number (0–10 scale) or text; the service question takes a service card code",
    )
    suggestion = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SubmitView(APIView):
    authentication_classes: list = []  # anonymous: no session, no cookies
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="response_submit",
        parameters=[SLUG, LanguageQuery],
        request=SubmitSerializer,
        responses={
            201: inline_serializer("Stored", {"status": serializers.CharField()}),
            200: inline_serializer("AlreadyStored", {"status": serializers.CharField()}),
            400: error_answer(
                "The body or a query parameter is invalid: malformed JSON, an unknown "
                "question, desk or kiosk, an answer the question does not take, an expired "
                "token. Nothing is stored."
            ),
            404: NO_QUESTIONNAIRE,
            415: error_answer("The body is not JSON."),
            429: error_answer("Too many responses from this address this hour."),
        },
    )
    def post(self, request: Request, slug: str) -> ApiResponse:
        """Store one anonymous response; a repeated token stores nothing more."""
        with translation.override(_query(LanguageQuery, request)["jezyk"]):
            return self._submit(request, _open_version(slug))

    def _submit(self, request: Request, version: QuestionnaireVersion) -> ApiResponse:
        payload = SubmitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        questions = {q.key: q for q in version.questions.all()}
        unknown = sorted(set(data["answers"]) - set(questions))
        if unknown:
            message = _("There is no such question in this version.")
            raise exceptions.ValidationError({"answers": {key: [message] for key in unknown}})
        desk = None
        if data["channel"] == Channel.KIOSK:
            # Only the desk's own tablet speaks for the kiosk channel.
            desk = Desk.objects.filter(kiosk_key=data.get("kiosk_key")).first()
            if desk is None:
                raise exceptions.ValidationError({"kiosk_key": [_("This kiosk is not known.")]})
        elif data.get("desk"):
            desk = Desk.objects.filter(code=data["desk"]).first()
            if desk is None:
                raise exceptions.ValidationError({"desk": [_("There is no such desk.")]})
        form_data = QueryDict(mutable=True)
        form_data["token"] = data["token"]
        for key, value in data["answers"].items():
            values = value if isinstance(value, list) else [value]
            form_data.setlist(field_name(questions[key]), [str(v) for v in values])
        form = ResponseForm(form_data, version=version)
        if not form.is_valid():
            answers = {
                name.removeprefix("q_"): messages
                for name, messages in form.errors.items()
                if name.startswith("q_")
            }
            other = {
                REQUEST if name == "__all__" else name: messages
                for name, messages in form.errors.items()
                if not name.startswith("q_")
            }
            raise exceptions.ValidationError({"answers": answers, **other} if answers else other)
        channel = data["channel"]
        outcome = submit_response(
            version=version,
            token=data["token"],
            answers=form.cleaned_answers(),
            source=ResponseSource(
                channel=channel if channel in PUBLIC_CHANNELS | {Channel.KIOSK} else Channel.WEB,
                desk=desk,
            ),
            address=client_address(request._request),
            suggestion=data.get("suggestion", ""),
        )
        if outcome == Submitted.TOKEN_INVALID:
            raise exceptions.ValidationError(
                {"token": [_("The form was open for too long. Fetch a new token.")]}
            )
        if outcome == Submitted.RATE_LIMITED:
            raise exceptions.Throttled(
                detail=_("Too many surveys from this address. Please try again later.")
            )
        if outcome == Submitted.ALREADY_STORED:
            return ApiResponse({"status": "already stored"}, status=status.HTTP_200_OK)
        return ApiResponse({"status": "stored"}, status=status.HTTP_201_CREATED)


# --- single responses (the quality coordinator) -----------------------------------------


class ResponseSerializer(serializers.ModelSerializer):
    ref = serializers.SerializerMethodField(
        help_text="The response's stable reference, as in the `response` column of exports "
        "(not its database id, which would tell the order of submission)."
    )
    questionnaire = serializers.CharField(source="version.questionnaire.slug")
    version = serializers.IntegerField(source="version.number")
    desk = serializers.CharField(source="desk.code", allow_null=True, default=None)
    service_card = serializers.CharField(source="service_card.code", allow_null=True, default=None)
    service_revision = serializers.IntegerField(
        source="service_revision.number", allow_null=True, default=None
    )
    answers = serializers.SerializerMethodField()

    class Meta:
        model = Response
        fields = [
            "ref",
            "submitted_on",
            "channel",
            "questionnaire",
            "version",
            "desk",
            "service_card",
            "service_revision",
            "answers",
        ]

    def get_ref(self, response: Response) -> str:
        return exports.response_ref(response)

    def get_answers(self, response: Response) -> dict[str, list[str]]:
        values: dict[str, list[str]] = {}
        for answer in response.answers.all():
            if answer.choice is not None:
                value = answer.choice.value
            elif answer.number is not None:
                value = str(answer.number)
            else:
                value = answer.text
            values.setdefault(answer.question.key, []).append(value)
        return values


class ReadsSingleResponses(IsAuthenticated):
    message = gettext_lazy(
        "Single responses are for the quality coordinator only; reports show aggregates."
    )

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and selectors.can_read_single_responses(
            request.user
        )


FORBIDDEN = error_answer("Not signed in, or not the quality coordinator.")

# Ordered by id, a day's responses would tell in which order the clients answered (and,
# with the desk, who answered what). A keyed permutation of the id (multiplication
# modulo a prime) keeps pages stable without that order.
ORDER_MODULUS = 2**31 - 1


def _unrevealing_order() -> CombinedExpression:
    key = int(salted_hmac("surveys.api.order", "").hexdigest()[:7], 16) + 1
    return (F("pk") * key) % ORDER_MODULUS


class ResponseListView(generics.ListAPIView):
    """Live single responses, newest day first (quality coordinator; audited)."""

    serializer_class = ResponseSerializer
    permission_classes = [ReadsSingleResponses]

    def get_queryset(self):
        query = _query(ResponseQuery, self.request)
        responses = selectors.response_list(self.request.user)
        if "channel" in query:
            responses = responses.filter(channel=query["channel"])
        if "since" in query:
            responses = responses.filter(submitted_on__gte=query["since"])
        if "until" in query:
            responses = responses.filter(submitted_on__lte=query["until"])
        return responses.order_by("-submitted_on", _unrevealing_order())

    @extend_schema(
        operation_id="response_list",
        parameters=[ResponseQuery],
        responses={
            200: ResponseSerializer(many=True),
            400: BAD_QUERY,
            403: FORBIDDEN,
            404: error_answer("The page is past the last one."),
        },
    )
    def get(self, request: Request, *args, **kwargs) -> ApiResponse:
        response = self.list(request, *args, **kwargs)
        audit_record(
            user=request.user,
            action=AuditEntry.Action.RESPONSE_LIST,
            route=request.path,
            params=request.query_params.dict(),
            rows=len(response.data["results"]),
        )
        return response


class ResponseExportView(APIView):
    permission_classes = [ReadsSingleResponses]

    @extend_schema(
        operation_id="response_export",
        parameters=[ExportQuery],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV"),
            (200, exports.XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX"),
            (400, "application/json"): BAD_QUERY,
            (403, "application/json"): FORBIDDEN,
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        """Every live response, one column per question (quality coordinator; audited).
        The CSV is streamed as it is read; the XLSX is sent once complete."""
        query = _query(ExportQuery, request)
        response, rows = exports.export(
            selectors.response_list(request.user), query["as"], labels=query["labels"] == "1"
        )
        audit_record(
            user=request.user,
            action=AuditEntry.Action.RESPONSE_EXPORT,
            route=request.path,
            params=request.query_params.dict(),
            rows=rows,
        )
        return response


class NoSuchEndpoint(APIView):
    """Any other address under /api/: the JSON 404 every API client expects, instead of
    Django's HTML page (or a redirect to the login page)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound
