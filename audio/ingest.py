"""One ingest pipeline for every clip: page upload, command line, demo corpus.

    original file -> decode + validate (:mod:`audio.decode`)
                  -> format, fades, loudness, MP3 (:mod:`audio.processing`)
                  -> features of the decoded MP3 (:mod:`audio.features`)
                  -> files under content-hash names + catalogue row (:mod:`audio.library`)

:func:`process_audio` is the pure part (no files written, no database); it runs in worker
processes for bulk imports. :func:`ingest_file` / :func:`ingest_bytes` add one clip;
:func:`import_items` adds many with two worker processes while the parent alone writes files
and rows (SQLite has one writer). Bad input raises :class:`IngestError` and stores nothing.

Re-processing (:func:`reprocess`) rebuilds a clip's served file from its kept original with the
current settings. It refuses clips that participants have already heard or answered, unless
forced, because their responses describe the old audio; a forced re-process records the
previous served hash and processing (settings and start) in ``clips.processing`` under
``replaced_served_sha256`` and ``replaced_processing``, so the old audio can be rebuilt.
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from audio import library
from audio.decode import AUDIO_EXTENSIONS, DecodeLimits, decode_excerpt
from audio.errors import IngestError, MetadataError
from audio.features import FEATURE_VERSION, extract_features
from audio.processing import (
    CODEC,
    ProcessingSettings,
    apply_fades,
    below_target_flag,
    decode_mp3,
    encode_mp3,
    fit_length,
    integrated_loudness,
    normalise_loudness,
    to_format,
    true_peak_dbtp,
)
from core import config, db
from core.models import Clip, ClipFeatures, utcnow

__all__ = [
    "ClipMetadata", "IngestError", "IngestResult", "ImportItem", "ImportOutcome", "ProcessedClip",
    "MANIFEST_COLUMNS", "collect_audio_files", "import_items", "ingest_bytes", "ingest_file",
    "process_audio", "read_manifest", "reprocess",
]

#: Allowed distance of a served clip's loudness from the target before it is flagged, LU.
LOUDNESS_TOLERANCE_LU = 0.5

#: ``clips.processing["start_offset_rule"]``: how the excerpt start was chosen.
START_RULE_DEFAULT = "default: one third in"
START_RULE_ORGANISER = "set by organiser"

#: Most encode passes spent pulling a clip's decoded true peak under the ceiling.
_MAX_ENCODE_PASSES = 4

#: Columns of an import manifest CSV (``path`` and ``source`` are required).
MANIFEST_COLUMNS = ("path", "source", "title", "creator", "ai_system", "ai_version", "prompt", "genre",
                    "vocals", "pair_id", "licence", "provenance", "notes", "start_offset_s")


@dataclass(frozen=True)
class ClipMetadata:
    """Catalogue facts supplied with a clip (validated by :func:`audio.library.clean_metadata`).

    ``source`` is "human" or "ai"; ``vocals`` "vocal", "instrumental" or None; ``is_demo``
    marks clips of the built-in demo corpus.
    """

    source: str
    title: str | None = None
    creator: str | None = None
    ai_system: str | None = None
    ai_version: str | None = None
    prompt: str | None = None
    genre: str | None = None
    vocals: str | None = None
    pair_id: str | None = None
    licence: str | None = None
    provenance: str | None = None
    notes: str | None = None
    is_demo: bool = False

    def cleaned(self) -> dict:
        """The catalogue fields, validated; raises :class:`IngestError` with the reason."""
        fields = {key: value for key, value in asdict(self).items() if key != "is_demo"}
        try:
            return library.clean_metadata(fields)
        except MetadataError as error:
            raise IngestError(str(error)) from None


@dataclass
class ProcessedClip:
    """Everything :func:`process_audio` produced for one file (picklable; nothing stored yet).

    Sample rates in Hz, durations in seconds, loudness in LUFS, peaks in dBTP.
    """

    original_sha256: str
    original_extension: str
    served_bytes: bytes
    served_sha256: str
    start_offset_s: float
    duration_s: float
    sample_rate: int
    channels: int
    original_duration_s: float
    original_sample_rate: int
    original_channels: int
    loudness_before_lufs: float
    loudness_after_lufs: float
    true_peak_dbtp: float
    loudness_flag: str | None
    processing: dict
    features: dict[str, float]


@dataclass(frozen=True)
class IngestResult:
    """A clip that is now in the library."""

    clip_id: int
    served_sha256: str
    start_offset_s: float
    loudness_after_lufs: float
    true_peak_dbtp: float
    loudness_flag: str | None


@dataclass(frozen=True)
class ImportItem:
    """One file of a bulk import, with its catalogue facts and optional excerpt start (s)."""

    path: Path
    metadata: ClipMetadata
    start_offset_s: float | None = None


@dataclass(frozen=True)
class ImportOutcome:
    """What happened to one :class:`ImportItem`; ``message`` is the reason when ``result`` is None."""

    path: Path
    result: IngestResult | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.result is not None


ProgressCallback = Callable[[ImportOutcome, int, int], None]


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def process_audio(
    source: str | os.PathLike | bytes,
    filename: str,
    settings: ProcessingSettings,
    *,
    start_offset_s: float | None = None,
    original_sha256: str | None = None,
    limits: DecodeLimits | None = None,
) -> ProcessedClip:
    """Run decode, validation, processing, encoding and feature extraction for one file.

    Pure with respect to storage: writes no file and touches no database, so it can run in a
    worker process.

    Parameters
    ----------
    source : path or bytes
        The original file.
    filename : str
        Display name for messages.
    settings : ProcessingSettings
        Clip length, format, fades, loudness target and ceiling, MP3 quality.
    start_offset_s : float or None
        Excerpt start in the original, seconds; ``None`` for the default rule
        (:func:`audio.decode.default_start_s`).
    original_sha256 : str or None
        Hash of the original if the caller already computed it.
    limits : DecodeLimits, optional
        Size, duration, sample-rate and channel limits.

    Returns
    -------
    ProcessedClip

    Raises
    ------
    IngestError
        The file cannot be used; the message says why.
    """
    excerpt = decode_excerpt(source, filename, excerpt_seconds=settings.excerpt_seconds,
                             start_s=start_offset_s, limits=limits)
    info = excerpt.info
    sr = settings.sample_rate
    n_frames = int(round(settings.excerpt_seconds * sr))
    y = fit_length(to_format(excerpt.samples, info.sample_rate, sample_rate=sr, channels=settings.channels),
                   n_frames)
    y = apply_fades(y, sr, settings.fade_seconds)
    try:
        y, loudness = normalise_loudness(y, sr, target_lufs=settings.target_lufs,
                                         true_peak_ceiling_dbtp=settings.true_peak_ceiling_dbtp)
    except ValueError:
        raise IngestError(
            f"{filename}: the excerpt starting at {excerpt.start_s:g} s is too quiet to measure its "
            f"loudness; choose another start offset or file.") from None

    served, decoded, decoded_peak, gain_correction_db, passes = _encode_under_ceiling(y, sr, settings)
    loudness_after = integrated_loudness(decoded, sr)
    # The flag describes the served file as measured, after any codec-peak correction.
    held_down = loudness.flag is not None or (
        gain_correction_db < 0 and settings.target_lufs - loudness_after > LOUDNESS_TOLERANCE_LU)
    if held_down:
        flag = below_target_flag(loudness_after, settings.target_lufs, settings.true_peak_ceiling_dbtp)
    elif abs(loudness_after - settings.target_lufs) > LOUDNESS_TOLERANCE_LU:
        flag = (f"off target: {loudness_after:.1f} LUFS measured on the served file "
                f"(target {settings.target_lufs:g} LUFS)")
    else:
        flag = None

    features = extract_features(decoded, sr)
    features.update(loudness_before_lufs=float(loudness.before_lufs), loudness_lufs=float(loudness_after),
                    true_peak_dbtp=float(decoded_peak))
    start_rule = START_RULE_DEFAULT if start_offset_s is None else START_RULE_ORGANISER
    processing = {
        "settings": settings.to_dict(),
        "feature_version": FEATURE_VERSION,
        "start_offset_rule": start_rule,
        "gain_db": round(loudness.gain_db + gain_correction_db, 3),
        "encode_passes": passes,
        "original_format": f"{info.format}/{info.subtype}",
    }
    return ProcessedClip(
        original_sha256=original_sha256 or (sha256_hex(source) if isinstance(source, bytes)
                                            else _file_sha256(Path(source))),
        original_extension=info.extension,
        served_bytes=served,
        served_sha256=sha256_hex(served),
        start_offset_s=excerpt.start_s,
        duration_s=decoded.shape[0] / sr,
        sample_rate=sr,
        channels=settings.channels,
        original_duration_s=info.duration_s,
        original_sample_rate=info.sample_rate,
        original_channels=info.channels,
        loudness_before_lufs=float(loudness.before_lufs),
        loudness_after_lufs=float(loudness_after),
        true_peak_dbtp=float(decoded_peak),
        loudness_flag=flag,
        processing=processing,
        features=features,
    )


def _encode_under_ceiling(y: np.ndarray, sr: int, settings: ProcessingSettings):
    """Encode, decode and re-measure; lower the gain while the decoded true peak is over the ceiling.

    Lossy coding changes the waveform, so a peak exactly at the ceiling before encoding can
    land a few tenths of a dB above it after decoding. The ceiling is a promise about what
    participants' browsers decode, so it is checked there.

    Returns
    -------
    served : bytes
    decoded : np.ndarray, shape (n_frames, channels), the served file decoded and fitted to length
    peak_dbtp : float, true peak of ``decoded``
    correction_db : float, total extra gain applied (<= 0)
    passes : int, encode passes used
    """
    correction_db = 0.0
    n_frames = y.shape[0]
    for passes in range(1, _MAX_ENCODE_PASSES + 1):
        scaled = y * (10.0 ** (correction_db / 20.0))
        served = encode_mp3(scaled, sr, quality=settings.mp3_quality)
        decoded, decoded_sr = decode_mp3(served)
        decoded = fit_length(decoded, n_frames)
        peak = true_peak_dbtp(decoded, decoded_sr)
        excess = peak - settings.true_peak_ceiling_dbtp
        if excess <= 0:
            return served, decoded, peak, correction_db, passes
        # A small margin: the next encode moves the peak again by a little.
        correction_db -= excess + 0.05
    raise IngestError("the clip's true peak stayed above the ceiling after re-encoding; "
                      "please report this file to the developers.")


# --- storing ----------------------------------------------------------------------------------

def _write_atomically(path: Path, data: bytes | None, copy_from: Path | None = None) -> bool:
    """Write ``data`` (or copy ``copy_from``) to ``path`` unless it exists; True if newly created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            if data is not None:
                handle.write(data)
            else:
                with open(copy_from, "rb") as original:
                    for chunk in iter(lambda: original.read(1 << 20), b""):
                        handle.write(chunk)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def _duplicate_message(filename: str, clip: Clip) -> str:
    name = f" ({clip.title})" if clip.title else ""
    state = ", retired" if clip.retired_at is not None else ""
    return f"{filename}: this audio is already in the library as clip #{clip.id}{name}{state}."


def store_processed(
    processed: ProcessedClip,
    original: bytes | Path,
    metadata: ClipMetadata,
    *,
    uploaded_filename: str | None,
    engine: Engine | None = None,
) -> IngestResult:
    """Write the served file, the original and the catalogue rows of one processed clip.

    Files are written first (atomically, under content-hash names), then the rows in one
    transaction; if the rows cannot be written the files this call created are removed again.

    Raises
    ------
    IngestError
        Invalid metadata, or the same original or served audio is already in the library.
    """
    fields = metadata.cleaned()
    display = library.sanitise_filename(uploaded_filename) or "clip"
    paths = config.ensure_dirs()
    served_path = paths.clips / f"{processed.served_sha256}.mp3"
    original_path = paths.originals / f"{processed.original_sha256}.{processed.original_extension}"
    created: list[Path] = []
    try:
        with db.session_scope(engine) as session:
            duplicate = library.find_duplicate(session, original_sha256=processed.original_sha256,
                                               served_sha256=processed.served_sha256)
            if duplicate is not None:
                raise IngestError(_duplicate_message(display, duplicate))
            if _write_atomically(served_path, processed.served_bytes):
                created.append(served_path)
            if isinstance(original, bytes):
                wrote = _write_atomically(original_path, original)
            else:
                wrote = _write_atomically(original_path, None, copy_from=original)
            if wrote:
                created.append(original_path)
            clip = Clip(
                served_sha256=processed.served_sha256,
                served_name=served_path.name,
                original_sha256=processed.original_sha256,
                original_name=original_path.name,
                uploaded_filename=library.sanitise_filename(uploaded_filename),
                start_offset_s=processed.start_offset_s,
                duration_s=processed.duration_s,
                sample_rate=processed.sample_rate,
                channels=processed.channels,
                codec=CODEC,
                original_duration_s=processed.original_duration_s,
                original_sample_rate=processed.original_sample_rate,
                original_channels=processed.original_channels,
                loudness_before_lufs=processed.loudness_before_lufs,
                loudness_after_lufs=processed.loudness_after_lufs,
                true_peak_dbtp=processed.true_peak_dbtp,
                loudness_flag=processed.loudness_flag,
                processing=processed.processing,
                is_demo=metadata.is_demo,
                **fields,
            )
            session.add(clip)
            session.flush()
            session.add(ClipFeatures(clip_id=clip.id, extractor_version=FEATURE_VERSION,
                                     values=processed.features))
            clip_id = clip.id
    except IntegrityError:
        # Another process added the same audio between our check and our commit.
        for path in created:
            path.unlink(missing_ok=True)
        raise IngestError(f"{display}: this audio is already in the library.") from None
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    return IngestResult(clip_id=clip_id, served_sha256=processed.served_sha256,
                        start_offset_s=processed.start_offset_s,
                        loudness_after_lufs=processed.loudness_after_lufs,
                        true_peak_dbtp=processed.true_peak_dbtp, loudness_flag=processed.loudness_flag)


def _settings_and_duplicate_check(original_sha256: str, display: str, settings: ProcessingSettings | None,
                                  engine: Engine | None) -> ProcessingSettings:
    with db.session_scope(engine) as session:
        duplicate = library.find_duplicate(session, original_sha256=original_sha256)
        if duplicate is not None:
            raise IngestError(_duplicate_message(display, duplicate))
        return settings or library.current_processing_settings(session)


def ingest_bytes(
    data: bytes,
    filename: str,
    metadata: ClipMetadata,
    settings: ProcessingSettings | None = None,
    *,
    start_offset_s: float | None = None,
    engine: Engine | None = None,
) -> IngestResult:
    """Add one clip from its bytes (a page upload).

    Parameters
    ----------
    data : bytes
        The uploaded file.
    filename : str
        The uploaded file name; only a sanitised display copy is stored.
    metadata : ClipMetadata
        Catalogue facts.
    settings : ProcessingSettings, optional
        Defaults to the settings in force (:func:`audio.library.current_processing_settings`).
    start_offset_s : float or None
        Excerpt start in seconds; ``None`` for the default rule.
    engine : sqlalchemy.Engine, optional
        Defaults to the configured database.

    Raises
    ------
    IngestError
        With a user-facing message; nothing is stored.
    """
    display = library.sanitise_filename(filename) or "upload"
    metadata.cleaned()
    original_sha256 = sha256_hex(data)
    settings = _settings_and_duplicate_check(original_sha256, display, settings, engine)
    processed = _process_guarded(data, display, settings, start_offset_s, original_sha256)
    return store_processed(processed, data, metadata, uploaded_filename=filename, engine=engine)


def ingest_file(
    path: str | os.PathLike,
    metadata: ClipMetadata,
    settings: ProcessingSettings | None = None,
    *,
    start_offset_s: float | None = None,
    original_filename: str | None = None,
    engine: Engine | None = None,
) -> IngestResult:
    """Add one clip from a file on disk (command line, demo corpus).

    ``original_filename`` is the display name to keep (default: the file's own name). Other
    parameters and errors as in :func:`ingest_bytes`.
    """
    path = Path(path)
    display = library.sanitise_filename(original_filename or path.name) or "file"
    metadata.cleaned()
    if not path.is_file():
        raise IngestError(f"{display}: file not found.")
    original_sha256 = _file_sha256(path)
    settings = _settings_and_duplicate_check(original_sha256, display, settings, engine)
    processed = _process_guarded(path, display, settings, start_offset_s, original_sha256)
    return store_processed(processed, path, metadata, uploaded_filename=original_filename or path.name,
                           engine=engine)


def _process_guarded(source, display: str, settings: ProcessingSettings, start_offset_s: float | None,
                     original_sha256: str) -> ProcessedClip:
    """:func:`process_audio`, with any unexpected failure turned into an :class:`IngestError`."""
    try:
        return process_audio(source, display, settings, start_offset_s=start_offset_s,
                             original_sha256=original_sha256)
    except IngestError:
        raise
    except Exception as error:  # a decoder or DSP failure must never take the app down
        raise IngestError(f"{display}: the file could not be processed ({type(error).__name__}).") from None


# --- re-processing ----------------------------------------------------------------------------

def reprocess(
    clip_id: int,
    settings: ProcessingSettings | None = None,
    *,
    start_offset_s: float | None = None,
    force: bool = False,
    engine: Engine | None = None,
) -> IngestResult:
    """Rebuild a clip's served file and features from its kept original.

    Parameters
    ----------
    clip_id : int
    settings : ProcessingSettings, optional
        Defaults to the settings in force.
    start_offset_s : float or None
        A new excerpt start, seconds. ``None`` keeps an organiser-chosen start, or re-applies
        the default rule if the clip used it (the default depends on the clip length).
    force : bool
        Re-process even when participants have heard or answered the clip. Their responses
        then describe audio that is no longer served; the previous served hash is recorded.

    Raises
    ------
    IngestError
        No such clip, original missing, clip already heard (without ``force``), or the new
        audio duplicates another clip; nothing is changed then.
    """
    with db.session_scope(engine) as session:
        clip = library.get_clip(session, clip_id)
        if clip is None:
            raise IngestError(f"there is no clip #{clip_id}")
        if not force and library.clip_has_been_heard(session, clip_id):
            raise IngestError(
                f"clip #{clip_id} has been played to participants; re-processing would change the audio "
                f"their responses describe. Retire it and add it again, or force the re-process.")
        settings = settings or library.current_processing_settings(session)
        original = library.original_path(clip)
        display = clip.uploaded_filename or f"clip #{clip_id}"
        previous_rule = (clip.processing or {}).get("start_offset_rule", "")
        if start_offset_s is None and previous_rule == START_RULE_ORGANISER:
            start_offset_s = clip.start_offset_s
        old_served_name = clip.served_name
        original_sha256 = clip.original_sha256
    if not original.is_file():
        raise IngestError(f"{display}: the kept original file is missing, so the clip cannot be re-processed.")
    processed = _process_guarded(original, display, settings, start_offset_s, original_sha256)

    served_path = config.ensure_dirs().clips / f"{processed.served_sha256}.mp3"
    created = _write_atomically(served_path, processed.served_bytes)
    try:
        with db.session_scope(engine) as session:
            duplicate = library.find_duplicate(session, served_sha256=processed.served_sha256)
            if duplicate is not None and duplicate.id != clip_id:
                raise IngestError(_duplicate_message(display, duplicate))
            clip = library.get_clip(session, clip_id)
            processing = dict(processed.processing)
            if clip.served_sha256 != processed.served_sha256 and library.clip_has_been_heard(session, clip_id):
                # What participants heard can be rebuilt from the original with these.
                processing["replaced_served_sha256"] = clip.served_sha256
                processing["replaced_processing"] = {**(clip.processing or {}),
                                                     "start_offset_s": clip.start_offset_s}
            clip.served_sha256 = processed.served_sha256
            clip.served_name = served_path.name
            clip.start_offset_s = processed.start_offset_s
            clip.duration_s = processed.duration_s
            clip.sample_rate = processed.sample_rate
            clip.channels = processed.channels
            clip.codec = CODEC
            clip.loudness_before_lufs = processed.loudness_before_lufs
            clip.loudness_after_lufs = processed.loudness_after_lufs
            clip.true_peak_dbtp = processed.true_peak_dbtp
            clip.loudness_flag = processed.loudness_flag
            clip.processing = processing
            if clip.features is None:
                session.add(ClipFeatures(clip_id=clip_id, extractor_version=FEATURE_VERSION,
                                         values=processed.features))
            else:
                clip.features.values = processed.features
                clip.features.extractor_version = FEATURE_VERSION
                clip.features.computed_at = utcnow()
    except BaseException:
        if created:
            served_path.unlink(missing_ok=True)
        raise
    if old_served_name != served_path.name:
        (config.paths().clips / old_served_name).unlink(missing_ok=True)
    return IngestResult(clip_id=clip_id, served_sha256=processed.served_sha256,
                        start_offset_s=processed.start_offset_s,
                        loudness_after_lufs=processed.loudness_after_lufs,
                        true_peak_dbtp=processed.true_peak_dbtp, loudness_flag=processed.loudness_flag)


# --- bulk import ------------------------------------------------------------------------------

def collect_audio_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Expand folders (recursively) to their audio files; files are kept as given.

    Folder contents are filtered by extension (:data:`audio.decode.AUDIO_EXTENSIONS`) and
    sorted; a file named explicitly is always kept so that a wrong format gets a clear message
    rather than being skipped silently. Missing paths are kept too (they fail with "not found").
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*")
                                if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS
                                and not p.name.startswith(".")))
        else:
            files.append(path)
    return files


def read_manifest(csv_path: str | os.PathLike) -> list[ImportItem]:
    """Read an import manifest (CSV with :data:`MANIFEST_COLUMNS`; paths relative to the CSV).

    Raises
    ------
    IngestError
        Unreadable CSV, unknown or missing columns, or invalid rows; the message lists every
        problem with its line number, and nothing is imported.
    """
    csv_path = Path(csv_path)
    try:
        with open(csv_path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in (reader.fieldnames or [])]
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise IngestError(f"{csv_path.name}: cannot read the manifest ({error}).") from None
    unknown = sorted(set(header) - set(MANIFEST_COLUMNS))
    missing = [name for name in ("path", "source") if name not in header]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s): {', '.join(unknown)}")
        raise IngestError(f"{csv_path.name}: {'; '.join(parts)}. Columns: {','.join(MANIFEST_COLUMNS)}")
    items: list[ImportItem] = []
    problems: list[str] = []
    for line, row in enumerate(rows, start=2):
        row = {(key or "").strip(): (value or "").strip() for key, value in row.items() if key}
        if not row.get("path"):
            problems.append(f"line {line}: path is empty")
            continue
        start: float | None = None
        if row.get("start_offset_s"):
            try:
                start = float(row["start_offset_s"])
            except ValueError:
                start = math.nan
            if not math.isfinite(start) or start < 0:
                problems.append(f"line {line}: start_offset_s must be a number of seconds >= 0")
                continue
        fields = {key: row.get(key) or None for key in MANIFEST_COLUMNS if key not in ("path", "start_offset_s")}
        metadata = ClipMetadata(**fields)
        try:
            metadata.cleaned()
        except IngestError as error:
            problems.append(f"line {line}: {error}")
            continue
        items.append(ImportItem(path=(csv_path.parent / row["path"]).resolve(), metadata=metadata,
                                start_offset_s=start))
    if problems:
        raise IngestError(f"{csv_path.name}: " + "; ".join(problems))
    return items


def _process_in_worker(path: str, display: str, settings: dict, start_offset_s: float | None,
                       original_sha256: str) -> tuple[ProcessedClip | None, str]:
    """Worker-process entry point: ``(processed, "")`` or ``(None, user-facing reason)``."""
    try:
        return _process_guarded(Path(path), display, ProcessingSettings.from_dict(settings),
                                start_offset_s, original_sha256), ""
    except IngestError as error:
        return None, str(error)


def import_items(
    items: Sequence[ImportItem],
    settings: ProcessingSettings | None = None,
    *,
    workers: int = 2,
    progress: ProgressCallback | None = None,
    engine: Engine | None = None,
) -> list[ImportOutcome]:
    """Import many files: decode/process/encode/features in worker processes, store in this one.

    Parameters
    ----------
    items : sequence of ImportItem
    settings : ProcessingSettings, optional
        Defaults to the settings in force.
    workers : int
        Worker processes (default 2, one per core here). 1 processes in this process.
    progress : callable, optional
        Called as ``progress(outcome, done, total)`` after each file, in completion order.
    engine : sqlalchemy.Engine, optional

    Returns
    -------
    list of ImportOutcome
        In the order of ``items``. A failed file does not stop the others.
    """
    with db.session_scope(engine) as session:
        settings = settings or library.current_processing_settings(session)
    total = len(items)
    outcomes: list[ImportOutcome | None] = [None] * total
    done = 0

    def finish(index: int, outcome: ImportOutcome) -> None:
        nonlocal done
        outcomes[index] = outcome
        done += 1
        if progress is not None:
            progress(outcome, done, total)

    # Parent-side checks first: cheap, and they catch duplicates within the batch too.
    pending: list[tuple[int, ImportItem, str, str]] = []
    seen: dict[str, Path] = {}
    for index, item in enumerate(items):
        display = library.sanitise_filename(item.path.name) or "file"
        try:
            item.metadata.cleaned()
            if not item.path.is_file():
                raise IngestError(f"{display}: file not found.")
            digest = _file_sha256(item.path)
            if digest in seen:
                raise IngestError(f"{display}: same file as {seen[digest].name} earlier in this import.")
            _settings_and_duplicate_check(digest, display, settings, engine)
        except IngestError as error:
            finish(index, ImportOutcome(path=item.path, message=str(error)))
            continue
        seen[digest] = item.path
        pending.append((index, item, display, digest))

    def store(index: int, item: ImportItem, processed: ProcessedClip | None, reason: str) -> None:
        if processed is None:
            finish(index, ImportOutcome(path=item.path, message=reason))
            return
        try:
            result = store_processed(processed, item.path, item.metadata, uploaded_filename=item.path.name,
                                     engine=engine)
        except IngestError as error:
            finish(index, ImportOutcome(path=item.path, message=str(error)))
            return
        finish(index, ImportOutcome(path=item.path, result=result))

    if workers <= 1 or len(pending) <= 1:
        for index, item, display, digest in pending:
            processed, reason = _process_in_worker(str(item.path), display, settings.to_dict(),
                                                   item.start_offset_s, digest)
            store(index, item, processed, reason)
    else:
        # "spawn": the parent may be a threaded server (Streamlit); forking it is unsafe.
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = {
                pool.submit(_process_in_worker, str(item.path), display, settings.to_dict(),
                            item.start_offset_s, digest): (index, item)
                for index, item, display, digest in pending
            }
            for future in as_completed(futures):
                index, item = futures[future]
                try:
                    processed, reason = future.result()
                except Exception as error:  # a worker died (e.g. a decoder crash)
                    processed, reason = None, f"{item.path.name}: processing failed ({type(error).__name__})."
                store(index, item, processed, reason)
    return [outcome for outcome in outcomes if outcome is not None]
