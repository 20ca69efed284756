// Label maps: one class id per pixel, at the generator's size, shown in a palette.
//
// The drawing is kept as class ids, not colours, so no stroke can make a colour that is no
// class (no antialiasing); colours come in only through an upload or a start picture, and
// each pixel then takes the class of the nearest palette colour (squared RGB distance, the
// first class on a tie), the rule of p2plib's datasets.nearest_class_ids.

export class LabelMap {
  constructor(width, height, ids = new Uint8Array(width * height)) {
    this.width = width;
    this.height = height;
    this.ids = ids;
  }

  static filled(width, height, classId) {
    return new LabelMap(width, height, new Uint8Array(width * height).fill(classId));
  }

  copy() {
    return new LabelMap(this.width, this.height, this.ids.slice());
  }

  equals(other) {
    if (other.ids.length !== this.ids.length) return false;
    for (let i = 0; i < this.ids.length; i += 1) if (other.ids[i] !== this.ids[i]) return false;
    return true;
  }

  at(x, y) {
    return this.ids[y * this.width + x];
  }

  // A filled disc of `radius` pixels centred on (x, y).
  disc(x, y, radius, classId) {
    const reach = Math.ceil(radius);
    const limit = radius * radius + radius * 0.5;  // round discs at small radii
    for (let dy = -reach; dy <= reach; dy += 1) {
      const row = Math.round(y) + dy;
      if (row < 0 || row >= this.height) continue;
      for (let dx = -reach; dx <= reach; dx += 1) {
        const column = Math.round(x) + dx;
        if (column < 0 || column >= this.width || dx * dx + dy * dy > limit) continue;
        this.ids[row * this.width + column] = classId;
      }
    }
  }

  // A brush stroke's segment: discs every pixel or closer from (x0, y0) to (x1, y1).
  line(x0, y0, x1, y1, radius, classId) {
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
    for (let step = 0; step <= steps; step += 1) {
      const t = step / steps;
      this.disc(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, radius, classId);
    }
  }

  // The rectangle with corners (x0, y0) and (x1, y1), both included, clipped to the map.
  rectangle(x0, y0, x1, y1, classId) {
    const left = Math.max(0, Math.min(x0, x1)), right = Math.min(this.width - 1, Math.max(x0, x1));
    const top = Math.max(0, Math.min(y0, y1)), bottom = Math.min(this.height - 1, Math.max(y0, y1));
    for (let row = top; row <= bottom; row += 1) {
      this.ids.fill(classId, row * this.width + left, row * this.width + right + 1);
    }
  }

  // The region of one class that (x, y) lies in (4-connected) takes `classId`.
  fill(x, y, classId) {
    const start = y * this.width + x, old = this.ids[start];
    if (old === classId) return;
    const stack = [start];
    this.ids[start] = classId;
    while (stack.length) {
      const index = stack.pop();
      const column = index % this.width;
      const neighbours = [index - this.width, index + this.width];
      if (column > 0) neighbours.push(index - 1);
      if (column < this.width - 1) neighbours.push(index + 1);
      for (const next of neighbours) {
        if (next >= 0 && next < this.ids.length && this.ids[next] === old) {
          this.ids[next] = classId;
          stack.push(next);
        }
      }
    }
  }
}

// The class whose palette colour ([[r, g, b], ...]) is nearest to (r, g, b).
export function nearestClass(palette, r, g, b) {
  let best = 0, bestDistance = Infinity;
  for (let id = 0; id < palette.length; id += 1) {
    const [pr, pg, pb] = palette[id];
    const distance = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2;
    if (distance < bestDistance) {
      best = id;
      bestDistance = distance;
    }
  }
  return best;
}

// RGBA pixels (an ImageData) as a label map: every pixel the class of the nearest colour.
export function snapToPalette(imageData, palette) {
  const { width, height, data } = imageData;
  const map = new LabelMap(width, height);
  const seen = new Map();  // a drawing has few colours: find each one's class once
  for (let i = 0; i < width * height; i += 1) {
    const key = (data[4 * i] << 16) | (data[4 * i + 1] << 8) | data[4 * i + 2];
    let id = seen.get(key);
    if (id === undefined) {
      id = nearestClass(palette, data[4 * i], data[4 * i + 1], data[4 * i + 2]);
      seen.set(key, id);
    }
    map.ids[i] = id;
  }
  return map;
}

// The label map's colours into an ImageData of the same size (opaque).
export function paintLabels(map, palette, imageData) {
  const { data } = imageData;
  for (let i = 0; i < map.ids.length; i += 1) {
    const [r, g, b] = palette[map.ids[i]];
    data[4 * i] = r;
    data[4 * i + 1] = g;
    data[4 * i + 2] = b;
    data[4 * i + 3] = 255;
  }
  return imageData;
}

// The generator's input: the label map's colours scaled to [-1, 1], float32 [1, H, W, 3]
// (p2plib's data.normalize).
export function generatorInput(map, palette) {
  const input = new Float32Array(map.ids.length * 3);
  const scaled = palette.map((colour) => colour.map((value) => value / 127.5 - 1));
  for (let i = 0; i < map.ids.length; i += 1) {
    const colour = scaled[map.ids[i]];
    input[3 * i] = colour[0];
    input[3 * i + 1] = colour[1];
    input[3 * i + 2] = colour[2];
  }
  return input;
}

// The generator's output [1, H, W, 3] in [-1, 1] as opaque 8-bit pixels: clipped and
// rounded (p2plib's data.denormalize).
export function paintPicture(output, imageData) {
  const { data } = imageData;
  const pixels = data.length / 4;
  for (let i = 0; i < pixels; i += 1) {
    for (let channel = 0; channel < 3; channel += 1) {
      const value = (output[3 * i + channel] + 1) * 127.5;
      data[4 * i + channel] = Math.round(Math.min(255, Math.max(0, value)));
    }
    data[4 * i + 3] = 255;
  }
  return imageData;
}
