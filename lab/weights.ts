import { IdbStorage } from "../src/browser/idb-storage.js";
import { decodeSafetensors } from "../src/io/safetensors.js";
import { modelFromWeights } from "../src/models/choice.js";
import { readJson, writeJson } from "../src/train/storage.js";
import { el, tr, type LabContext, type LabModel, type Texts } from "./context.js";
import { download } from "./download.js";

/** Where the page keeps its current model, so that it survives a reload. */
const saved = new IdbStorage("lab/current");
const MODEL = "model.safetensors";
const SOURCE = "source.json";

/** A model from a safetensors file's bytes (convlab's or PyTorch's state dict); errors name `name`. */
export function labModel(bytes: Uint8Array, name: string, source: Texts): LabModel {
  const { choice, model } = modelFromWeights(decodeSafetensors(bytes, name), name);
  model.eval();
  return { model, arch: choice.arch, source, safetensors: bytes };
}

/** Makes `model` the page's current model and stores it for the next visit. */
export async function adoptModel(ctx: LabContext, model: LabModel): Promise<void> {
  ctx.model.set(model);
  await saved.write(MODEL, model.safetensors);
  await writeJson(saved, SOURCE, model.source);
}

/** The model kept by {@link adoptModel} on an earlier visit, or null. */
async function restoreModel(): Promise<LabModel | null> {
  const bytes = await saved.read(MODEL);
  if (bytes === undefined) return null;
  const source = (await readJson<Texts>(saved, SOURCE)) ?? { en: MODEL, vi: MODEL };
  return labModel(bytes, `${saved.where}/${MODEL}`, source);
}

/**
 * The bar under the header: which model the page uses (trained here, restored, or loaded), a file input that loads
 * a safetensors state dict (the CLI's or PyTorch's; dropping a file on the page does the same), and a download of
 * the current weights.
 */
export function weightsBar(ctx: LabContext): HTMLElement {
  const status = el("span", { testid: "weights-status", class: "weights-status" });
  const error = el("span", { class: "error", role: "alert" });
  const input = el("input", { type: "file", accept: ".safetensors", testid: "weights-file" });
  const downloadButton = el(
    "button",
    { testid: "weights-download", disabled: true },
    tr(ctx, { en: "Download weights", vi: "Tải trọng số" }),
  );

  const load = async (file: File) => {
    error.textContent = "";
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      await adoptModel(ctx, labModel(bytes, file.name, { en: file.name, vi: file.name }));
    } catch (failure) {
      error.textContent = (failure as Error).message;
    }
  };
  input.addEventListener("change", () => {
    const file = input.files?.[0];
    if (file !== undefined) void load(file).finally(() => (input.value = ""));
  });
  document.addEventListener("dragover", (event) => event.preventDefault());
  document.addEventListener("drop", (event) => {
    const file = event.dataTransfer?.files[0];
    if (file === undefined || !file.name.endsWith(".safetensors")) return;
    event.preventDefault();
    void load(file);
  });
  downloadButton.addEventListener("click", () => {
    const current = ctx.model.value;
    if (current !== null) download(current.safetensors, `${current.arch}.safetensors`);
  });

  const show = () => {
    const current = ctx.model.value;
    const lang = ctx.lang.value;
    downloadButton.disabled = current === null;
    status.textContent =
      current === null
        ? {
            en: "No model yet: train one, or load weights.",
            vi: "Chưa có mô hình: hãy huấn luyện, hoặc nạp trọng số.",
          }[lang]
        : `${{ en: "Model", vi: "Mô hình" }[lang]}: ${current.arch} · ${current.source[lang]}`;
  };
  ctx.model.watch(show);
  ctx.lang.watch(show);
  restoreModel().then(
    (model) => {
      if (model !== null && ctx.model.value === null) ctx.model.set(model);
    },
    (failure: Error) => (error.textContent = failure.message),
  );

  const label = el(
    "label",
    { class: "file-button" },
    tr(ctx, { en: "Load weights (.safetensors)", vi: "Nạp trọng số (.safetensors)" }),
    input,
  );
  return el("div", { class: "weights" }, status, label, downloadButton, error);
}
