import { IdbStorage } from "../src/browser/idb-storage.js";
import { decodeSafetensors, encodeSafetensors } from "../src/io/safetensors.js";
import { modelFromWeights, modelMetadata } from "../src/models/choice.js";
import { readJson, writeJson } from "../src/train/storage.js";
import { el, tr, type LabContext, type LabModel, type Texts } from "./context.js";
import { download } from "./download.js";

/** Where the page keeps its current model, so that it survives a reload. */
const saved = new IdbStorage("lab/current");
const MODEL = "model.safetensors";
const SOURCE = "source.json";

/** A model from a safetensors state dict's bytes (convlab's or PyTorch's); errors name `name`. */
export function labModel(bytes: Uint8Array, name: string, source: Texts): LabModel {
  const { choice, model } = modelFromWeights(decodeSafetensors(bytes, name), name);
  model.eval();
  return { model, arch: choice.arch, source, safetensors: bytes };
}

/**
 * A model from a file chosen or dropped: a safetensors state dict, or an ONNX model (convlab's export or
 * `torch.onnx.export`'s, told by the name's `.onnx`). The ONNX code loads only then, keeping the page's first load
 * small.
 */
async function fileModel(bytes: Uint8Array, name: string): Promise<LabModel> {
  const source = { en: name, vi: name };
  if (!/\.onnx$/i.test(name)) return labModel(bytes, name, source);
  const { modelFromOnnx } = await import("../src/models/onnx-import.js");
  const { choice, model } = modelFromOnnx(bytes, name);
  model.eval();
  return { model, arch: choice.arch, source, safetensors: encodeSafetensors(model.stateDict(), modelMetadata(choice)) };
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
  const input = el("input", { type: "file", accept: ".safetensors,.onnx", testid: "weights-file" });
  const downloadButton = el(
    "button",
    { testid: "weights-download", disabled: true },
    tr(ctx, { en: "Download weights", vi: "Tải trọng số" }),
  );
  const onnxButton = el(
    "button",
    { testid: "weights-download-onnx", disabled: true },
    tr(ctx, { en: "Download ONNX", vi: "Tải ONNX" }),
  );

  const load = async (file: File) => {
    error.textContent = "";
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      await adoptModel(ctx, await fileModel(bytes, file.name));
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
    if (file === undefined || !/\.(safetensors|onnx)$/i.test(file.name)) return;
    event.preventDefault();
    void load(file);
  });
  downloadButton.addEventListener("click", () => {
    const current = ctx.model.value;
    if (current !== null) download(current.safetensors, `${current.arch}.safetensors`);
  });
  // The same model for ONNX Runtime and the other runtimes: opset 13, any batch size.
  onnxButton.addEventListener("click", async () => {
    const current = ctx.model.value;
    if (current === null) return;
    const { exportOnnx } = await import("../src/models/onnx-export.js");
    download(exportOnnx(current.model), `${current.arch}.onnx`);
  });

  const show = () => {
    const current = ctx.model.value;
    const lang = ctx.lang.value;
    downloadButton.disabled = current === null;
    onnxButton.disabled = current === null;
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
    tr(ctx, { en: "Load weights (.safetensors, .onnx)", vi: "Nạp trọng số (.safetensors, .onnx)" }),
    input,
  );
  return el("div", { class: "weights" }, status, label, downloadButton, onnxButton, error);
}
