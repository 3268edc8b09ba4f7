"""Blinding, checked on everything a real browser receives before the debrief.

Two participants take the study in Chromium. Until right before the last answer is sent, the
test records every HTTP response (URL, headers, body), every websocket frame in both directions,
the page URL, and the DOM including the player's shadow root on every trial. None of it may contain
any clip's identity: file names, hashes, uploaded name, title, creator or AI system. No clip is
served from a ``/media/`` URL (st.audio's shared content-hash URLs); every clip arrives through a
one-time URL (``/_ht/clip/<random token>``) that answers a second request with nothing, and plays
from a ``blob:`` URL private to the tab; the two participants share no audio URL or player key, and
the visible trial page is word for word the same for human and AI clips.

Both languages: in German, one participant's browser prefers German (``Accept-Language``) and the
other follows a ``?lang=de`` link from an English browser.

It runs in every design condition. Blind and rate-only pages carry nothing about the source (and
rate-only pages never mention AI); a labelled page carries only the announcement of its shown
label - the assigned one, also when it is reversed - and is otherwise the same for every clip,
whatever its source or whether its label is true.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from audio import pairing
from core import db
from core.i18n import translate
from core.models import Clip, Participant, Response, Trial
from core.vocabulary import Condition, LabelMode
from experiment.conditions import label_text
from experiment.reasons import PER_TRIAL_PROMPT
from experiment.settings import StudySettings
from tests.e2e import journey_driver as drive
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

STUDY = StudySettings(
    n_trials=4,
    attention_check=True,
    repeat_check=False,
    practice_trial=True,
    screening="off",
    listening_requirement=1.0,
    ask_comment=False,
    ask_reason="per_trial",  # asked in the blind condition only: the others have no guess to explain
    title="A listening study",  # rate-only participants may read nothing about AI before the end
    information_text="You will listen to short music clips and say how each one made you feel.",
)


def allowed_key(lang: str) -> re.Pattern[str]:
    """Every widget key the participant page may use; anything else (e.g. a clip id) fails the test.

    A form's submit button is keyed by its label (in the participant's language).
    """
    continue_, save = (
        re.escape(translate(label, lang).replace(" ", "-")) for label in ("Continue", "Save and continue")
    )
    return re.compile(
        r"st-key-(language|consent_(agree|decline)|q_[a-z_]+|calibration(_done)?|screening_\d+(_\d)?"
        r"|instructions_done|answers|trial_\d+_(valence|arousal|moved|liking|confidence|familiar|comment|reason)"
        r"|pair_\d+_(\d_(valence|arousal|moved|liking)|choice|confidence|reason)"
        rf"|player_[0-9a-f]{{48}}|FormSubmitter-(questionnaire-{continue_}|(trial|pair)_\d+-{save}))"
    )


# Streamlit's media endpoint (st.audio, st.image ...); its own fonts live under /static/media/.
MEDIA_URL = re.compile(rb"(?<!/static)/media/")
# The blind player's one-time URLs (core.handoff).
CLIP_URL = re.compile(r"/_ht/clip/[A-Za-z0-9_-]{43}$")

_DOM_WITH_SHADOW_ROOTS = """() => {
    const parts = [document.documentElement.outerHTML];
    for (const element of document.querySelectorAll('*')) {
        if (element.shadowRoot) parts.push(element.shadowRoot.innerHTML);
    }
    return parts.join('\\n');
}"""


@dataclass
class Capture:
    """Everything the browser received (and sent) while ``active``."""

    active: bool = True
    responses: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    frames: list[bytes] = field(default_factory=list)
    doms: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    trial_texts: list[tuple[int, str]] = field(default_factory=list)  # (trial index, visible text)
    audio_srcs: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        def on_response(response) -> None:
            if not self.active:
                return
            try:
                body = clip_bodies.get(response.url) or response.body()
            except Exception:  # redirects and aborted requests have no body
                body = b""
            self.responses.append((response.url, response.all_headers(), body))

        def on_frame(payload) -> None:
            if self.active:
                self.frames.append(payload if isinstance(payload, bytes) else payload.encode("utf-8"))

        def on_websocket(ws) -> None:
            ws.on("framereceived", on_frame)
            ws.on("framesent", on_frame)

        # Chromium keeps no body of a fetch read into a Blob (response.body() is empty): the clip
        # requests are passed through here, which keeps each body as the browser received it.
        clip_bodies: dict[str, bytes] = {}

        def pass_clip(route) -> None:
            response = route.fetch()
            clip_bodies[route.request.url] = response.body()
            route.fulfill(response=response)

        page.route(CLIP_URL, pass_clip)
        page.on("response", on_response)
        page.on("websocket", on_websocket)

    def snapshot(self, page) -> None:
        self.doms.append(page.evaluate(_DOM_WITH_SHADOW_ROOTS))
        self.urls.append(page.url)

    def clip_urls(self) -> list[str]:
        """The one-time URLs the player fetched its sounds from."""
        return [url for url, _headers, _body in self.responses if CLIP_URL.search(url)]

    def haystacks(self):
        """(where, bytes) for everything captured."""
        for url, headers, body in self.responses:
            yield f"response URL {url}", url.encode()
            yield f"headers of {url}", repr(sorted(headers.items())).encode()
            yield f"body of {url}", body
        for i, frame in enumerate(self.frames):
            yield f"websocket frame {i}", frame
        for i, dom in enumerate(self.doms):
            yield f"DOM snapshot {i}", dom.encode()
        for url in self.urls:
            yield "page URL", url.encode()


def take_study(page, url: str, capture: Capture, confidences: list[str | None], lang: str = "en") -> str:
    """One participant's whole journey in ``lang``; capture stops right before the last answer is sent."""
    capture.attach(page)
    page.goto(url)
    capture.snapshot(page)
    token = drive.consent(page, lang)
    capture.snapshot(page)
    drive.answer_questionnaire(page, lang)
    drive.read_instructions(page, lang)
    with db.session_scope() as session:
        participant = session.scalars(select(Participant).where(Participant.resume_token == token)).one()
        trials = session.scalars(
            select(Trial).where(Trial.participant_id == participant.id).order_by(Trial.trial_index)
        ).all()
        kinds = [t.kind for t in trials]
    n_rated = sum(kind != "practice" for kind in kinds)
    for index, kind in enumerate(kinds):
        position = index + (kinds[0] != "practice")
        expected = (
            translate("Practice clip", lang)
            if kind == "practice"
            else translate("Clip {position} of {total}", lang).format(position=position, total=n_rated)
        )
        wait_for_app(page, expected)
        page.locator("audio").wait_for(state="attached")

        def record(index=index, last=index == len(kinds) - 1) -> None:
            capture.snapshot(page)
            capture.audio_srcs.append(drive.current_audio_src(page))
            capture.trial_texts.append((index, page.locator('[data-testid="stMain"]').inner_text()))
            if last:
                capture.active = False  # the answer below leads to the debrief, which may reveal

        confidence = confidences[index % len(confidences)]
        # The reason box follows the guess (not on the attention trial, whose answer is set).
        reason = f"zqreason{token[:6]}t{index}" if confidence is not None and kind != "attention" else None
        drive.answer_current_trial(page, confidence, expected, before_submit=record, lang=lang, reason=reason)
    drive.answer_after_trials(page, lang)
    done = "The labels you saw" if _is_labelled(token) else "Which clips were made by AI?"
    wait_for_app(page, translate(done, lang))
    return token


def _is_labelled(token: str) -> bool:
    with db.session_scope() as session:
        condition = session.scalars(select(Participant.condition).where(Participant.resume_token == token)).one()
    return condition == Condition.LABELLED


def _message_pattern(message: str, lang: str, value: str = r"[^\n]*?") -> str:
    """A regular expression for catalog ``message`` in ``lang``, each placeholder matching ``value``."""
    return value.join(re.escape(part) for part in re.split(r"\{[a-z_]+\}", translate(message, lang)))


ATTENTION_MESSAGES = (
    "Attention check: for this clip, please choose “{choice}”, whatever you hear.",
    "Attention check: for this clip, please choose “{choice}” and set {scale} to {value}, whatever you hear.",
    "Attention check: for this clip, please set {scale} to {value}, whatever you hear.",
)


STREAMLIT_BOX_HINTS = re.compile(r"(Press Ctrl\+Enter to submit form)?\d+/\d+")
"""What Streamlit writes under a focused text box in a form: its hint and the character count."""


def normalised_trial_text(text: str, lang: str = "en") -> str:
    """The trial page's words without what legitimately differs between trials.

    That is the position ("Clip 3 of 5", or the practice heading), the attention-check
    instruction and the resume-link caption (shown from the main trials on).
    """
    practice = ("Practice clip", "This one is for practice and is not scored.")
    resume = "Your answers are saved after every clip. To continue later, use: {url}"
    text = re.sub(_message_pattern("Clip {position} of {total}", lang, r"\d+"), "POSITION", text)
    text = re.sub(r"\s+".join(_message_pattern(m, lang) for m in practice), "POSITION", text)
    for attention in ATTENTION_MESSAGES:
        text = re.sub(_message_pattern(attention, lang), "", text)
    text = re.sub(_message_pattern(resume, lang) + r"[^\n]*", "", text)
    # The reason box follows every guess but the attention trial's (set by its instruction), whatever the source;
    # while it has the focus Streamlit adds its form hint and a character count.
    text = text.replace(translate(PER_TRIAL_PROMPT, lang), "")
    text = re.sub(STREAMLIT_BOX_HINTS, "", text)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _unvaried_stretch(stored: bytes, length: int = 48) -> bytes:
    """Audio payload bytes of a stored clip that every listener copy carries unchanged.

    Listener copies differ in the frame headers (each starting with 0xFF) and in the first frame
    (audio.listener_copy), so take a stretch after 1000 bytes with no 0xFF near it.
    """
    start = 1000
    while b"\xff" in stored[start - 3 : start + length]:
        start += 1
    return stored[start : start + length]


def check_captures(captures: list[Capture], identities, data_dir, lang: str, extra_secrets: dict | None = None) -> None:
    """No clip identity (nor any of ``extra_secrets``: text -> what it is) in anything captured; only allowed
    widget keys; every clip played from a ``blob:`` URL; the clips' audio did travel (positive control)."""
    secrets = {secret: f"clip {identity.clip_id}'s" for identity in identities for secret in identity.secrets()}
    secrets.update(extra_secrets or {})
    audio_samples = [_unvaried_stretch((data_dir / "clips" / i.served_name).read_bytes()) for i in identities]
    for capture in captures:
        assert capture.responses and capture.frames and capture.doms, "nothing was captured"
        # Positive control: the clips' audio really travelled through the captured one-time URLs.
        bodies = [body for url, _headers, body in capture.responses if CLIP_URL.search(url)]
        assert any(sample in body for sample in audio_samples for body in bodies)
        for where, data in capture.haystacks():
            for secret, what in secrets.items():
                assert secret.encode() not in data, f"{what} {secret!r} reached the browser in {where}"
            # st.audio would put its shared /media/ URL into a websocket frame and the DOM, and the
            # browser would request it. (Streamlit's static bundles mention the route; not checked.)
            if not where.startswith("body of"):
                assert not MEDIA_URL.search(data), f"a /media/ URL reached the browser in {where}"

        keys = set()
        for dom in capture.doms:
            keys |= set(re.findall(r"st-key-[A-Za-z0-9_-]+", dom))
        assert keys, "no widget keys found"
        allowed = allowed_key(lang)
        assert all(allowed.fullmatch(key) for key in keys), sorted(k for k in keys if not allowed.fullmatch(k))

        assert capture.audio_srcs and all(src.startswith("blob:") for src in capture.audio_srcs)


# Per language: for each of the two participants, the browser's language and the link's query.
ARRIVALS = {
    "en": (("en-US", ""), ("en-GB", "")),
    "de": (("de-DE", ""), ("en-US", "?lang=de")),
}
# Every design condition in English; German in the blind condition (the other conditions' pages are
# the same catalog messages, checked by tests/test_i18n.py and the German AppTest journey).
CASES = [("en", condition) for condition in Condition] + [("de", Condition.BLIND)]


def _status_on_a_new_connection(url: str) -> int:
    """The HTTP status of a GET of ``url`` on a connection of its own.

    Playwright's request context keeps connections alive between requests; on a loaded clean-clone
    run the server closed one while the next GET was sent on it (ECONNRESET), which says nothing
    about the URL.
    """
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize(("lang", "condition"), CASES)
def test_nothing_reaching_the_browser_identifies_a_clip(e2e_data_dir, monkeypatch, chromium, lang, condition):
    study = STUDY.with_changes(conditions=(condition,))
    identities = drive.prepare_study(e2e_data_dir, monkeypatch, study, n_per_source=3)
    server = drive.start_server(e2e_data_dir)
    captures, tokens = [], []
    answers: list[list[str | None]] = [["Sure AI", "Sure human"], ["Maybe human", "Probably AI"]]
    if condition != Condition.BLIND:
        answers = [[None], [None]]  # no source question on the trial page
    try:
        for (locale, query), confidences in zip(ARRIVALS[lang], answers):
            context = chromium.new_context(viewport={"width": 1000, "height": 900}, locale=locale)
            page = context.new_page()
            page.set_default_timeout(30_000)
            capture = Capture()
            tokens.append(take_study(page, server.url + "/" + query, capture, confidences, lang))
            captures.append(capture)
            # A copied clip URL gives nothing: each answered the player's fetch, and only that one.
            assert capture.clip_urls() and all(_status_on_a_new_connection(url) == 404 for url in capture.clip_urls())
            context.close()
    finally:
        server.stop()
    with db.session_scope() as session:
        languages = [
            session.scalars(select(Participant.language).where(Participant.resume_token == t)).one() for t in tokens
        ]
    assert languages == [lang, lang]

    with db.session_scope() as session:  # each reason stored once, with its answer (blind condition only)
        given = Response.reason.is_not(None)
        reasons = [
            session.scalars(select(Response.reason).join(Participant).where(Participant.resume_token == t, given)).all()
            for t in tokens
        ]
    if condition == Condition.BLIND:
        assert all(len(mine) == len(set(mine)) >= 3 for mine in reasons), reasons
    else:
        assert reasons == [[], []]
    others = {reason: "another participant's reason" for reason in reasons[0]}
    check_captures(captures[:1], identities, e2e_data_dir, lang)
    check_captures(captures[1:], identities, e2e_data_dir, lang, others)

    # Two participants: no common audio URL and no common player key.
    srcs = [set(capture.audio_srcs) for capture in captures]
    assert not srcs[0] & srcs[1]
    assert not set(captures[0].clip_urls()) & set(captures[1].clip_urls())
    player_keys = [{k for dom in c.doms for k in re.findall(r"st-key-player_[A-Za-z0-9_-]+", dom)} for c in captures]
    assert player_keys[0] and player_keys[1] and not player_keys[0] & player_keys[1]

    # The visible trial page is the same, word for word, whatever the clip's source.
    with db.session_scope() as session:
        trial_of = {(t.participant.resume_token, t.trial_index): t for t in session.scalars(select(Trial))}
        source_of = {key: t.clip.source for key, t in trial_of.items()}
        label_of = {key: (t.label_shown, t.label_mode) for key, t in trial_of.items()}
    modes = set()
    for capture, token in zip(captures, tokens, strict=True):
        texts_by_source: dict[str, set[str]] = {"human": set(), "ai": set()}
        for index, text in capture.trial_texts:
            shown, mode = label_of[(token, index)]
            if condition == Condition.LABELLED:
                # Only the assigned label's announcement: never the truth when the label is reversed.
                assert shown is not None and label_text(shown) in text
                other = [label_text(s) for s in ("human", "ai") if s != shown]
                assert all(o not in text for o in other), (index, mode)
                if mode == LabelMode.REVERSED:
                    assert shown != source_of[(token, index)]
                modes.add(mode)
                text = text.replace(label_text(shown), "LABEL")
            else:
                assert shown is None
            if condition == Condition.RATE_ONLY:
                assert not re.search(r"\bAI\b|artificial", text), "rate-only trial pages must not mention AI"
            texts_by_source[source_of[(token, index)]].add(normalised_trial_text(text, lang))
        assert texts_by_source["human"] and texts_by_source["ai"], "both sources must have been heard"
        assert len(texts_by_source["human"] | texts_by_source["ai"]) == 1, texts_by_source
    if condition == Condition.LABELLED:
        assert LabelMode.REVERSED in modes and LabelMode.TRUE in modes


# A paired study whose pairing type varies within participants and that asks the reason after every
# pair (issue 26): nothing before the debrief may say which pairs are the similar ones (the type, the
# distances, their description), nor carry any other participant's reason.
PAIRED_STUDY = STUDY.with_changes(
    trial_format="paired",
    pairing_design="within",
    ask_reason="per_trial",
    n_trials=8,
    attention_check=False,
)
PAIRING_WORDS = re.compile(rb"similar|random|nearer than|possible pairs|\bdistance", re.IGNORECASE)
# The blind player's own source travels in a websocket frame; its comments may use these words.
PLAYER_SOURCES = tuple(
    (Path(__file__).resolve().parents[2] / "experiment" / "ui" / "player" / name).read_bytes()
    for name in ("player.js", "player.css")
)


def take_paired_study(page, url: str, capture: Capture, reasons: dict[int, str], lang: str) -> str:
    """One participant's paired journey in ``lang``, ``reasons[pair]`` typed after each pair's choice."""
    capture.attach(page)
    page.goto(url)
    capture.snapshot(page)
    token = drive.consent(page, lang)
    capture.snapshot(page)
    drive.answer_questionnaire(page, lang)
    drive.read_instructions(page, lang)
    with db.session_scope() as session:
        participant = session.scalars(select(Participant).where(Participant.resume_token == token)).one()
        numbers = sorted({t.pair_trial for t in participant.trials})
    n_scored = sum(number != 0 for number in numbers)
    for number in numbers:
        expected = (
            translate("Practice pair", lang)
            if number == 0
            else translate("Pair {position} of {total}", lang).format(position=number, total=n_scored)
        )

        def record(number=number, last=number == numbers[-1]) -> None:
            capture.snapshot(page)
            capture.audio_srcs += page.locator("audio").evaluate_all("elements => elements.map(a => a.src)")
            capture.trial_texts.append((number, page.locator('[data-testid="stMain"]').inner_text()))
            if last:
                capture.active = False  # the answer below leads on to the debrief

        choice = "The first clip" if number % 2 else "The second clip"
        drive.answer_current_pair(
            page, choice, "Fairly sure", expected, lang=lang, reason=reasons[number], before_submit=record
        )
    drive.answer_after_trials(page, lang)
    wait_for_app(page, translate("Which clip of each pair was made by AI?", lang))
    return token


def normalised_pair_text(text: str, lang: str) -> str:
    """The pair page's words without its position line, the resume-link caption and the box's hints."""
    resume = "Your answers are saved after every pair. To continue later, use: {url}"
    text = re.sub(STREAMLIT_BOX_HINTS, "", text)
    text = re.sub(_message_pattern("Pair {position} of {total}", lang, r"\d+"), "POSITION", text)
    text = re.sub(_message_pattern(resume, lang) + r"[^\n]*", "", text)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _pair_secrets(session) -> dict[str, str]:
    """Every similar pair's distance (as Python and as the Clip library print it) and its description."""
    humans = sorted(session.scalars(select(Clip.id).where(Clip.source == "human")))
    ais = sorted(session.scalars(select(Clip.id).where(Clip.source == "ai")))
    matrix, _sources = pairing.library_matrix(session)
    pairs = pairing.pairs_among(session, humans + ais)
    assert pairs, "the planted features make similar pairs"
    secrets = {}
    for pair, words in zip(pairs, pairing.describe_pairs(pairs, humans, ais, matrix), strict=True):
        for text in (repr(pair.distance), f"{pair.distance:.3f}", words):
            secrets[text] = f"the distance of pair {pair.human_clip_id}-{pair.ai_clip_id}"
    return secrets


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_paired_study_with_pairing_types_and_reasons_reveals_nothing(e2e_data_dir, monkeypatch, chromium, lang):
    identities = drive.prepare_study(e2e_data_dir, monkeypatch, PAIRED_STUDY, n_per_source=5)
    drive.plant_similar_pairs(identities)
    server = drive.start_server(e2e_data_dir)
    captures, tokens = [], []
    reasons = [{n: f"zqreason{who}p{n} vocals" for n in range(5)} for who in range(2)]
    try:
        for (locale, query), mine in zip(ARRIVALS[lang], reasons, strict=True):
            context = chromium.new_context(viewport={"width": 1000, "height": 900}, locale=locale)
            page = context.new_page()
            page.set_default_timeout(30_000)
            capture = Capture()
            tokens.append(take_paired_study(page, server.url + "/" + query, capture, mine, lang))
            captures.append(capture)
            assert capture.clip_urls() and all(_status_on_a_new_connection(url) == 404 for url in capture.clip_urls())
            context.close()
    finally:
        server.stop()

    with db.session_scope() as session:
        trials = session.scalars(select(Trial)).all()
        pairing_of = {(t.participant.resume_token, t.pair_trial): t.pairing for t in trials}
        assert {t.participant.language for t in trials} == {lang}
        stored = Counter((t.participant.resume_token, t.pair_trial, t.response.reason) for t in trials)
        secrets = _pair_secrets(session)
    assert sorted(Counter(p for (_t, n), p in pairing_of.items() if n).values()) == [4, 4]  # 2 x 2 pairs each
    for who, token in enumerate(tokens):  # every pair's reason stored once, on both of its clips
        theirs = {(n, r): count for (t, n, r), count in stored.items() if t == token}
        assert theirs == {(n, reasons[who][n]): 2 for n in range(5)}
    others = {reason: "another participant's reason" for reason in reasons[0].values()}
    check_captures(captures[1:], identities, e2e_data_dir, lang, {**secrets, **others})
    check_captures(captures[:1], identities, e2e_data_dir, lang, secrets)
    assert not set(captures[0].clip_urls()) & set(captures[1].clip_urls())
    for capture in captures:  # the pairing type and distances are in no page or message
        for where, data in capture.haystacks():
            if not where.startswith(("body of", "response URL", "headers of")):
                for source in PLAYER_SOURCES:
                    data = data.replace(source, b"")
                found = PAIRING_WORDS.search(data)
                near = data[found.start() - 300 : found.end() + 100] if found else b""
                assert not found, f"a pairing word reached the browser in {where}: {near!r}"
    typed = [reason for mine in reasons for reason in mine.values()]
    for who, capture in enumerate(captures):  # no page holds a reason but the one being typed on it
        for (number, _text), dom in zip(capture.trial_texts, capture.doms[2:], strict=True):
            assert {reason for reason in typed if reason in dom} <= {reasons[who][number]}

    # The pair page reads the same whichever clip is AI and whichever the pairing type.
    for capture, token in zip(captures, tokens, strict=True):
        by_type: dict[str, set[str]] = {"similar": set(), "random": set()}
        for number, text in capture.trial_texts:
            if number:
                by_type[pairing_of[(token, number)]].add(normalised_pair_text(text, lang))
        assert by_type["similar"] and by_type["random"]
        assert len(by_type["similar"] | by_type["random"]) == 1, by_type
