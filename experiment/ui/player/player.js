// Blind audio player for Streamlit components v2.
//
// The component's data names the clip by a one-time URL (core/handoff.py: an unguessable token,
// unrelated to the clip, that answers once), never by anything about the clip. The player
// fetches it once, when it first mounts, and plays the bytes from a blob: URL that exists only
// in this browser tab. A re-mount of the same player (same instance) reuses the fetched bytes
// (the URL has been used up). The player reports
// what was heard: plays, pauses, seeks, listened_s (the union of heard intervals of
// the clip, so seeking forward or replaying the same part does not count twice),
// first_play_ms (from mount to first play) and ended.
//
// The player reports to Python with setStateValue("report", ...) once: when the
// listening requirement is met (at the first position update past it, or at the end),
// with the counts so far; none at all without a requirement, or when the server had
// accepted it before this player was drawn (header.heard: a refresh mid-trial). Each
// report is a script rerun (of the step's fragment), and nothing before that moment
// changes the page; a rerun while the participant clicks the now unlocked answer could
// drop that click (issue 12), and the answer needs nothing more, so the player is quiet
// afterwards.
//
// Speed: playback is pinned to 1x (a browser's own speed menu or a script may change
// it), and a stretch counts as heard for no more than the wall-clock time it took, so
// what unlocks the answers is what the server accepts (it requires the clip's duration
// to have passed since the clip was sent; issue 24).

// Gaps between two timeupdate positions above this are seeks, not listening (s).
const MAX_STEP_S = 1.5;
// A position update may run ahead of the wall clock by this much (s): timeupdate fires
// about 4 times a second and a stretch's first update can come late.
const CLOCK_SLACK_S = 0.05;
// Players survive a re-invocation of this function on the same mount point
// (Streamlit may call it again with identical data); keyed by parentElement.
const players = new WeakMap();

// Fetched bytes by URL, the latest few kept: a URL answers only once, and React may mount the
// same player again (the same URL in its data).
const fetched = new Map();
const FETCHED_KEPT = 4;

function fetchOnce(src) {
  let blob = fetched.get(src);
  if (!blob) {
    blob = fetch(src, { credentials: "same-origin", cache: "no-store" }).then((response) => {
      if (!response.ok) throw new Error(`blind player: ${response.status}`);
      return response.blob();
    });
    fetched.set(src, blob);
    while (fetched.size > FETCHED_KEPT) fetched.delete(fetched.keys().next().value);
  }
  return blob;
}

// A URL answers on the replica that drew the page. When a replica died, this tab's websocket
// moved to another one; once the first is back, nginx's sticky cookie sends fetches there
// again, where the URL is unknown. A reload puts page and fetches on one replica again (the
// resume link in the address resumes at this trial; nothing of it is answered yet). At most
// once a minute, so a real outage ends in the status message, not in a reload loop.
const RELOAD_KEY = "ht-player-reloaded-at";
function reloadOnce() {
  try {
    const last = Number(window.sessionStorage.getItem(RELOAD_KEY) || 0);
    if (Date.now() - last < 60000) return;
    window.sessionStorage.setItem(RELOAD_KEY, String(Date.now()));
  } catch (error) {
    return; // no storage (privacy mode): keep the message, never risk a loop
  }
  window.location.reload();
}

function mergeInterval(intervals, start, end) {
  if (!(end > start)) return intervals;
  const all = intervals.concat([[start, end]]).sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const [s, e] of all) {
    const last = merged[merged.length - 1];
    if (last && s <= last[1] + 0.05) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  return merged;
}

function totalLength(intervals) {
  return intervals.reduce((sum, [s, e]) => sum + (e - s), 0);
}

function createPlayer(root, header) {
  const wrapper = document.createElement("div");
  wrapper.className = "ht-player";
  const audio = document.createElement("audio");
  audio.controls = true;
  audio.preload = "auto";
  // A looping sound (the volume calibration) never ends: it is heard until the page moves on.
  audio.loop = Boolean(header.loop);
  // No download (nothing to learn from it, but keeps the file in the study) and no
  // playback-rate menu (speeding up would defeat the listening requirement).
  audio.setAttribute("controlsList", "nodownload noplaybackrate");
  audio.setAttribute("aria-label", header.label || "Music clip");
  const status = document.createElement("p");
  status.className = "ht-status";
  status.setAttribute("aria-live", "polite");
  wrapper.append(audio, status);
  root.appendChild(wrapper);

  const mountedAt = performance.now();
  const required = Number(header.required_s || 0);
  const player = {
    header, audio, url: null, src: null, loadFailed: false, wrapper, status,
    intervals: [], lastPos: null, lastAt: null,
    plays: 0, pauses: 0, seeks: 0, firstPlayMs: null, ended: false,
    // Heard before a refresh (the server says so): open from the start, and nothing to report.
    requirementMet: required <= 0 || Boolean(header.heard),
    setStateValue: null,
    quiet: required <= 0 || Boolean(header.heard),
  };

  const listened = () => totalLength(player.intervals);
  const report = () => {
    if (!player.setStateValue || player.quiet || !player.requirementMet) return;
    player.quiet = true;
    player.setStateValue("report", {
      plays: player.plays,
      pauses: player.pauses,
      seeks: player.seeks,
      listened_s: Math.round(listened() * 1000) / 1000,
      first_play_ms: player.firstPlayMs,
      ended: player.ended,
      requirement_met: player.requirementMet,
    });
  };
  const showStatus = () => {
    if (player.loadFailed) { status.textContent = header.error_text || "The sound could not be loaded. Please reload the page."; return; }
    if (!required) { status.textContent = ""; return; }
    status.textContent = player.requirementMet
      ? (header.done_text || "Thank you, you can answer now.")
      : (header.todo_text || "Please listen to the whole clip before answering.");
  };
  const startStretch = () => {
    player.lastPos = audio.paused ? null : audio.currentTime;
    player.lastAt = performance.now();
  };
  const account = () => {
    // Count the stretch since the last position if it was continuous playback, and never
    // more of it than the wall-clock time it took (faster playback hears no faster).
    const pos = audio.currentTime;
    const now = performance.now();
    if (player.lastPos !== null && pos >= player.lastPos && pos - player.lastPos <= MAX_STEP_S) {
      const wall = (now - player.lastAt) / 1000 + CLOCK_SLACK_S;
      player.intervals = mergeInterval(player.intervals, player.lastPos, Math.min(pos, player.lastPos + wall));
    }
    player.lastPos = pos;
    player.lastAt = now;
    if (!player.requirementMet && listened() >= required - (header.tolerance_s || 0)) {
      player.requirementMet = true;
      showStatus();
      report();
    }
  };

  // Pinned to normal speed: the browser's own menu (or anything else) may set another rate.
  audio.addEventListener("ratechange", () => {
    if (audio.playbackRate !== 1) { account(); audio.playbackRate = 1; }
    if (audio.defaultPlaybackRate !== 1) audio.defaultPlaybackRate = 1;
  });
  audio.addEventListener("play", () => {
    player.plays += 1;
    if (player.firstPlayMs === null) player.firstPlayMs = Math.round(performance.now() - mountedAt);
    player.lastPos = audio.currentTime;
    player.lastAt = performance.now();
  });
  audio.addEventListener("timeupdate", () => { if (!audio.paused) account(); });
  audio.addEventListener("pause", () => {
    account();
    player.lastPos = null;
    // The browser fires "pause" right before "ended"; count only real pauses.
    if (!audio.ended) player.pauses += 1;
  });
  audio.addEventListener("seeking", () => { account(); player.lastPos = null; });
  audio.addEventListener("seeked", () => {
    player.seeks += 1;
    startStretch();
  });
  audio.addEventListener("ended", () => {
    if (player.lastPos !== null) account();
    player.lastPos = null;
    player.ended = true;
    if (listened() >= required - (header.tolerance_s || 0)) player.requirementMet = true;
    showStatus();
    report();
  });
  player.load = (src) => {
    // Plays the bytes behind the one-time URL ``src`` from a blob: URL private to this tab. A
    // failed fetch (the URL expired, or another replica drew the page) is retried only with
    // the new URL that a later script run brings.
    if (player.src === src || player.url) return;
    player.src = src;
    fetchOnce(src).then(
      (blob) => {
        if (player.url) return;
        player.loadFailed = false;
        player.url = URL.createObjectURL(blob); // typed by the response's Content-Type (header.mime)
        audio.src = player.url;
        showStatus();
      },
      () => {
        player.loadFailed = true;
        showStatus();
        reloadOnce();
      },
    );
  };
  showStatus();
  return player;
}

export default function (component) {
  const { data, setStateValue, parentElement } = component;
  if (!data || typeof data.src !== "string") return undefined;
  const header = data;
  let player = players.get(parentElement);
  if (player && player.header.instance !== header.instance) {
    player.setStateValue = null; // a replaced player must not report (a stray rerun for a widget gone)
    player.audio.pause();
    if (player.url) URL.revokeObjectURL(player.url);
    player.wrapper.remove();
    player = undefined;
  }
  if (!player) {
    player = createPlayer(parentElement, header);
    players.set(parentElement, player);
  }
  player.load(header.src);
  player.setStateValue = setStateValue;
  return () => {
    // Called before a re-invocation and on unmount; only an unmount detaches the root.
    setTimeout(() => {
      if (!parentElement.isConnected) {
        player.setStateValue = null; // its pause is no news to anyone: no rerun for a widget gone
        player.audio.pause();
        if (player.url) URL.revokeObjectURL(player.url);
        players.delete(parentElement);
      }
    }, 0);
  };
}
