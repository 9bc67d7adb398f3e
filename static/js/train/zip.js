// Choosing the zip of images (the button, the hidden file input, or a file dropped anywhere on the page): what can
// be checked here (size, and a zip's first bytes; the server checks the rest), the zip card, and the model id the
// name will give. The only module that sets the chosen file.

import { clearFormError, formatBytes } from "../ui.js";
import { els, limits, showError, state } from "./page.js";

const ZIP_MAGIC = [[0x50, 0x4b, 0x03, 0x04], [0x50, 0x4b, 0x05, 0x06]]; // a zip's first bytes (with files; empty)

/** The id the server will give a model of this name (worker/user_models.py model_id_for), before any -2. */
function modelIdFor(name) {
  const letters = name.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "");
  const slug = letters.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
  return slug || "my-model";
}

export function showModelId() {
  els.modelId.textContent = els.name.value.trim() ? modelIdFor(els.name.value) : "";
}

async function startsLikeAZip(file) {
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  return ZIP_MAGIC.some((magic) => magic.every((byte, i) => head[i] === byte));
}

/** Checks what can be checked here (the server checks everything else), then shows the file in the card. */
async function chooseZip(file) {
  clearFormError();
  state.zipFile = null;
  els.zipCard.dataset.state = "invalid";
  els.zipName.textContent = file.name;
  els.zipMeta.textContent = formatBytes(file.size);
  if (file.size > limits.maxZipBytes) {
    showError("The zip is too large", `${file.name} is ${formatBytes(file.size)}; the limit is ` +
      `${formatBytes(limits.maxZipBytes)}. Use fewer or smaller images.`);
    return;
  }
  if (!(await startsLikeAZip(file))) {
    showError("That is not a zip file", `${file.name} is not a .zip archive. Put your images in a folder, ` +
      "compress it to a .zip and choose that.");
    return;
  }
  state.zipFile = file;
  els.zipCard.dataset.state = "loaded";
  els.zipMeta.textContent = `${formatBytes(file.size)} · checked by the server when you start`;
  if (!els.name.value.trim()) {
    els.name.value = file.name.replace(/\.zip$/i, "").replace(/[_-]+/g, " ").trim().slice(0, 60);
    showModelId();
  }
}

/** The "Choose a zip…" button and its file input, and dropping a file anywhere on the page. */
export function bindZipInputs() {
  els.zipChoose.addEventListener("click", () => els.zipInput.click());
  els.zipInput.addEventListener("change", () => {
    if (els.zipInput.files.length) chooseZip(els.zipInput.files[0]);
    els.zipInput.value = ""; // choosing the same file again still fires "change"
  });
  let dragDepth = 0;
  document.addEventListener("dragenter", (event) => {
    if (![...(event.dataTransfer?.types || [])].includes("Files")) return;
    dragDepth += 1;
    document.body.classList.add("is-dragging-file");
  });
  document.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) document.body.classList.remove("is-dragging-file");
  });
  document.addEventListener("dragover", (event) => event.preventDefault());
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    dragDepth = 0;
    document.body.classList.remove("is-dragging-file");
    const file = event.dataTransfer?.files?.[0];
    if (file) chooseZip(file);
  });
}
