// ONNX Runtime Web, loaded from this site: WebGPU when the browser gives an adapter, else
// WebAssembly on one thread (more threads need cross-origin isolation, which a plain static
// host does not give).

// Which backend to try first: `?backend=wasm` forces WebAssembly; otherwise WebGPU when
// navigator.gpu hands out an adapter. Returns {name, why}: why WebAssembly, as {code, detail}
// with code a key of the texts' reasons (texts.js), or null for WebGPU.
export async function chooseBackend(requested) {
  if (requested === "wasm") return { name: "wasm", why: { code: "asked" } };
  if (!("gpu" in navigator) || !navigator.gpu) return { name: "wasm", why: { code: "noWebgpu" } };
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (adapter) return { name: "webgpu", why: null };
  } catch (error) {
    return { name: "wasm", why: { code: "noAdapter", detail: error.message } };
  }
  return { name: "wasm", why: { code: "noAdapter" } };
}

// Fetch a file as bytes, reporting (received, total) as it arrives.
export async function fetchBytes(url, onProgress = () => {}) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const total = Number(response.headers.get("Content-Length")) || 0;
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress(bytes.length, bytes.length);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress(received, total);
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

// ONNX Runtime for one backend: its module imported and its WebAssembly binary fetched
// (with progress), one thread. `files` is the manifest's runtime entry for the backend.
export async function loadRuntime(files, threads, onProgress) {
  const ort = await import(new URL(files.module, document.baseURI).href);
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";
  ort.env.wasm.wasmBinary = await fetchBytes(files.binary, onProgress);
  return ort;
}

// An inference session of the model bytes on `backend` ("webgpu" or "wasm").
export async function createSession(ort, modelBytes, backend) {
  return ort.InferenceSession.create(modelBytes, {
    executionProviders: [backend],
    graphOptimizationLevel: "all",
  });
}

// One forward pass: input float32 [1, H, W, 3] -> output float32 data of the same shape.
export async function runGenerator(ort, session, input, height, width) {
  const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", input, [1, height, width, 3]) };
  const results = await session.run(feeds);
  return results[session.outputNames[0]].data;
}
