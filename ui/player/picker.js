// Choose a crop by clicking the image: the one message this page sends the server on purpose
// (setStateValue "crop"), since the crop changes what the page draws. The crop's position
// also lives in the page's number inputs and in its link.
//
// data: {image: data URL, size: [width, height] px, crop: [top, left],
//        crop_size: [height, width] px, alt: text}

const pickers = new WeakMap(); // parentElement -> state of the picker shown there

function place(box, data, top, left, stage) {
  const [W, H] = data.size;
  const [ch, cw] = data.crop_size;
  const w = stage.clientWidth;
  const h = stage.clientHeight;
  // Centre of the crop, in CSS px of the shown image.
  box.style.left = `${((left + cw / 2) / W) * w}px`;
  box.style.top = `${((top + ch / 2) / H) * h}px`;
  box.style.width = `${(cw / W) * w}px`;
  box.style.height = `${(ch / H) * h}px`;
}

function cropAt(data, e, stage) {
  // The crop centred on the pointer, kept inside the image.
  const [W, H] = data.size;
  const [ch, cw] = data.crop_size;
  const rect = stage.getBoundingClientRect();
  const x = ((e.clientX - rect.left) / rect.width) * W;
  const y = ((e.clientY - rect.top) / rect.height) * H;
  const clamp = (v, size, hi) => Math.max(0, Math.min(hi, Math.round(v - size / 2)));
  return [clamp(y, ch, H - ch), clamp(x, cw, W - cw)];
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const root = parentElement.querySelector('[data-testid="crop-picker"]');
  if (!root || !data) return undefined;
  const stage = root.querySelector(".cp-picker-stage");
  const img = root.querySelector(".cp-picker-img");
  const box = root.querySelector(".cp-picker-box");
  const ghost = root.querySelector(".cp-picker-ghost");
  let state = pickers.get(parentElement);
  if (!state) {
    state = { data, listeners: [] };
    pickers.set(parentElement, state);
    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      state.listeners.push(() => target.removeEventListener(type, fn));
    };
    on(stage, "pointermove", (e) => {
      const [t, l] = cropAt(state.data, e, stage);
      ghost.hidden = false;
      place(ghost, state.data, t, l, stage);
    });
    on(stage, "pointerleave", () => {
      ghost.hidden = true;
    });
    on(stage, "click", (e) => {
      const [t, l] = cropAt(state.data, e, stage);
      place(box, state.data, t, l, stage); // at once; the page redraws the crop meanwhile
      root.dataset.crop = `${t},${l}`;
      // A new value each click, so that a click where the last one was still counts (the
      // crop may have been typed elsewhere since).
      state.clicks = (state.clicks || 0) + 1;
      setStateValue("crop", { top: t, left: l, click: state.clicks });
    });
    const ro = new ResizeObserver(() => place(box, state.data, ...state.data.crop, stage));
    ro.observe(stage);
    state.listeners.push(() => ro.disconnect());
    on(img, "load", () => place(box, state.data, ...state.data.crop, stage));
  }
  state.data = data;
  if (img.getAttribute("src") !== data.image) img.src = data.image;
  img.alt = data.alt;
  root.querySelector(".cp-picker-help").textContent =
    `Click a point of the image: the ${data.crop_size[0]}x${data.crop_size[1]} pixels ` +
    "around it are the ones " +
    "drawn below. (Or type the crop's row and column.)";
  root.dataset.crop = `${data.crop[0]},${data.crop[1]}`;
  root.dataset.ready = "true";
  place(box, data, ...data.crop, stage);
  return () => {
    if (pickers.get(parentElement) !== state) return;
    for (const off of state.listeners) off();
    pickers.delete(parentElement);
  };
}
