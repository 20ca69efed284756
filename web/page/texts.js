// The page's words in each of its languages: English and Simplified Chinese (`?lang=zh`).
//
// index.html names each piece of text by a key (`data-text`: the element's content, which may
// hold <code>; `data-title`, `data-label`: its title and aria-label); the functions build the
// sentences the page writes as it runs. The class names are not here: web/build.py exports
// them into demo.json from p2plib's one table (p2plib.datasets.palettes).

export const LANGUAGES = ["en", "zh"];

export const TEXTS = {
  en: {
    htmlLang: "en",
    title: "Pix2Pix in your browser: draw a label map",
    heading: "Pix2Pix in your browser",
    intro: "Draw a label map: a generator trained by this course turns it into a picture after " +
      "every stroke, here on your device, with nothing installed and nothing sent anywhere.",
    course: "The course", courseAfter: ".",
    switchLanguage: "简体中文",
    switchTitle: "这个演示的简体中文版",
    tools: "Tools",
    generator: "Generator",
    tool: "Tool",
    brush: "Brush", brushTitle: "Brush (B)",
    rectangle: "Rectangle", rectangleTitle: "Rectangle (R)",
    fill: "Fill", fillTitle: "Fill (F)",
    eraser: "Eraser", eraserTitle: "Eraser (E)",
    eraserBefore: "(paints ", eraserClass: "the background", eraserAfter: ")",
    size: "Size", sizeTitle: "Brush size ([ and ])",
    drawing: "Drawing",
    random: "Random", randomTitle: "A drawing from the dataset (N)",
    undo: "Undo", undoTitle: "Undo (U, Ctrl+Z)",
    clear: "Clear", clearTitle: "Clear (C)",
    upload: "Upload",
    uploadTitle: "A label map image: each pixel takes the nearest palette colour",
    download: "Download", downloadTitle: "Save the picture (D)",
    palette: "Palette", classes: "Classes", classToDraw: "Class to draw with",
    drawingCanvas: "Your label map: draw here", drawingCaption: "Your label map",
    pictureCanvas: "The generator's picture", pictureCaption: "The generator's picture",
    loading: "Loading…",
    backendNone: "Backend: not chosen yet.",
    testModeBefore: "The generator runs in inference mode (Keras's <code>training=False</code>: " +
      "dropout off, batch normalisation with its moving averages), because the paper's test " +
      "mode (dropout on, each image normalised by its own statistics) cannot be exported to " +
      "ONNX; ",
    testModeLink: "notebook 05",
    testModeAfter: " shows both.",
    keys: "Keys: B brush, R rectangle, F fill, E eraser, [ and ] brush size, 1–9 and 0 the " +
      "first ten classes, U or Ctrl+Z undo, C clear, N random, D download.",
    generators: { facades: "Facades", streets: "Streets" },
    causes: {},  // the causes' own (English) names
    loadingWhat: (what, size) => `Loading ${what}${size}…`,
    sizeOf: (received, total) => ` (${received} of ${total} MB)`,
    theGenerator: (name) => `the ${name} generator`,
    starting: (what) => `Starting ${what}…`,
    backendWebgpu: "Backend: WebGPU (ONNX Runtime Web).",
    backendWasm: (threads, reason) =>
      `Backend: WebAssembly, ${threads} thread${threads > 1 ? "s" : ""} (ONNX Runtime Web)` +
      (reason ? `: ${reason}.` : "."),
    reasons: {
      asked: () => "WebAssembly was asked for",
      noWebgpu: () => "this browser has no WebGPU",
      noAdapter: (detail) => `WebGPU gave no adapter${detail ? ` (${detail})` : ""}`,
      webgpuFailed: (detail) => `WebGPU could not run the model (${detail})`,
    },
    couldNotStart: (error) => `The demo could not start: ${error}`,
    latency: (ms, cause, forwardMs) =>
      `${ms} ms from the ${cause} to the picture (the generator's forward pass: ${forwardMs} ms).`,
    notAnImage: (name) => `${name} is not an image this browser can read; upload a PNG or JPEG file.`,
    classKey: (name, key) => `${name} (key ${key})`,
  },
  zh: {
    htmlLang: "zh-CN",
    title: "浏览器里的 Pix2Pix：画一张标签图",
    heading: "浏览器里的 Pix2Pix",
    intro: "画一张标签图：每画一笔，本课程训练的生成器就把它变成一张图片。一切都在你自己的设备上运行，" +
      "无需安装，也不向任何地方发送数据。",
    course: "回到课程", courseAfter: "。",
    switchLanguage: "English",
    switchTitle: "This demo in English",
    tools: "工具",
    generator: "生成器",
    tool: "工具",
    brush: "画笔", brushTitle: "画笔（B）",
    rectangle: "矩形", rectangleTitle: "矩形（R）",
    fill: "填充", fillTitle: "填充（F）",
    eraser: "橡皮擦", eraserTitle: "橡皮擦（E）",
    eraserBefore: "（涂成", eraserClass: "背景", eraserAfter: "）",
    size: "大小", sizeTitle: "画笔大小（[ 和 ]）",
    drawing: "画板",
    random: "随机", randomTitle: "数据集里的一张图（N）",
    undo: "撤销", undoTitle: "撤销（U、Ctrl+Z）",
    clear: "清空", clearTitle: "清空（C）",
    upload: "上传",
    uploadTitle: "一张标签图图像：每个像素取调色板中最接近的颜色",
    download: "下载", downloadTitle: "保存图片（D）",
    palette: "调色板", classes: "类别", classToDraw: "要画的类别",
    drawingCanvas: "你的标签图：在这里画", drawingCaption: "你的标签图",
    pictureCanvas: "生成器画出的图片", pictureCaption: "生成器画出的图片",
    loading: "加载中…",
    backendNone: "后端：尚未选定。",
    testModeBefore: "生成器以推理模式运行（Keras 的 <code>training=False</code>：关闭 Dropout，" +
      "批归一化使用滑动平均），因为论文的测试模式（打开 Dropout，每张图像用它自己的统计量归一化）" +
      "无法导出为 ONNX；",
    testModeLink: "笔记本 05",
    testModeAfter: " 展示了这两种模式。",
    keys: "快捷键：B 画笔，R 矩形，F 填充，E 橡皮擦，[ 和 ] 调整画笔大小，1–9 和 0 选前十个类别，" +
      "U 或 Ctrl+Z 撤销，C 清空，N 随机，D 下载。",
    generators: { facades: "建筑立面", streets: "街景" },
    causes: {
      start: "启动", stroke: "一笔", rectangle: "矩形", undo: "撤销", clear: "清空",
      "random drawing": "随机图", upload: "上传",
    },
    loadingWhat: (what, size) => `正在加载${what}${size}…`,
    sizeOf: (received, total) => `（${received} / ${total} MB）`,
    theGenerator: (name, title) => `${title}生成器`,
    starting: (what) => `正在启动${what}…`,
    backendWebgpu: "后端：WebGPU（ONNX Runtime Web）。",
    backendWasm: (threads, reason) =>
      `后端：WebAssembly，${threads} 个线程（ONNX Runtime Web）` + (reason ? `：${reason}。` : "。"),
    reasons: {
      asked: () => "指定了 WebAssembly",
      noWebgpu: () => "此浏览器没有 WebGPU",
      noAdapter: (detail) => `WebGPU 没有提供适配器${detail ? `（${detail}）` : ""}`,
      webgpuFailed: (detail) => `WebGPU 无法运行该模型（${detail}）`,
    },
    couldNotStart: (error) => `演示无法启动：${error}`,
    latency: (ms, cause, forwardMs) =>
      `从${cause}到出图 ${ms} ms（生成器的前向传播：${forwardMs} ms）。`,
    notAnImage: (name) => `${name} 不是此浏览器能读取的图像；请上传 PNG 或 JPEG 文件。`,
    classKey: (name, key) => `${name}（按键 ${key}）`,
  },
};

// The language asked for by `?lang=` (English unless it names another of LANGUAGES).
export function chosenLanguage(parameters) {
  const asked = parameters.get("lang");
  return LANGUAGES.includes(asked) ? asked : "en";
}

// Write the texts of `language` into the page: every element's content, title and label
// named by its data-text, data-title and data-label; links with a data-href-LANGUAGE take
// that address.
export function applyTexts(language, root = document) {
  const texts = TEXTS[language];
  document.documentElement.lang = texts.htmlLang;
  document.title = texts.title;
  for (const element of root.querySelectorAll("[data-text]")) {
    element.innerHTML = texts[element.dataset.text];
  }
  for (const element of root.querySelectorAll("[data-title]")) {
    element.title = texts[element.dataset.title];
  }
  for (const element of root.querySelectorAll("[data-label]")) {
    element.setAttribute("aria-label", texts[element.dataset.label]);
  }
  for (const link of root.querySelectorAll(`a[data-href-${language}]`)) {
    link.href = link.getAttribute(`data-href-${language}`);
  }
  return texts;
}
