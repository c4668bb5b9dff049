"""Deterministic, lazily generated Okendo survey responses, and the changes webhooks report.

Like reviews (data.py), a response is a pure function of (seed, survey id, index) plus the
runtime changes recorded here, so any volume is cheap to hold. Every survey asks one NPS
question ("0".."10", which a response may skip), a multiple-choice question whose "Other"
choice carries a custom `otherValue`, a 1..5 rating and a free-text question; the question
order differs per survey. A survey's seeded responses span the SURVEY_SPAN_DAYS before the
end of the reviews' history, with creation times strictly increasing in the index, so
`orderBy=date` paging is the shared bisect of paging.py.

Changes (create, update, delete) happen on a logical clock that starts after all seeded
history and advances a seeded few minutes per change, so the ground truth after any
sequence of changes is reproducible. Each change, and each replayed create of a historical
response, is an Okendo webhook event (`SurveyEvent`) carrying the next store-wide
`sequenceNumber`. Deleted responses are no longer listed.

The shapes follow the shared contract (survey response object, webhook envelope); Okendo
publishes neither in full, so the contract is the spec here.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import re
import threading
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sandbox.faults import Density
from sandbox.okendo.data import _SPAN_MS, _sentence, _uuid, subscriber_id
from sandbox.okendo.paging import DateOrderedList, iso

DENSITY = Density()  # the default: a busy store's last minutes (see sandbox.faults)
DEFAULT_SURVEYS = {"nps-post-purchase": 150, "onsite-feedback": 150}
MAX_RESPONSES_PER_SURVEY = 1_000_000
CHANNELS = ("email", "onsite", "post-purchase", "sms")
WEBHOOK_VERSION = "2025-02-01"
TOPICS = ("survey_response.create", "survey_response.update", "survey_response.delete")

SURVEY_SPAN_DAYS = 120  # a short span gives several responses a day: daily NPS means something
_DAY_MS = 86_400_000
_HISTORY_START_MS = _SPAN_MS - SURVEY_SPAN_DAYS * _DAY_MS
_CLOCK_START_MS = _SPAN_MS + 7 * _DAY_MS  # after every seeded dateUpdated (at most +3 days)
_MAX_TAIL = 10_000  # dense responses per survey at most (their times are held in memory)
_TAIL_WINDOW_MS = 3_600_000  # the dense tail fits in the last hour before the history end
_SURVEY_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # it travels in a URL path unescaped
_NPS_WEIGHTS = [3, 1, 1, 2, 2, 4, 5, 8, 10, 12, 14]  # scores 0..10
_HEARD_FROM = ("Instagram", "Friend or family", "Podcast", "Search engine", "Other")
_OTHER_ANSWERS = ("A billboard", "My dentist, of all people", "Gift card", "TikTok", "Café flyer")

Key = tuple[str, int]  # (survey id, index within the survey)


@dataclass(frozen=True)
class Question:
    question_id: str
    text: str
    type: str  # nps | multiple-choice | rating | free-text
    choices: tuple[str, ...] = ()
    answer_rate: float = 1.0  # share of responses that answer it


@functools.cache
def questions(survey_id: str) -> tuple[Question, ...]:
    """The survey's questions, exactly one of them NPS, in a per-survey order."""
    base = (
        Question(
            f"{survey_id}-nps",
            "How likely are you to recommend us to a friend or colleague?",
            "nps",
            tuple(str(score) for score in range(11)),
            answer_rate=0.88,
        ),
        Question(
            f"{survey_id}-source",
            "How did you hear about us?",
            "multiple-choice",
            _HEARD_FROM,
            0.8,
        ),
        Question(f"{survey_id}-checkout", "How easy was checkout?", "rating", tuple("12345"), 0.7),
        Question(f"{survey_id}-improve", "What could we do better?", "free-text", (), 0.45),
    )
    turn = zlib.crc32(survey_id.encode()) % len(base)
    return base[turn:] + base[:turn]


def nps_category(score: int) -> str:
    return "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"


def _nps_of(response: dict[str, Any]) -> int | None:
    return next((int(a["value"]) for a in response["answers"] if a["questionType"] == "nps"), None)


@dataclass(frozen=True)
class SurveyEvent:
    """One Okendo webhook event: its envelope, and the Svix message id every delivery reuses.

    The id is derived from the store and the body, so the same event always has the same
    id and two different events never share one.
    """

    message_id: str
    envelope: dict[str, Any]

    @classmethod
    def of(cls, subscriber: str, envelope: dict[str, Any]) -> SurveyEvent:
        body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(f"{subscriber}/{body}".encode()).hexdigest()
        return cls(message_id=f"msg_{digest[:27]}", envelope=envelope)

    @property
    def sequence_number(self) -> int:
        return int(self.envelope["sequenceNumber"])

    @property
    def topic(self) -> str:
        return str(self.envelope["topic"])

    @property
    def body(self) -> str:
        """The exact JSON text that is signed and sent."""
        return json.dumps(self.envelope, separators=(",", ":"), ensure_ascii=False)

    def as_dict(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "envelope": self.envelope}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SurveyEvent:
        return cls(message_id=str(data["message_id"]), envelope=dict(data["envelope"]))


@dataclass
class SurveyStore:
    """Seeded responses of several surveys of one Okendo store, with runtime changes.

    `surveys` maps a survey id to its number of seeded responses. Thread-safe: the API
    reads while tests or the webhook sender change the store from another thread.
    """

    seed: int = 1
    surveys: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SURVEYS))
    density: Density = DENSITY

    def __post_init__(self) -> None:
        for survey_id, count in self.surveys.items():
            if not _SURVEY_ID.fullmatch(survey_id):
                raise ValueError(
                    f"survey id {survey_id!r} must be 1..64 letters, digits, '-' or '_'"
                )
            if not 0 <= count <= MAX_RESPONSES_PER_SURVEY:
                raise ValueError(
                    f"survey {survey_id} count must be 0..{MAX_RESPONSES_PER_SURVEY}, got {count}"
                )
        self.subscriber_id = subscriber_id(self.seed)
        self.lock = threading.RLock()
        self._next = dict(self.surveys)  # next index per survey; grows with creates
        self._tail = {s: self._dense_tail(s, n) for s, n in self._next.items()}
        span = SURVEY_SPAN_DAYS * _DAY_MS
        self._step = {
            s: max(1, (span - _TAIL_WINDOW_MS) // max(n - len(self._tail[s]), 1))
            for s, n in self._next.items()
        }
        self._created: dict[Key, int] = {}  # creation time of responses created at runtime
        self._patches: dict[Key, dict[str, Any]] = {}
        self._deleted: dict[Key, str] = {}  # key -> response id
        self._ids: dict[str, Key] | None = None  # id lookup, built on first use
        self._sequence = 0
        self._clock_ms = _CLOCK_START_MS
        self._rng = random.Random(f"{self.seed}/changes")

    def __contains__(self, survey_id: object) -> bool:
        return survey_id in self._next

    # -- generation -------------------------------------------------------------------
    def _dense_tail(self, survey_id: str, count: int) -> list[int]:
        """Creation times (ms) of a survey's newest responses: `density` packs them into
        the seconds before the history's end, several a second and one campaign burst
        (an email blast answered within one second), still strictly increasing (the
        sandbox's paging bisects on them; each lands on its own millisecond)."""
        # (at about per_second a second, 2000 s of them stay well inside _TAIL_WINDOW_MS)
        size = min(round(self.density.fraction * count), _MAX_TAIL, 2000 * self.density.per_second)
        rng = random.Random(f"{self.seed}/{survey_id}/density")
        seconds = self.density.stamps(rng, size, _SPAN_MS // 1000)
        per_second = Counter(seconds)
        out, rank = [], Counter[int]()
        for second in seconds:
            out.append(second * 1000 + rank[second] * (1000 // per_second[second]))
            rank[second] += 1
        return out

    def created_ms(self, survey_id: str, index: int) -> int:
        created = self._created.get((survey_id, index))
        if created is not None:
            return created
        tail = self._tail[survey_id]
        first_dense = self.surveys[survey_id] - len(tail)
        if first_dense <= index < self.surveys[survey_id]:
            return tail[index - first_dense]
        step = self._step[survey_id]
        jitter = random.Random(f"{self.seed}/{survey_id}/{index}/t").randrange(step)
        return _HISTORY_START_MS + index * step + jitter

    def response_id(self, survey_id: str, index: int) -> str:
        return _uuid(random.Random(f"{self.seed}/{survey_id}/{index}"))

    def response(self, survey_id: str, index: int) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}/{survey_id}/{index}")
        response_id = _uuid(rng)  # first draw: response_id() relies on it
        created = self.created_ms(survey_id, index)
        fresh = (survey_id, index) in self._created
        updated = created if fresh or rng.random() < 0.7 else created + rng.randrange(3 * _DAY_MS)
        channel = rng.choices(CHANNELS, weights=[5, 3, 4, 1])[0]
        number = rng.randrange(1_000_000)
        answers = [] if rng.random() < 0.03 else self._answers(rng, survey_id)
        response: dict[str, Any] = {
            "surveyResponseId": response_id,
            "surveyId": survey_id,
            "subscriberId": self.subscriber_id,
            "channel": channel,
            "dateCreated": iso(created),
            "dateUpdated": iso(updated),
            "order": {
                "orderId": f"shopify-{6_000_000 + number}",
                "orderNumber": f"#{2000 + number}",
            }
            if channel == "post-purchase" or rng.random() < 0.4
            else None,
            "customer": {
                "customerId": f"shopify-{8_000_000 + number}",
                "email": f"customer{number}@example.com",
            }
            if rng.random() < 0.85
            else None,
            "answers": answers,
        }
        response.update(self._patches.get((survey_id, index), {}))
        return response

    def _answers(self, rng: random.Random, survey_id: str) -> list[dict[str, Any]]:
        return [
            self._answer(rng, question)
            for question in questions(survey_id)
            if rng.random() < question.answer_rate
        ]

    @staticmethod
    def _answer(rng: random.Random, question: Question) -> dict[str, Any]:
        other = None
        if question.type == "nps":
            value = str(rng.choices(range(11), weights=_NPS_WEIGHTS)[0])
        elif question.type == "free-text":
            value = _sentence(rng, rng.randint(3, 25))
        else:
            value = rng.choice(question.choices)
            if value == "Other":
                other = rng.choice(_OTHER_ANSWERS)
        return {
            "questionId": question.question_id,
            "questionText": question.text,
            "questionType": question.type,
            "value": value,
            "otherValue": other,
        }

    # -- listing ----------------------------------------------------------------------
    def page(
        self, survey_id: str, *, descending: bool, limit: int, after: dict[str, Any] | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page of a survey's live responses in date order (KeyError: no such survey)."""
        with self.lock:
            return DateOrderedList(
                slots=range(self._next[survey_id]),
                created_ms=functools.partial(self.created_ms, survey_id),
                slot_id=functools.partial(self.response_id, survey_id),
                is_live=lambda index: (survey_id, index) not in self._deleted,
                render=functools.partial(self.response, survey_id),
                id_key="surveyResponseId",
            ).page(descending=descending, limit=limit, after=after)

    def iter_live(self) -> Iterator[dict[str, Any]]:
        """Every live response, survey by survey, oldest first."""
        with self.lock:
            tops = dict(self._next)
        for survey_id, count in tops.items():
            for index in range(count):
                with self.lock:  # never held across a yield: a paused reader blocks no one
                    response = (
                        None
                        if (survey_id, index) in self._deleted
                        else self.response(survey_id, index)
                    )
                if response is not None:
                    yield response

    def newest_ids(self, count: int) -> list[str]:
        """The ids of the `count` most recently created live responses, oldest first."""
        with self.lock:
            candidates: list[tuple[int, str, int]] = []
            for survey_id, top in self._next.items():
                taken = 0
                for index in range(top - 1, -1, -1):
                    if taken == count:
                        break
                    if (survey_id, index) not in self._deleted:
                        candidates.append((self.created_ms(survey_id, index), survey_id, index))
                        taken += 1
            newest = sorted(candidates)[-count:] if count else []
            return [self.response_id(survey_id, index) for _, survey_id, index in newest]

    def live_ids(self) -> list[str]:
        with self.lock:
            return [
                self.response_id(survey_id, index)
                for survey_id, count in self._next.items()
                for index in range(count)
                if (survey_id, index) not in self._deleted
            ]

    # -- changes (each one is a webhook event) ---------------------------------------------
    def create(self, survey_id: str) -> SurveyEvent:
        """A new response to `survey_id`, created after every existing one."""
        with self.lock:
            if survey_id not in self._next:
                raise LookupError(f"no survey {survey_id}")
            key = (survey_id, self._next[survey_id])
            self._next[survey_id] += 1
            self._created[key] = self._tick()
            if self._ids is not None:
                self._ids[self.response_id(*key)] = key
            return self._event("survey_response.create", self.response(*key))

    def update(self, response_id: str, answers: list[dict[str, Any]] | None = None) -> SurveyEvent:
        """New answers (given, or a seeded change that always moves the NPS answer)."""
        with self.lock:
            key = self._live_key(response_id)
            if answers is None:
                answers = self._changed_answers(key[0], self.response(*key)["answers"])
            elif not isinstance(answers, list) or not all(isinstance(a, dict) for a in answers):
                raise ValueError("answers must be a list of answer objects")
            patch = self._patches.setdefault(key, {})
            patch.update(answers=answers, dateUpdated=iso(self._tick()))
            return self._event("survey_response.update", self.response(*key))

    def delete(self, response_id: str) -> SurveyEvent:
        with self.lock:
            key = self._live_key(response_id)
            self._deleted[key] = response_id
            # unconfirmed: Okendo's delete payload is not published; the contract's minimum
            # is sent, so a consumer cannot come to rely on more.
            resource = {
                "surveyResponseId": response_id,
                "surveyId": key[0],
                "subscriberId": self.subscriber_id,
                "dateUpdated": iso(self._tick()),
            }
            return self._event("survey_response.delete", resource)

    def replay_create(self, response_id: str) -> SurveyEvent:
        """The create event of an existing response, as the feed sends it (no change)."""
        with self.lock:
            resource = self.response(*self._live_key(response_id))
            return self._event("survey_response.create", resource)

    def _changed_answers(
        self, survey_id: str, answers: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        rng = self._rng
        by_question = {a["questionId"]: dict(a) for a in answers}
        nps = next(q for q in questions(survey_id) if q.type == "nps")
        current = by_question.get(nps.question_id)
        if current is None:
            by_question[nps.question_id] = self._answer(rng, nps)
        elif rng.random() < 0.1:
            del by_question[nps.question_id]  # the respondent cleared their score
        else:
            current["value"] = rng.choice([v for v in nps.choices if v != current["value"]])
        if rng.random() < 0.5:
            text = next(q for q in questions(survey_id) if q.type == "free-text")
            by_question[text.question_id] = self._answer(rng, text)
        order = [q.question_id for q in questions(survey_id)]
        return sorted(by_question.values(), key=lambda a: order.index(a["questionId"]))

    def _live_key(self, response_id: str) -> Key:
        if self._ids is None:
            self._ids = {
                self.response_id(survey_id, index): (survey_id, index)
                for survey_id, count in self._next.items()
                for index in range(count)
            }
        key = self._ids.get(response_id)
        if key is None or key in self._deleted:
            raise LookupError(f"no live survey response {response_id}")
        return key

    def _tick(self) -> int:
        self._clock_ms += self._rng.randint(1, 600) * 1000
        return self._clock_ms

    def _event(self, topic: str, resource: dict[str, Any]) -> SurveyEvent:
        self._sequence += 1
        envelope = {
            "resource": resource,
            "resourceType": "survey_response",
            "sequenceNumber": self._sequence,
            "topic": topic,
            "version": WEBHOOK_VERSION,
        }
        return SurveyEvent.of(self.subscriber_id, envelope)

    # -- ground truth ---------------------------------------------------------------------
    def truth(self) -> dict[str, Any]:
        """What a correct merge of backfill and webhook feed must end up with.

        Keys: vendor, seed, subscriber_id, surveys {survey id: live responses}, total,
        answers (answer rows of live responses), last_sequence_number, responses {id:
        {surveyId, dateCreated, dateUpdated, nps (int or null)}} for every live response
        with its latest values, deleted [ids], nps (overall NPS block), daily_nps {day:
        NPS block} and daily_nps_by_survey {survey id: {day: NPS block}}. Days are the
        UTC dates of dateCreated; an NPS block is {responses, nps_responses, promoters,
        passives, detractors, nps}, with nps = 100 * (promoters - detractors) /
        nps_responses over responses that answered the NPS question (0-6 detractor, 7-8
        passive, 9-10 promoter), null when none did.
        """
        with self.lock:
            surveys = dict.fromkeys(self._next, 0)
            responses: dict[str, dict[str, Any]] = {}
            overall: Counter = Counter()
            daily: dict[str, Counter] = {}
            by_survey: dict[str, dict[str, Counter]] = {s: {} for s in self._next}
            answers = 0
            for response in self.iter_live():
                survey_id, score = response["surveyId"], _nps_of(response)
                surveys[survey_id] += 1
                answers += len(response["answers"])
                responses[response["surveyResponseId"]] = {
                    "surveyId": survey_id,
                    "dateCreated": response["dateCreated"],
                    "dateUpdated": response["dateUpdated"],
                    "nps": score,
                }
                day = response["dateCreated"][:10]
                for tally in (
                    overall,
                    daily.setdefault(day, Counter()),
                    by_survey[survey_id].setdefault(day, Counter()),
                ):
                    tally["responses"] += 1
                    if score is not None:
                        tally["nps_responses"] += 1
                        tally[nps_category(score) + "s"] += 1
            return {
                "vendor": "okendo",
                "seed": self.seed,
                "subscriber_id": self.subscriber_id,
                "surveys": surveys,
                "total": len(responses),
                "answers": answers,
                "last_sequence_number": self._sequence,
                "responses": responses,
                "deleted": sorted(self._deleted.values()),
                "nps": _nps_block(overall),
                "daily_nps": {day: _nps_block(daily[day]) for day in sorted(daily)},
                "daily_nps_by_survey": {
                    s: {day: _nps_block(days[day]) for day in sorted(days)}
                    for s, days in by_survey.items()
                },
            }


def _nps_block(tally: Counter) -> dict[str, Any]:
    block: dict[str, Any] = {
        key: tally[key]
        for key in ("responses", "nps_responses", "promoters", "passives", "detractors")
    }
    answered = block["nps_responses"]
    block["nps"] = 100 * (block["promoters"] - block["detractors"]) / answered if answered else None
    return block
