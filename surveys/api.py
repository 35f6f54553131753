"""The survey API (DRF, documented by drf-spectacular at /api/schema/).

- GET  /api/v1/questionnaires/<slug>/            the open version, for kiosk apps (public)
- POST /api/v1/questionnaires/<slug>/responses/  submit one response (public; the same
  validation, one-time token, rate limit and anonymity as the web form)
- GET  /api/v1/responses/                       responses for staff, filtered by role
- GET  /api/v1/responses/export/?as=csv|xlsx[&labels=1]  every response (coordinator, auditor)
"""

import datetime

from django.http import Http404, HttpResponse, QueryDict
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from qms.models import ServiceCard
from surveys import exports, selectors
from surveys.forms import ResponseForm, field_name, new_submission_token, read_submission_token
from surveys.models import Channel, Desk, Question, QuestionnaireVersion, Response
from surveys.services import (
    DuplicateSubmission,
    response_submit,
    service_card_of,
    suggestion_submit,
)
from surveys.views import PUBLIC_CHANNELS, _rate_limited

LANGUAGE = OpenApiParameter(
    "jezyk", OpenApiTypes.STR, enum=["pl", "en"], description="Language of texts and errors."
)


def _language(request: Request) -> str:
    lang = request.query_params.get("jezyk", "pl")
    return lang if lang in {"pl", "en"} else "pl"


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
    closes_on = serializers.DateField()
    questions = QuestionSerializer(many=True)


class SubmitSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="submission_token from the questionnaire endpoint")
    channel = serializers.ChoiceField(
        choices=[Channel.WEB, Channel.QR, Channel.KIOSK], default=Channel.WEB
    )
    desk = serializers.CharField(required=False, allow_blank=True, help_text="desk code")
    kiosk_key = serializers.UUIDField(
        required=False, help_text="the desk tablet's key; required for the kiosk channel"
    )
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text="question key → choice value, list of values (multiple choice), "
        "number (0–10 scale) or text; the service question takes a service card code",
    )
    suggestion = serializers.CharField(required=False, allow_blank=True, max_length=2000)


def _open_version(slug: str) -> QuestionnaireVersion:
    version = selectors.open_version(slug)
    if version is None:
        raise Http404
    return version


class QuestionnaireView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[LANGUAGE],
        responses=inline_serializer(
            "ActiveQuestionnaire",
            {
                "version": VersionSerializer(),
                "services": ServiceSerializer(many=True),
                "submission_token": serializers.CharField(),
            },
        ),
    )
    def get(self, request: Request, slug: str) -> ApiResponse:
        """The open version of a questionnaire with a fresh one-time submission token."""
        version = _open_version(slug)
        questions = version.questions.prefetch_related("choices")
        with translation.override(_language(request)):
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


class SubmitView(APIView):
    authentication_classes: list = []  # anonymous: no session, no cookies
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[LANGUAGE],
        request=SubmitSerializer,
        responses={
            201: inline_serializer("Stored", {"status": serializers.CharField()}),
            200: inline_serializer("AlreadyStored", {"status": serializers.CharField()}),
            400: inline_serializer(
                "Invalid", {"errors": serializers.DictField(child=serializers.ListField())}
            ),
            429: inline_serializer("TooMany", {"detail": serializers.CharField()}),
        },
    )
    def post(self, request: Request, slug: str) -> ApiResponse:
        """Store one anonymous response; a repeated token stores nothing more."""
        version = _open_version(slug)
        with translation.override(_language(request)):
            return self._submit(request, version)

    def _submit(self, request: Request, version: QuestionnaireVersion) -> ApiResponse:
        payload = SubmitSerializer(data=request.data)
        if not payload.is_valid():
            return ApiResponse({"errors": payload.errors}, status=status.HTTP_400_BAD_REQUEST)
        data = payload.validated_data
        questions = {q.key: q for q in version.questions.all()}
        unknown = sorted(set(data["answers"]) - set(questions))
        if unknown:
            errors = {key: [_("There is no such question in this version.")] for key in unknown}
            return ApiResponse({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        desk = None
        if data["channel"] == Channel.KIOSK:
            # Only the desk's own tablet speaks for the kiosk channel.
            desk = Desk.objects.filter(kiosk_key=data.get("kiosk_key")).first()
            if desk is None:
                return ApiResponse(
                    {"errors": {"kiosk_key": [_("This kiosk is not known.")]}},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        elif data.get("desk"):
            desk = Desk.objects.filter(code=data["desk"]).first()
            if desk is None:
                return ApiResponse(
                    {"errors": {"desk": [_("There is no such desk.")]}},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        form_data = QueryDict(mutable=True)
        form_data["token"] = data["token"]
        for key, value in data["answers"].items():
            values = value if isinstance(value, list) else [value]
            form_data.setlist(field_name(questions[key]), [str(v) for v in values if v is not None])
        form = ResponseForm(form_data, version=version)
        if not form.is_valid():
            errors = {
                name.removeprefix("q_"): [str(e) for e in messages]
                for name, messages in form.errors.items()
            }
            return ApiResponse({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        nonce = read_submission_token(data["token"], version)
        if nonce is None:
            return ApiResponse(
                {"errors": {"token": [_("The form was open for too long. Fetch a new token.")]}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if _rate_limited(request._request):
            return ApiResponse(
                {"detail": _("Too many surveys from this address. Please try again later.")},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        answers = form.cleaned_answers()
        channel = data["channel"]
        try:
            response_submit(
                version=version,
                channel=channel if channel in PUBLIC_CHANNELS | {Channel.KIOSK} else Channel.WEB,
                answers=answers,
                nonce=nonce,
                service_card=service_card_of(answers),
                desk=desk,
            )
        except DuplicateSubmission:
            return ApiResponse({"status": "already stored"}, status=status.HTTP_200_OK)
        if data.get("suggestion", "").strip():
            suggestion_submit(version=version, text=data["suggestion"])
        return ApiResponse({"status": "stored"}, status=status.HTTP_201_CREATED)


class ResponseSerializer(serializers.ModelSerializer):
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
            "id",
            "submitted_on",
            "channel",
            "questionnaire",
            "version",
            "desk",
            "service_card",
            "service_revision",
            "answers",
        ]

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


class CanReadResponses(IsAuthenticated):
    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and selectors.can_read_responses(request.user)


@extend_schema(
    parameters=[
        OpenApiParameter("channel", OpenApiTypes.STR, enum=Channel.values),
        OpenApiParameter("since", OpenApiTypes.DATE),
        OpenApiParameter("until", OpenApiTypes.DATE),
    ]
)
class ResponseListView(generics.ListAPIView):
    """Live responses: all for the coordinator and auditor, a head's units' for a head."""

    serializer_class = ResponseSerializer
    permission_classes = [CanReadResponses]

    def get_queryset(self):
        responses = selectors.response_list(self.request.user)
        params = self.request.query_params
        if params.get("channel") in Channel.values:
            responses = responses.filter(channel=params["channel"])
        for name, lookup in (("since", "submitted_on__gte"), ("until", "submitted_on__lte")):
            day = params.get(name)
            if day:
                try:
                    responses = responses.filter(**{lookup: datetime.date.fromisoformat(day)})
                except ValueError:
                    raise serializers.ValidationError(
                        {name: [_("Use the date format YYYY-MM-DD.")]}
                    ) from None
        return responses


class ResponseExportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("as", OpenApiTypes.STR, enum=["csv", "xlsx"]),
            OpenApiParameter(
                "labels",
                OpenApiTypes.STR,
                enum=["1"],
                description="CSV with headers and option labels in the request's language "
                "(default: question keys and option values). XLSX has both sheets.",
            ),
        ],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request) -> HttpResponse:
        """Every live response, one column per question (coordinator and auditor)."""
        if not selectors.can_read_survey_data(request.user):
            raise PermissionDenied
        content, content_type = exports.export(
            selectors.response_list(request.user),
            "xlsx" if request.query_params.get("as") == "xlsx" else "csv",
            labels=request.query_params.get("labels") == "1",
        )
        return HttpResponse(content, content_type=content_type)
