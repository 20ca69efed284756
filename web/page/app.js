// The drawing demo: draw a label map, and a shipped Pix2Pix generator, run by ONNX Runtime
// Web in this browser, turns it into a picture after every stroke.
//
// demo.json (written by web/build.py) names the generators, their palettes, class names (in
// each language), models and start drawings, and the runtime's files. The page speaks English,
// or Simplified Chinese with `?lang=zh` (its words: texts.js). window.p2pDemo lets tests and
// the benchmark wait for results: `ready`, `backend`, `runs`, `lastLatencyMs`, `latencies`,
// `idle()`.

import { LabelMap, generatorInput, paintLabels, paintPicture, snapToPalette } from "./labels.js";
import { chooseBackend, createSession, fetchBytes, loadRuntime, runGenerator } from "./runtime.js";
import { TEXTS, applyTexts, chosenLanguage } from "./texts.js";

const HISTORY_LENGTH = 50;  // undo steps kept per generator
const BRUSH_SIZES = [3, 7, 15, 31];  // brush diameters, in pixels of the label map
const TOOL_KEYS = { b: "brush", r: "rectangle", f: "fill", e: "eraser" };
const MB = 1024 * 1024;

const parameters = new URLSearchParams(location.search);
const threads = Math.max(1, Number(parameters.get("threads")) || 1);
const language = chosenLanguage(parameters);
const texts = applyTexts(language);

const $ = (selector) => document.querySelector(selector);
const drawingCanvas = $("#drawing");
const pictureCanvas = $("#picture");

const hook = {
  ready: false,  // the first picture is shown and the page takes strokes
  backend: null,  // "webgpu" or "wasm": what ran the last picture
  backendReason: "",  // why WebAssembly, when it is WebAssembly (in English)
  language,  // "en" or "zh": the language of the page's words and class names
  generator: null,
  runs: 0,  // pictures shown so far
  lastLatencyMs: null,  // from the change (mouse-up, a button) to the picture on screen
  lastForwardMs: null,  // the generator's forward pass alone
  latencies: [],  // {cause, ms, forwardMs} of every picture
  error: null,
  idle: () => new Promise((resolve) => whenIdle(resolve)),
  labels: () => Array.from(current().map.ids),
};
window.p2pDemo = hook;

const state = {
  manifest: null,
  ort: null,
  backend: null,
  sessions: new Map(),  // generator name -> inference session
  drawings: new Map(),  // generator name -> {map, history, startIndex}
  generator: null,
  backendWhy: null,  // {code, detail}: why WebAssembly (a key of the texts' reasons)
  tool: "brush",
  classId: 0,
  brushSize: 1,  // index into BRUSH_SIZES
  stroke: null,
  loading: true,
  pending: null,  // the change waiting for a picture: {cause, since}
  running: false,
  idleWaiters: [],
};

function current() {
  return state.drawings.get(state.generator);
}

function spec() {
  return state.manifest.generators[state.generator];
}

// The class names of the generator shown, in the page's language.
function classNames() {
  return spec().classNames[language];
}

function generatorTitle(name) {
  return texts.generators[name] || name;
}

// The link to this page in the other language (the same generator and options).
function setLanguageSwitch() {
  const other = language === "zh" ? "en" : "zh";
  const url = new URL(location.href);
  if (other === "en") url.searchParams.delete("lang");
  else url.searchParams.set("lang", other);
  const link = $("#language-switch");
  link.href = (url.pathname.split("/").pop() || "./") + url.search;
  link.hreflang = TEXTS[other].htmlLang;
}

// ------------------------------------------------------------------ status lines

function showStatus(text, progress = null) {
  $("#status-text").textContent = text;
  const bar = $("#progress");
  bar.hidden = progress === null;
  if (progress !== null) {
    if (progress.total) {
      bar.max = progress.total;
      bar.value = progress.received;
    } else {
      bar.removeAttribute("value");
    }
  }
}

function progressReporter(what) {
  return (received, total) => {
    const size = total ? texts.sizeOf((received / MB).toFixed(1), (total / MB).toFixed(1)) : "";
    showStatus(texts.loadingWhat(what, size), { received, total });
  };
}

// Why WebAssembly runs, in `words` (the texts of a language).
function backendReason(words) {
  const why = state.backendWhy;
  return why ? words.reasons[why.code](why.detail) : "";
}

function showBackend() {
  const line = state.backend === "webgpu"
    ? texts.backendWebgpu
    : texts.backendWasm(threads, backendReason(texts));
  $("#backend").textContent = line;
  $("#backend").dataset.backend = state.backend;
}

function fail(error) {
  hook.error = String(error && error.message ? error.message : error);
  showStatus(texts.couldNotStart(hook.error));
  console.error(error);
}

// ------------------------------------------------------------------ drawing on screen

function renderDrawing() {
  const { map } = current();
  const context = drawingCanvas.getContext("2d");
  context.putImageData(paintLabels(map, spec().palette, context.createImageData(map.width, map.height)), 0, 0);
}

let renderQueued = false;
function renderSoon() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderDrawing();
  });
}

// ------------------------------------------------------------------ translating

function whenIdle(resolve) {
  if (!state.running && !state.pending) resolve();
  else state.idleWaiters.push(resolve);
}

// Ask for a picture of the drawing as it is now; `since` is when the change happened (the
// event's time stamp), so the latency counts from there.
function translateSoon(cause, since = performance.now()) {
  state.pending = { cause, since: state.pending ? Math.min(state.pending.since, since) : since };
  if (!state.running) translateLoop();
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

async function translateLoop() {
  state.running = true;
  try {
    while (state.pending && !state.loading) {  // a generator being loaded asks again
      const job = state.pending;
      state.pending = null;
      const name = state.generator;
      const { map } = current();
      const input = generatorInput(map, spec().palette);
      const started = performance.now();
      const output = await runGenerator(state.ort, state.sessions.get(name), input, map.height, map.width);
      const forwardMs = performance.now() - started;
      if (name !== state.generator) continue;  // switched meanwhile: the new one is pending
      const context = pictureCanvas.getContext("2d");
      context.putImageData(paintPicture(output, context.createImageData(map.width, map.height)), 0, 0);
      await nextFrame();  // painted in the frame after this one
      await nextFrame();
      const ms = performance.now() - job.since;
      hook.runs += 1;
      hook.lastLatencyMs = ms;
      hook.lastForwardMs = forwardMs;
      hook.latencies.push({ cause: job.cause, generator: name, ms, forwardMs });
      showStatus(texts.latency(Math.round(ms), texts.causes[job.cause] || job.cause,
                               Math.round(forwardMs)));
    }
  } catch (error) {
    fail(error);
  } finally {
    state.running = false;
    const waiters = state.idleWaiters.splice(0);
    waiters.forEach((resolve) => resolve());
  }
}

// ------------------------------------------------------------------ changing the drawing

function remember(before) {
  const drawing = current();
  drawing.history.push(before);
  if (drawing.history.length > HISTORY_LENGTH) drawing.history.shift();
}

function replaceDrawing(map, cause, since) {
  const drawing = current();
  if (drawing.map.equals(map)) return;
  remember(drawing.map);
  drawing.map = map;
  renderDrawing();
  translateSoon(cause, since);
}

function undo(since) {
  const drawing = current();
  if (!drawing.history.length) return;
  drawing.map = drawing.history.pop();
  renderDrawing();
  translateSoon("undo", since);
}

function clear(since) {
  const { width, height } = current().map;
  replaceDrawing(LabelMap.filled(width, height, spec().blank), "clear", since);
}

// An image (a start drawing or an upload) at the generator's size: laid over white, resized
// by nearest neighbour, every pixel snapped to the nearest palette colour.
async function imageToLabels(source) {
  const { width, height } = current().map;
  const bitmap = await createImageBitmap(source);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.fillStyle = "#fff";
  context.fillRect(0, 0, width, height);
  context.imageSmoothingEnabled = false;
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  return snapToPalette(context.getImageData(0, 0, width, height), spec().palette);
}

async function startDrawing(index) {
  const starts = spec().starts;
  const blob = new Blob([await fetchBytes(starts[index % starts.length])], { type: "image/png" });
  return imageToLabels(blob);
}

async function randomDrawing(since) {
  const drawing = current();
  drawing.startIndex = (drawing.startIndex + 1) % spec().starts.length;
  replaceDrawing(await startDrawing(drawing.startIndex), "random drawing", since);
}

async function upload(file) {
  const since = performance.now();
  try {
    replaceDrawing(await imageToLabels(file), "upload", since);
  } catch {
    showStatus(texts.notAnImage(file.name));
  }
}

function download() {
  pictureCanvas.toBlob((blob) => {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${state.generator}-pix2pix.png`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }, "image/png");
}

// ------------------------------------------------------------------ strokes

function canvasPoint(event) {
  const box = drawingCanvas.getBoundingClientRect();
  const { width, height } = current().map;
  const x = Math.floor(((event.clientX - box.left) / box.width) * width);
  const y = Math.floor(((event.clientY - box.top) / box.height) * height);
  return [Math.min(width - 1, Math.max(0, x)), Math.min(height - 1, Math.max(0, y))];
}

function paintStroke(stroke, point) {
  const { map } = current();
  const radius = (BRUSH_SIZES[state.brushSize] - 1) / 2;
  if (stroke.tool === "brush" || stroke.tool === "eraser") {
    map.line(stroke.last[0], stroke.last[1], point[0], point[1], radius, stroke.classId);
  } else if (stroke.tool === "rectangle") {
    map.ids.set(stroke.before.ids);
    map.rectangle(stroke.start[0], stroke.start[1], point[0], point[1], stroke.classId);
  }
  stroke.last = point;
}

function onPointerDown(event) {
  if (state.loading || state.stroke || (event.pointerType === "mouse" && event.button !== 0)) return;
  event.preventDefault();
  drawingCanvas.setPointerCapture(event.pointerId);
  const point = canvasPoint(event);
  const classId = state.tool === "eraser" ? spec().blank : state.classId;
  const stroke = { id: event.pointerId, tool: state.tool, classId, before: current().map.copy(),
                   start: point, last: point };
  state.stroke = stroke;
  if (stroke.tool === "fill") current().map.fill(point[0], point[1], classId);
  else paintStroke(stroke, point);
  renderSoon();
}

function onPointerMove(event) {
  const stroke = state.stroke;
  if (!stroke || event.pointerId !== stroke.id || stroke.tool === "fill") return;
  const points = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  for (const each of points.length ? points : [event]) paintStroke(stroke, canvasPoint(each));
  renderSoon();
}

function onPointerUp(event) {
  const stroke = state.stroke;
  if (!stroke || event.pointerId !== stroke.id) return;
  state.stroke = null;
  const drawing = current();
  if (event.type === "pointercancel") {
    drawing.map = stroke.before;
  } else {
    if (stroke.tool !== "fill") paintStroke(stroke, canvasPoint(event));
    if (!drawing.map.equals(stroke.before)) {
      remember(stroke.before);
      translateSoon(stroke.tool === "rectangle" ? "rectangle" : "stroke", event.timeStamp);
    }
  }
  renderDrawing();
}

// ------------------------------------------------------------------ controls

function setTool(tool) {
  state.tool = tool;
  for (const button of document.querySelectorAll("#tools button[data-tool]")) {
    button.setAttribute("aria-pressed", String(button.dataset.tool === tool));
  }
}

function setBrushSize(index) {
  state.brushSize = Math.min(BRUSH_SIZES.length - 1, Math.max(0, index));
  $("#brush-size").value = String(state.brushSize);
}

function setClass(classId) {
  if (classId < 0 || classId >= spec().classes.length) return;
  state.classId = classId;
  for (const button of document.querySelectorAll("#palette button")) {
    button.setAttribute("aria-pressed", String(Number(button.dataset.class) === classId));
  }
  $("#eraser-class").textContent = classNames()[spec().blank];
}

function buildPalette() {
  const palette = $("#palette");
  palette.replaceChildren();
  classNames().forEach((name, classId) => {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.class = String(classId);
    button.title = classId < 10 ? texts.classKey(name, (classId + 1) % 10) : name;
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = `rgb(${spec().palette[classId].join(",")})`;
    button.append(swatch, name);
    button.addEventListener("click", () => setClass(classId));
    palette.append(button);
  });
}

function buildControls() {
  const chooser = $("#generators");
  for (const name of Object.keys(state.manifest.generators)) {
    const label = document.createElement("label");
    const radio = document.createElement("input");
    radio.type = "radio";
    radio.name = "generator";
    radio.value = name;
    radio.addEventListener("change", () => selectGenerator(name).catch(fail));
    label.append(radio, ` ${generatorTitle(name)}`);
    chooser.append(label);
  }
  BRUSH_SIZES.forEach((size, index) => {
    const option = document.createElement("option");
    option.value = String(index);
    option.textContent = `${size} px`;
    $("#brush-size").append(option);
  });
  $("#brush-size").addEventListener("change", (event) => setBrushSize(Number(event.target.value)));
  for (const button of document.querySelectorAll("#tools button[data-tool]")) {
    button.addEventListener("click", () => setTool(button.dataset.tool));
  }
  $("#random").addEventListener("click", (event) => randomDrawing(event.timeStamp).catch(fail));
  $("#undo").addEventListener("click", (event) => undo(event.timeStamp));
  $("#clear").addEventListener("click", (event) => clear(event.timeStamp));
  $("#download").addEventListener("click", download);
  $("#upload").addEventListener("change", (event) => {
    const [file] = event.target.files;
    if (file) upload(file);
    event.target.value = "";
  });
  drawingCanvas.addEventListener("pointerdown", onPointerDown);
  drawingCanvas.addEventListener("pointermove", onPointerMove);
  drawingCanvas.addEventListener("pointerup", onPointerUp);
  drawingCanvas.addEventListener("pointercancel", onPointerUp);
  document.addEventListener("keydown", onKey);
  setTool("brush");
  setBrushSize(1);
}

function onKey(event) {
  if (state.loading || event.target.closest("input, select, textarea")) return;
  const key = event.key.toLowerCase();
  const command = event.ctrlKey || event.metaKey;
  let handled = true;
  if (command && key === "z") undo(event.timeStamp);
  else if (command || event.altKey) handled = false;
  else if (TOOL_KEYS[key]) setTool(TOOL_KEYS[key]);
  else if (key === "[") setBrushSize(state.brushSize - 1);
  else if (key === "]") setBrushSize(state.brushSize + 1);
  else if (key === "u") undo(event.timeStamp);
  else if (key === "c") clear(event.timeStamp);
  else if (key === "n") randomDrawing(event.timeStamp).catch(fail);
  else if (key === "d") download();
  else if (/^[0-9]$/.test(key)) setClass((Number(key) + 9) % 10);
  else handled = false;
  if (handled) event.preventDefault();
}

// ------------------------------------------------------------------ generators

async function loadSession(name) {
  if (state.sessions.has(name)) return state.sessions.get(name);
  const model = state.manifest.generators[name].model;
  const what = texts.theGenerator(name, generatorTitle(name));
  const bytes = await fetchBytes(model.path, progressReporter(what));
  showStatus(texts.starting(what), { received: 0, total: 0 });
  let session;
  try {
    session = await createSession(state.ort, bytes, state.backend);
  } catch (error) {
    if (state.backend !== "webgpu") throw error;
    // WebGPU could not run this model here: WebAssembly can.
    await startRuntime({ name: "wasm", why: { code: "webgpuFailed", detail: error.message } });
    session = await createSession(state.ort, bytes, state.backend);
  }
  state.sessions.set(name, session);
  return session;
}

async function selectGenerator(name) {
  state.loading = true;
  state.generator = name;
  hook.generator = name;
  for (const radio of document.querySelectorAll("#generators input")) radio.checked = radio.value === name;
  document.body.dataset.generator = name;
  buildPalette();
  setClass(spec().firstClass);
  const [width, height] = [spec().width, spec().height];
  for (const canvas of [drawingCanvas, pictureCanvas]) {
    canvas.width = width;
    canvas.height = height;
  }
  await loadSession(name);
  if (!state.drawings.has(name)) {
    state.drawings.set(name, { map: LabelMap.filled(width, height, spec().blank), history: [], startIndex: 0 });
    current().map = await startDrawing(0);
  }
  renderDrawing();
  state.loading = false;
  translateSoon("start");
  await hook.idle();
}

async function startRuntime(backend) {
  state.backend = backend.name;
  state.backendWhy = backend.why;
  hook.backend = backend.name;
  hook.backendReason = backendReason(TEXTS.en);
  showBackend();
  const files = state.manifest.runtime[backend.name];
  state.ort = await loadRuntime(files, threads, progressReporter("ONNX Runtime Web"));
  state.sessions.clear();
}

async function main() {
  setLanguageSwitch();
  showStatus(texts.loading, { received: 0, total: 0 });
  const response = await fetch("demo.json");
  if (!response.ok) throw new Error(`demo.json: HTTP ${response.status}`);
  state.manifest = await response.json();
  buildControls();
  await startRuntime(await chooseBackend(parameters.get("backend")));
  const names = Object.keys(state.manifest.generators);
  const asked = parameters.get("generator");
  await selectGenerator(names.includes(asked) ? asked : names[0]);
  hook.ready = true;
  document.body.dataset.ready = "true";
}

main().catch(fail);
