// The convolution player: steps, plays and hit-tests in the browser, with no message to the
// server. Everything comes at once in `data`, a binary payload packed by ui/player/__init__.py:
//
//   "CVP1" | header length (uint32, little-endian) | header (JSON, UTF-8) | blobs
//
// The header refers to blobs by {off, len, t}: t is "img" (an image of the header's mime
// type), "u16"/"u32" (unsigned integers) or "f32" (floats), all little-endian. Frames are the
// background image with the current step's overlays laid over it (unchanged pixels are
// transparent), so the browser shows exactly the engine's frames.
//
// Streamlit calls this function again on every rerun of the page, with the same DOM: a
// payload already shown (same id) is kept, with its step, so that a rerun elsewhere on the
// page does not reset what the learner is looking at.

const MIN_DIGIT_PX = 14; // smallest size, in CSS px, at which numbers stay readable
const KEPT_IMAGES = 64; // overlay <img>s kept made (and decoded) for steps shown lately
const SVG = "http://www.w3.org/2000/svg";
const players = new WeakMap(); // parentElement -> Player

function bytesOf(data) {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return null;
}

function unpack(data) {
  const u8 = bytesOf(data);
  if (!u8 || u8.length < 8 || String.fromCharCode(...u8.subarray(0, 4)) !== "CVP1") return null;
  const n = (u8[4] | (u8[5] << 8) | (u8[6] << 16) | (u8[7] << 24)) >>> 0;
  const head = JSON.parse(new TextDecoder().decode(u8.subarray(8, 8 + n)));
  const base = 8 + n;
  const raw = (ref) => u8.subarray(base + ref.off, base + ref.off + ref.len);
  // Typed arrays need aligned offsets, which a view into the message may not have: copy.
  const typed = { u16: Uint16Array, u32: Uint32Array, f32: Float32Array };
  const array = (ref) => new typed[ref.t](raw(ref).slice().buffer);
  return { head, raw, array };
}

function csr(ptr, values, i) {
  return values.subarray(ptr[i], ptr[i + 1]);
}

function el(tag, attrs = {}, text = null) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== null) e.textContent = text;
  return e;
}

class Player {
  constructor(root, payload) {
    this.root = root;
    this.q = (sel) => root.querySelector(sel);
    const { head, raw, array } = payload;
    this.head = head;
    this.id = head.id;
    this.n = head.steps;
    this.cols = head.cols;
    [this.W, this.H] = head.size;
    this.urls = [];
    const url = (ref) => {
      const u = URL.createObjectURL(new Blob([raw(ref)], { type: head.mime }));
      this.urls.push(u);
      return u;
    };
    this.bgUrl = url(head.bg);
    this.overlays = head.overlays.map((step) =>
      step.map(([x, y, w, h, off, len]) => ({ x, y, w, h, url: url({ off, len }) })),
    );
    this.outCells = array(head.out_cells);
    this.inCells = array(head.in_cells);
    this.outPolys = array(head.out_polys);
    this.inPolys = array(head.in_polys);
    this.readsPtr = array(head.reads_ptr);
    this.reads = array(head.reads);
    this.readersPtr = array(head.readers_ptr);
    this.readers = array(head.readers);
    const px = Object.values(head.number_px || {});
    this.minScale = px.length ? Math.min(1, MIN_DIGIT_PX / Math.min(...px)) : 0;

    this.step = 0; // the committed step
    this.preview = null; // an output cell's step shown while hovered
    this.hoverIn = null; // the hovered input cell
    this.pinnedIn = null; // an input cell clicked (or tapped) to keep its readers marked
    this.playing = false;
    this.timer = null;
    this.seq = 0;
    this.images = new Map(); // overlay url -> <img>, made once
    this.marked = [];
    this.listeners = [];

    this.build();
    this.bind();
    this.layout();
    this.show();
    root.dataset.ready = "true";
  }

  on(target, type, fn, opts) {
    target.addEventListener(type, fn, opts);
    this.listeners.push(() => target.removeEventListener(type, fn, opts));
  }

  build() {
    const h = this.head;
    const r = this.root;
    r.dataset.kind = h.kind;
    r.dataset.steps = String(this.n);
    r.dataset.naturalWidth = String(this.W);
    r.dataset.numberPx = JSON.stringify(h.number_px || {});
    r.setAttribute("aria-label", `Animation player: ${h.title}`);
    this.stage = this.q(".cp-stage");
    this.bg = this.q(".cp-bg");
    this.bg.src = this.bgUrl;
    this.layer = this.q(".cp-layer");
    this.caption = this.q(".cp-caption");
    this.hint = this.q(".cp-hint");
    this.stepno = this.q(".cp-stepno");
    this.slider = this.q(".cp-slider");
    this.slider.max = String(this.n);
    this.speed = this.q(".cp-speed");
    this.setSpeed(h.speed);
    this.playButton = this.q('[data-act="play"]');
    this.presentButton = this.q('[data-act="present"]');
    this.fitButton = this.q('[data-act="fit"]');
    this.fit = false;
    const what = h.kind === "depth" ? "pixel" : "cell";
    this.q(".cp-help").textContent =
      `Click or hover an output ${what} to jump to its step; hover an input ${what} (or tap ` +
      `it) to mark every output ${what} that reads it. Keys: Space plays or pauses, ← → step, ` +
      "↑ ↓ move a row, Home and End jump.";
    const downloadButton = this.q('[data-act="download"]');
    downloadButton.hidden = !h.png_name;
    for (const b of r.querySelectorAll(".cp-buttons button")) b.disabled = this.n < 2;
    this.slider.disabled = this.n < 2;

    const svg = this.q(".cp-hit");
    svg.setAttribute("viewBox", `0 0 ${this.W} ${this.H}`);
    const gIn = svg.querySelector(".cp-in");
    const gOut = svg.querySelector(".cp-out");
    gIn.replaceChildren();
    gOut.replaceChildren();
    // One polygon per cell and sheet; the first sheet's carries the cell's name (data-out,
    // data-in), the others say which cell they show (data-also-out, data-also-in), so a
    // selector finds each cell once while every sheet reacts to the pointer.
    const polys = (cells, flat, sheets, group, attr) => {
      const els = [];
      const count = cells.length / 2;
      for (let i = 0; i < count; i++) {
        const name = `${cells[2 * i]},${cells[2 * i + 1]}`;
        const mine = [];
        for (let s = 0; s < sheets; s++) {
          const o = (i * sheets + s) * 8;
          const pts = [0, 1, 2, 3].map((k) => `${flat[o + 2 * k]},${flat[o + 2 * k + 1]}`);
          const p = document.createElementNS(SVG, "polygon");
          p.setAttribute("points", pts.join(" "));
          p.setAttribute(s === 0 ? `data-${attr}` : `data-also-${attr}`, name);
          p.dataset.i = String(i);
          group.appendChild(p);
          mine.push(p);
        }
        els.push(mine);
      }
      return els;
    };
    // Outputs after inputs: where the slanted output plane hides input cells, it gets the
    // pointer, as it does in the picture.
    this.inEls = polys(this.inCells, this.inPolys, h.in_sheets, gIn, "in");
    this.outEls = polys(this.outCells, this.outPolys, h.out_sheets, gOut, "out");
  }

  bind() {
    const r = this.root;
    this.on(r, "keydown", (e) => this.key(e));
    this.on(r, "click", (e) => {
      const b = e.target.closest("button[data-act]");
      if (!b) return;
      const act = b.dataset.act;
      if (act === "play") this.toggle();
      else if (act === "fit") {
        this.fit = !this.fit;
        this.layout();
      }
      else if (act === "present") this.present(!r.classList.contains("cp-present"));
      else if (act === "download") this.download();
      else this.go({ first: 0, prev: this.step - 1, next: this.step + 1, last: this.n - 1 }[act]);
    });
    this.on(this.slider, "input", () => this.go(Number(this.slider.value) - 1));
    this.on(this.speed, "change", () => {
      if (this.playing) this.schedule();
    });
    const svg = this.q(".cp-hit");
    const cell = (e) => {
      const p = e.target.closest ? e.target.closest("polygon") : null;
      if (!p) return null;
      const out = p.hasAttribute("data-out") || p.hasAttribute("data-also-out");
      return { out, i: Number(p.dataset.i) };
    };
    this.on(svg, "pointerover", (e) => {
      const c = cell(e);
      if (!c) return;
      if (c.out) {
        this.hoverIn = null;
        this.preview = c.i;
      } else {
        this.preview = null;
        this.hoverIn = c.i;
      }
      this.show();
    });
    this.on(svg, "pointerleave", () => {
      this.preview = null;
      this.hoverIn = null;
      this.show();
    });
    this.on(svg, "click", (e) => {
      const c = cell(e);
      if (!c) return;
      if (c.out) {
        this.pause();
        this.preview = null;
        this.go(c.i);
      } else {
        this.pinnedIn = this.pinnedIn === c.i ? null : c.i;
        this.show();
      }
    });
    // A click on the picture gives the player the keyboard, so the arrows step at once.
    this.on(this.stage, "pointerdown", () => r.focus({ preventScroll: true }));
    let width = -1;
    const ro = new ResizeObserver(([entry]) => {
      // Only a new width changes the layout (which itself changes the height).
      if (entry.contentRect.width === width) return;
      width = entry.contentRect.width;
      this.layout();
    });
    ro.observe(r);
    this.listeners.push(() => ro.disconnect());
    this.on(window, "resize", () => this.layout());
  }

  key(e) {
    const t = e.target;
    const tag = t && t.tagName;
    if (e.key === "Escape") {
      if (this.root.classList.contains("cp-present")) this.present(false);
      else if (this.pinnedIn !== null) {
        this.pinnedIn = null;
        this.show();
      } else return;
      e.preventDefault();
      return;
    }
    // The slider and the speed menu keep their own keys; a focused button its Space/Enter.
    if (tag === "INPUT" || tag === "SELECT") return;
    if (tag === "BUTTON" && (e.key === " " || e.key === "Enter")) return;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const moves = {
      ArrowRight: this.step + 1,
      ArrowLeft: this.step - 1,
      ArrowDown: this.step + this.cols,
      ArrowUp: this.step - this.cols,
      Home: 0,
      End: this.n - 1,
    };
    if (e.key === " ") this.toggle();
    else if (e.key in moves) this.go(moves[e.key]);
    else return;
    e.preventDefault();
  }

  go(i, { keepPlaying = false } = {}) {
    if (!keepPlaying) this.pause();
    this.step = Math.max(0, Math.min(this.n - 1, i));
    this.show();
  }

  setSpeed(ms) {
    const options = [...this.speed.options].map((o) => Number(o.value));
    const best = options.reduce((a, b) => (Math.abs(b - ms) < Math.abs(a - ms) ? b : a));
    this.speed.value = String(best);
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  play() {
    if (this.n < 2) return;
    this.playing = true;
    this.playButton.setAttribute("aria-label", "Pause");
    this.playButton.querySelector(".cp-icon").textContent = "❚❚";
    this.playButton.querySelector(".cp-play-text").textContent = "Pause";
    this.root.dataset.playing = "true";
    this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (!this.playing) return;
      this.go((this.step + 1) % this.n, { keepPlaying: true }); // loops, as the GIFs do
      this.schedule();
    }, Number(this.speed.value));
  }

  pause() {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.playing) return;
    this.playing = false;
    this.playButton.setAttribute("aria-label", "Play");
    this.playButton.querySelector(".cp-icon").textContent = "▶";
    this.playButton.querySelector(".cp-play-text").textContent = "Play";
    this.root.dataset.playing = "false";
  }

  name(kind, i) {
    const cells = kind === "in" ? this.inCells : this.outCells;
    const [r, c] = [cells[2 * i], cells[2 * i + 1]];
    if (this.head.kind === "depth") return `pixel (${r},${c})`;
    return `${kind === "in" ? "input" : "output"}[${r},${c}]`;
  }

  show() {
    const i = this.preview !== null ? this.preview : this.step;
    const n = this.n;
    this.stepno.textContent =
      `Step ${i + 1} of ${n}` + (this.preview !== null && this.preview !== this.step ? " (hovered)" : "");
    this.setCaption(this.head.captions[i]);
    this.slider.value = String(this.step + 1);
    this.slider.setAttribute("aria-valuetext", `Step ${this.step + 1} of ${n}`);
    this.root.dataset.step = String(this.step);
    this.bg.alt = `${this.head.title}, step ${i + 1} of ${n}`;
    this.mark();
    this.frame(i);
  }

  setCaption(text) {
    // The engine's caption, as text (never HTML); the depth view's lines starting "- " are
    // one equation an output channel, shown as a list.
    const lines = text.split("\n");
    const items = lines.filter((l) => l.startsWith("- "));
    this.caption.replaceChildren();
    if (!items.length) {
      this.caption.textContent = text;
      return;
    }
    for (const l of lines.filter((l) => !l.startsWith("- "))) this.caption.append(el("div", {}, l));
    const ul = el("ul");
    for (const l of items) ul.append(el("li", {}, l.slice(2)));
    this.caption.append(ul);
  }

  mark() {
    for (const p of this.marked) {
      p.removeAttribute("data-reads");
      p.removeAttribute("data-hover");
    }
    this.marked = [];
    const j = this.hoverIn !== null ? this.hoverIn : this.pinnedIn;
    if (j === null) {
      this.hint.textContent = "";
      return;
    }
    for (const p of this.inEls[j]) {
      p.setAttribute("data-hover", "true");
      this.marked.push(p);
    }
    const steps = csr(this.readersPtr, this.readers, j);
    for (const s of steps) {
      for (const p of this.outEls[s]) {
        p.setAttribute("data-reads", "true");
        this.marked.push(p);
      }
    }
    const k = steps.length;
    const what = this.head.kind === "depth" ? "output pixel" : "output cell";
    const list = [...steps.subarray(0, 6)].map((s) => this.name("out", s)).join(", ");
    const more = k > 6 ? `, … (${k - 6} more)` : "";
    this.hint.textContent =
      `${this.head.kind === "depth" ? "Input " : ""}${this.name("in", j)} is read by ${k} ` +
      `${what}${k === 1 ? "" : "s"}${k ? `: ${list}${more}` : ""}.` +
      (this.pinnedIn === j ? " (Click it again or press Esc to let go.)" : "");
  }

  image(o) {
    let im = this.images.get(o.url);
    if (im) {
      this.images.delete(o.url); // now the latest
      this.images.set(o.url, im);
    } else {
      im = el("img", { alt: "", draggable: "false" });
      im.src = o.url;
      const [W, H] = [this.W, this.H];
      im.style.left = `${(100 * o.x) / W}%`;
      im.style.top = `${(100 * o.y) / H}%`;
      im.style.width = `${(100 * o.w) / W}%`;
      im.style.height = `${(100 * o.h) / H}%`;
      this.images.set(o.url, im);
      // A long animation's overlays, all decoded, would hold hundreds of MB: keep the latest.
      for (const [url, old] of this.images) {
        if (this.images.size <= KEPT_IMAGES) break;
        if (!old.isConnected) this.images.delete(url);
      }
    }
    return im;
  }

  frame(i) {
    // Swap the overlays once decoded, so a step never flashes the bare background.
    const token = ++this.seq;
    const imgs = this.overlays[i].map((o) => this.image(o));
    Promise.all(imgs.map((im) => im.decode().catch(() => null))).then(() => {
      if (token !== this.seq) return;
      this.layer.replaceChildren(...imgs);
      this.root.dataset.shown = String(i);
    });
  }

  layout() {
    const r = this.root;
    const present = r.classList.contains("cp-present");
    const style = getComputedStyle(r);
    const avail = r.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (avail <= 0) return;
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    const sideMin = (present ? 22 : 16) * rem;
    const gap = 1.5 * rem;
    const controls = this.q(".cp-controls").offsetHeight + (present ? 3 * rem : 0);
    const maxH = present
      ? window.innerHeight - controls - 3 * rem
      : Math.max(20 * rem, 0.8 * window.innerHeight);
    const maxUp = present ? 3 : 1; // upscale only to present: the drawings are sharpest at 1
    const best = Math.min(this.W * maxUp, (maxH * this.W) / this.H);
    const beside = Math.min(best, avail - sideMin - gap);
    // The caption goes beside the view when that costs the view little, else below it.
    const side = beside >= 0.85 * Math.min(best, avail);
    const width = side ? beside : Math.min(best, avail);
    // Numbers stay readable: a narrow screen scrolls the view sideways, unless the learner
    // asks to see it whole.
    const narrow = width / this.W < this.minScale;
    const scale = narrow && !this.fit ? this.minScale : width / this.W;
    const note = this.q(".cp-overflow");
    note.hidden = !narrow;
    note.dataset.fitted = String(this.fit);
    this.fitButton.setAttribute("aria-pressed", String(this.fit));
    this.fitButton.textContent = this.fit ? "Show the numbers at a readable size" : "Fit it to the width";
    this.stage.style.width = `${this.W * scale}px`;
    this.stage.style.height = `${this.H * scale}px`;
    this.q(".cp-side").style.flexBasis = side ? `${sideMin}px` : "100%";
    r.dataset.scale = scale.toFixed(4);
  }

  present(on) {
    this.root.classList.toggle("cp-present", on);
    this.presentButton.setAttribute("aria-pressed", on ? "true" : "false");
    this.layout();
    this.root.focus({ preventScroll: true });
  }

  async download() {
    const i = this.step;
    const load = (src) =>
      new Promise((ok, fail) => {
        const im = new Image();
        im.onload = () => ok(im);
        im.onerror = fail;
        im.src = src;
      });
    const canvas = el("canvas", { width: this.W, height: this.H });
    const ctx = canvas.getContext("2d");
    ctx.drawImage(await load(this.bgUrl), 0, 0);
    for (const o of this.overlays[i]) ctx.drawImage(await load(o.url), o.x, o.y);
    canvas.toBlob((blob) => {
      const a = el("a", { href: URL.createObjectURL(blob) });
      a.download = this.head.png_name.replace("{step}", String(i + 1));
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    }, "image/png");
  }

  destroy() {
    this.pause();
    this.seq++;
    for (const off of this.listeners) off();
    this.listeners = [];
    this.root.classList.remove("cp-present");
    this.layer.replaceChildren();
    for (const u of this.urls) URL.revokeObjectURL(u);
    this.urls = [];
    this.images.clear();
    for (const k of ["ready", "shown", "step", "playing"]) delete this.root.dataset[k];
  }
}

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector('[data-testid="conv-player"]');
  if (!root) return undefined;
  const payload = unpack(data);
  let player = players.get(parentElement);
  if (payload && player && player.id === payload.head.id) {
    player.setSpeed(payload.head.speed);
    player.head.title = payload.head.title;
    player.head.png_name = payload.head.png_name;
  } else {
    if (player) player.destroy();
    player = payload ? new Player(root, payload) : null;
    if (player) players.set(parentElement, player);
    else players.delete(parentElement);
  }
  const mine = player;
  return () => {
    // Only this call's player: a late cleanup must not take down a newer one.
    if (mine && players.get(parentElement) === mine) {
      mine.destroy();
      players.delete(parentElement);
    }
  };
}
