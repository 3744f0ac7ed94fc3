// melody studio: the page. Every text from the server or the user reaches the page as text
// (textContent, value), never as markup; abcjs draws the ABC itself.
"use strict";

const STORE = "melody-studio-tunes";
const KEPT_TUNES = 100;
const SVG = "http://www.w3.org/2000/svg";
const $ = (selector, root = document) => root.querySelector(selector);

let tunes = [];
let requests = 0;

// ---- talking to the server --------------------------------------------------------------------
async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  if (!response.ok) {
    let message = `the server answered ${response.status}`;
    try { message = (await response.json()).error || message; } catch (ignored) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

function showError(message) {
  const box = $("#error");
  box.hidden = !message;
  box.textContent = message || "";
}

// ---- keeping the tunes of a visit -------------------------------------------------------------
function loadTunes() {
  try {
    const stored = JSON.parse(localStorage.getItem(STORE) || "[]");
    return Array.isArray(stored) ? stored.filter((t) => t && typeof t.abc === "string") : [];
  } catch (ignored) {
    return [];
  }
}

function saveTunes() {
  try {
    localStorage.setItem(STORE, JSON.stringify(tunes.slice(0, KEPT_TUNES)));
  } catch (ignored) {
    showError("browser storage is full: older tunes will not be kept");
  }
}

// ---- composing --------------------------------------------------------------------------------
// A chosen file as base64 (for a MIDI model's primer or the melody it accompanies), or null.
async function fileBase64(id) {
  const file = $(id).files && $(id).files[0];
  if (!file) return null;
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

// The tracks ticked, or null when all are (the model writes its corpus's whole layout).
function chosenTracks() {
  const boxes = [...document.querySelectorAll("#tracks input")];
  const ticked = boxes.filter((box) => box.checked).map((box) => box.value);
  return ticked.length === boxes.length ? null : ticked;
}

async function composeRequest() {
  const value = (id) => $(id).value.trim();
  if (modelKind() === "score") {
    return {
      model: value("#model"),
      temperature: Number(value("#temperature")),
      top_p: Number(value("#top-p")),
      seed: value("#seed") === "" ? null : Number(value("#seed")),
      count: Number(value("#count") || 1),
      meter: value("#meter") || null,
      tracks: chosenTracks(),
      tempo: value("#tempo-bpm") === "" ? null : Number(value("#tempo-bpm")),
      primer_midi: await fileBase64("#primer-midi"),
      accompany_midi: await fileBase64("#accompany-midi"),
    };
  }
  return {
    model: value("#model"),
    type: value("#type") || null,
    form: value("#form") || null,
    key: value("#key") || null,
    meter: value("#meter") || null,
    temperature: Number(value("#temperature")),
    top_p: Number(value("#top-p")),
    seed: value("#seed") === "" ? null : Number(value("#seed")),
    count: Number(value("#count") || 1),
    primer: $("#primer").value.trim() ? $("#primer").value : null,
  };
}

async function compose(event) {
  event.preventDefault();
  showError(null);
  const line = document.createElement("li");
  const number = ++requests;
  line.textContent = `request ${number}: sending`;
  $("#jobs").prepend(line);
  try {
    const request = await composeRequest();
    const answer = await (await api("/api/compose", request)).json();
    listen(answer.job, number, line, request.model, null);
  } catch (error) {
    line.textContent = `request ${number}: not sent`;
    showError(error.message);
  }
}

// Follow a job's events: each tune becomes a card (after `last`, or at the top), written by `model`.
function listen(job, number, line, model, last) {
  const source = new EventSource(`/api/jobs/${encodeURIComponent(job)}/events`);
  let made = 0;
  let count = 0;
  const read = (event) => JSON.parse(event.data);
  source.addEventListener("queued", (event) => {
    const ahead = read(event).ahead;
    line.textContent = ahead ? `request ${number}: waiting, ${ahead} ahead` : `request ${number}: starting`;
  });
  source.addEventListener("started", (event) => {
    count = read(event).count;
    line.className = "running";
    line.textContent = line.dataset.bars
      ? `request ${number}: varying bars ${line.dataset.bars}`
      : `request ${number}: composing 1 of ${count}`;
  });
  source.addEventListener("tune", (event) => {
    const tune = {...read(event), model, id: `t${Date.now()}-${number}-${made}`};
    made += 1;
    tunes.unshift(tune);
    saveTunes();
    last = addCard(tune, last);
    line.textContent = made < count ? `request ${number}: composing ${made + 1} of ${count}` : `request ${number}: finishing`;
  });
  source.addEventListener("left_out", (event) => {
    line.title = (line.title ? line.title + "\n" : "") + read(event).reason;
  });
  source.addEventListener("done", () => {
    source.close();
    line.className = "";
    line.textContent = `request ${number}: ${made} tune${made === 1 ? "" : "s"}`;
  });
  source.onerror = () => {  // the browser retries a dropped stream by itself; a closed one is over
    if (source.readyState === EventSource.CLOSED) {
      line.className = "";
      line.textContent = `request ${number}: lost the server (is melody serve still running?)`;
    }
  };
  source.addEventListener("failed", (event) => {
    source.close();
    line.className = "";
    line.textContent = `request ${number}: failed`;
    showError(read(event).message);
  });
}

// ---- one tune on the page ---------------------------------------------------------------------
function figuresOf(tune) {
  const varied = tune.varied_bars && `bars ${barsText(tune.varied_bars)} varied`;
  const parts = [tune.type, tune.key && `K:${tune.key}`, tune.meter && `M:${tune.meter}`,
    tune.bars && `${tune.bars} bars`, tune.notes && `${tune.notes} notes`, varied, copiedOf(tune)];
  return parts.filter(Boolean).join(" · ");
}

function barsText([first, last]) {
  return first === last ? `${first}` : `${first}–${last}`;
}

function copiedOf(tune) {  // its longest run of bars found in one training tune
  const bars = tune.longest_copied_bars;
  if (bars === null || bars === undefined) return "";
  return bars === 0 ? "no bar copied" : `copies ${bars} bar${bars === 1 ? "" : "s"} in a row`;
}

function addCard(tune, after) {
  const card = $("#tune-template").content.firstElementChild.cloneNode(true);
  card.dataset.id = tune.id;
  $(".title", card).textContent = tune.title || "Untitled";
  $(".figures", card).textContent = figuresOf(tune);
  $(".abc", card).value = tune.abc;
  const tunesBox = $("#tunes");
  if (after && after.parentNode) after.after(card);
  else tunesBox.insertBefore(card, $("#empty").nextSibling);
  $("#empty").hidden = true;
  engrave(card, tune);
  if (tune.roll) drawRoll($(".roll", card), tune.roll);
  if (tune.tracks) drawLegend($(".legend", card), tune.tracks);
  showVerdict(card, tune.problems || []);
  wireCard(card, tune);
  return card;
}

function engrave(card, tune) {
  const box = $(".engraving", card);
  const width = Math.max(500, Math.min(900, box.clientWidth - 30 || 760));
  const rendered = ABCJS.renderAbc(box, tune.abc, {
    add_classes: true,
    staffwidth: width,
    wrap: {minSpacing: 1.8, maxSpacing: 2.8, preferredMeasuresPerLine: 4},
    clickListener: (element, tuneNumber, classes, analysis, drag, mouseEvent) => {
      card.selectedEnd = element.endChar;
      $(".continue", card).disabled = false;
      $(".continue", card).title = "put the tune up to this bar into the primer";
      chooseBars(card, element.startChar, classes, Boolean(mouseEvent && mouseEvent.shiftKey));
    },
  });
  card.visual = rendered[0];
  card.chosen = null;  // a new engraving: its bars are chosen again
  $(".vary", card).disabled = true;
}

// A click chooses a note's bar; a shift-click extends the choice to the bar of another note. The
// server turns the two notes' places in the ABC into bar numbers; abcjs's measure classes only
// mark the choice on the engraving.
function chooseBars(card, char, classes, extend) {
  const measure = Number((/abcjs-mm(\d+)/.exec(classes || "") || [null, NaN])[1]);
  if (extend && card.chosen) card.chosen = {...card.chosen, to: char, toMeasure: measure};
  else card.chosen = {from: char, to: char, fromMeasure: measure, toMeasure: measure};
  for (const element of card.querySelectorAll(".engraving .chosen")) element.classList.remove("chosen");
  const {fromMeasure, toMeasure} = card.chosen;
  for (let m = Math.min(fromMeasure, toMeasure); m <= Math.max(fromMeasure, toMeasure); m += 1) {
    for (const element of card.querySelectorAll(`.engraving .abcjs-mm${m}`)) element.classList.add("chosen");
  }
  const button = $(".vary", card);
  button.disabled = false;
  button.title = "sample the chosen bars again, so that they lead into the bars after them";
}

async function varyBars(card, tune) {
  if (!card.chosen) return;
  showError(null);
  const line = document.createElement("li");
  const number = ++requests;
  line.textContent = `request ${number}: sending`;
  $("#jobs").prepend(line);
  const model = tune.model || $("#model").value;
  const from = Math.min(card.chosen.from, card.chosen.to);
  const to = Math.max(card.chosen.from, card.chosen.to);
  try {
    const answer = await (await api("/api/vary", {model, abc: tune.abc, from_char: from, to_char: to})).json();
    line.dataset.bars = barsText(answer.bars);
    listen(answer.job, number, line, model, card);
  } catch (error) {
    line.textContent = `request ${number}: not sent`;
    showError(error.message);
  }
}

function wireCard(card, tune) {
  const audio = $(".audio", card);
  const tempo = $(".tempo input", card);
  $(".play", card).addEventListener("click", () => togglePlay(card, tune));
  tempo.addEventListener("input", () => {
    $(".tempo output", card).textContent = `${tempo.value}%`;
    audio.playbackRate = Number(tempo.value) / 100;
  });
  audio.addEventListener("ended", () => stopPlaying(card));
  for (const button of card.querySelectorAll(".downloads button")) {
    button.addEventListener("click", () => download(tune, button.dataset.kind));
  }
  $(".continue", card).addEventListener("click", () => continueFrom(card, tune));
  $(".vary", card).addEventListener("click", () => varyBars(card, tune));
  $(".vary", card).hidden = tune.kind === "score";
  $(".remove", card).addEventListener("click", () => {
    stopPlaying(card);
    tunes = tunes.filter((t) => t.id !== tune.id);
    saveTunes();
    card.remove();
    $("#empty").hidden = tunes.length > 0;
  });
  let engraveTimer = null;
  let checkTimer = null;
  $(".abc", card).addEventListener("input", (event) => {
    tune.abc = event.target.value;
    const title = /^T:(.*)$/m.exec(tune.abc);
    $(".title", card).textContent = title ? title[1].trim() : "Untitled";
    tune.title = $(".title", card).textContent;
    saveTunes();
    clearTimeout(engraveTimer);
    engraveTimer = setTimeout(() => engrave(card, tune), 120);
    clearTimeout(checkTimer);
    checkTimer = setTimeout(() => check(card, tune), 350);
  });
}

async function check(card, tune) {
  try {
    const answer = await (await api("/api/check", {abc: tune.abc})).json();
    showVerdict(card, answer.problems);
  } catch (error) {
    showVerdict(card, [error.message]);
  }
}

function showVerdict(card, problems) {
  const verdict = $(".verdict", card);
  verdict.className = `verdict ${problems.length ? "problems" : "clean"}`;
  verdict.textContent = problems.length
    ? `· ${problems.length} problem${problems.length === 1 ? "" : "s"}: ${problems[0]}`
    : "· every bar checks";
}

function continueFrom(card, tune) {
  if (card.selectedEnd === undefined) return;
  const abc = tune.abc;
  const barLine = abc.indexOf("|", card.selectedEnd);
  const primer = (barLine === -1 ? abc : abc.slice(0, barLine + 1)).replace(/^X:.*\n/, "");
  $("#primer").value = primer;
  $("#primer").focus();
  $("#controls").scrollIntoView({behavior: "smooth"});
}

// ---- hearing ----------------------------------------------------------------------------------
async function fetchFile(tune, kind) {
  const ownFile = tune.midi && (kind === "mid" || kind === "wav");  // a MIDI piece: its own tracks
  const response = await api(`/api/export/${kind}`, ownFile ? {midi: tune.midi} : {abc: tune.abc});
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = (/filename="([^"]+)"/.exec(disposition) || [null, `tune.${kind}`])[1];
  return {blob: await response.blob(), name, seconds: Number(response.headers.get("X-Melody-Seconds"))};
}

async function download(tune, kind) {
  try {
    const file = await fetchFile(tune, kind);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(file.blob);
    link.download = file.name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (error) {
    showError(`${kind}: ${error.message}`);
  }
}

async function togglePlay(card, tune) {
  const audio = $(".audio", card);
  if (card.classList.contains("playing-now")) {
    stopPlaying(card);
    return;
  }
  const button = $(".play", card);
  button.disabled = true;
  try {
    if (card.audioFor !== tune.abc) {
      const file = await fetchFile(tune, "wav");
      if (audio.src) URL.revokeObjectURL(audio.src);
      audio.src = URL.createObjectURL(file.blob);
      card.audioFor = tune.abc;
      card.musicSeconds = file.seconds;
    }
    audio.playbackRate = Number($(".tempo input", card).value) / 100;
    audio.currentTime = 0;
    card.classList.add("playing-now");
    button.textContent = "■ Stop";
    button.classList.add("on");
    await audio.play();
    followCursor(card);
  } catch (error) {
    stopPlaying(card);
    showError(`play: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

function stopPlaying(card) {
  const audio = $(".audio", card);
  audio.pause();
  card.classList.remove("playing-now");
  const button = $(".play", card);
  button.textContent = "▶ Play";
  button.classList.remove("on");
  cancelAnimationFrame(card.frame);
  for (const element of card.querySelectorAll(".engraving .playing")) element.classList.remove("playing");
}

// The cursor follows the audio's own clock: abcjs gives each note's time at its tempo, scaled to the
// length of the music we rendered, so tempo changes and repeats stay in step.
function followCursor(card) {
  const audio = $(".audio", card);
  const timer = new ABCJS.TimingCallbacks(card.visual, {});
  const events = timer.noteTimings.filter((e) => e.type === "event" && e.elements);
  const end = timer.noteTimings[timer.noteTimings.length - 1];
  const totalMs = end ? end.milliseconds : 0;
  const musicSeconds = card.musicSeconds || audio.duration;
  let shown = -1;
  const step = () => {
    if (!card.classList.contains("playing-now")) return;
    const ms = (audio.currentTime / musicSeconds) * totalMs;
    let index = shown;
    while (index + 1 < events.length && events[index + 1].milliseconds <= ms) index += 1;
    if (index !== shown) {
      for (const element of card.querySelectorAll(".engraving .playing")) element.classList.remove("playing");
      for (const group of events[index].elements) for (const element of group) element.classList.add("playing");
      shown = index;
    }
    card.frame = requestAnimationFrame(step);
  };
  card.frame = requestAnimationFrame(step);
}

// ---- seeing a score's notes -------------------------------------------------------------------
function drawRoll(box, roll) {
  const notes = roll.notes;
  if (!notes.length) return;
  const beatWidth = 24;
  const row = 5;
  const low = Math.min(...notes.map((n) => n[0]));
  const high = Math.max(...notes.map((n) => n[0]));
  const beats = Math.max(...notes.map((n) => n[2]));
  const svg = document.createElementNS(SVG, "svg");
  const width = beats * beatWidth;
  const height = (high - low + 1) * row;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "piano roll");
  for (let bar = 0; bar <= beats; bar += roll.bar_beats) {
    const line = document.createElementNS(SVG, "line");
    line.setAttribute("class", "bar");
    for (const [name, value] of [["x1", bar * beatWidth], ["x2", bar * beatWidth], ["y1", 0], ["y2", height]]) {
      line.setAttribute(name, value);
    }
    svg.append(line);
  }
  for (const [pitch, start, stop, voice] of notes) {
    const rect = document.createElementNS(SVG, "rect");
    rect.setAttribute("class", `voice-${voice % 5}`);
    rect.setAttribute("x", start * beatWidth);
    rect.setAttribute("y", (high - pitch) * row);
    rect.setAttribute("width", Math.max(1, (stop - start) * beatWidth - 1));
    rect.setAttribute("height", row - 1);
    svg.append(rect);
  }
  box.append(svg);
  box.hidden = false;
}

// One swatch per track, in the roll's colours: which line is the melody, which the bass.
function drawLegend(box, tracks) {
  box.replaceChildren();
  tracks.forEach((track, voice) => {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = `swatch voice-${voice % 5}`;
    item.append(swatch, document.createTextNode(track.drums ? `${track.name} (drums)` : track.name));
    box.append(item);
  });
  box.hidden = tracks.length === 0;
}

// ---- the model's own controls -----------------------------------------------------------------
let modelKinds = {};

function modelKind() {
  const about = modelKinds[$("#model").value];
  return about ? about.kind : "abc";
}

// ABC models get tune types, forms and an ABC primer; MIDI models a .mid primer and, when they
// know their voices' roles, a melody to accompany.
function showModelControls() {
  const about = modelKinds[$("#model").value] || {kind: "abc", voices: [], accompanies: false, keeps_beat: false};
  const score = about.kind === "score";
  for (const element of document.querySelectorAll(".abc-only")) element.hidden = score;
  for (const element of document.querySelectorAll(".score-only")) element.hidden = !score;
  for (const element of document.querySelectorAll(".accompany-only")) element.hidden = !(score && about.accompanies);
  const tracks = $("#tracks");
  for (const box of tracks.querySelectorAll("label")) box.remove();
  for (const name of about.accompanies ? about.voices : []) {
    const box = document.createElement("label");
    box.className = "track-choice";
    box.innerHTML = '<input type="checkbox" checked> ';
    box.firstChild.value = name;
    box.append(name);
    tracks.append(box);
  }
  tracks.hidden = !(score && about.accompanies && about.voices.length);
  $("#tempo-choice").hidden = !(score && about.keeps_beat);
  const voices = $("#model-voices");
  voices.hidden = !(score && about.voices.length);
  voices.textContent = score && about.voices.length ? `writes ${about.voices.join(", ")}` : "";
}

// ---- start ------------------------------------------------------------------------------------
async function start() {
  for (const [slider, shown, digits] of [["#temperature", "#temperature-shown", 2], ["#top-p", "#top-p-shown", 2]]) {
    const show = () => { $(shown).textContent = Number($(slider).value).toFixed(digits); };
    $(slider).addEventListener("input", show);
    show();
  }
  $("#controls").addEventListener("submit", compose);
  tunes = loadTunes();
  for (const tune of [...tunes].reverse()) addCard(tune, null);
  try {
    const answer = await (await api("/api/models")).json();
    for (const name of answer.models) $("#model").append(new Option(name, name, false, name === answer.default));
    for (const type of answer.types) $("#type").append(new Option(type, type));
    modelKinds = answer.kinds || {};
    for (const [name, limit] of Object.entries(answer.limits || {})) {
      for (const input of document.querySelectorAll(`input[name="${name}"]`)) {
        if (limit.min !== null) input.min = limit.min;
        if (limit.max !== null) input.max = limit.max;
      }
    }
    $("#model").addEventListener("change", showModelControls);
    showModelControls();
  } catch (error) {
    showError(`cannot list the models: ${error.message}`);
  }
}

document.addEventListener("DOMContentLoaded", start);
