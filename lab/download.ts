import { el } from "./context.js";

/** Offers `data` as a file download named `name`, as a browser does for a link with a `download` attribute. */
export function download(data: Uint8Array | string, name: string, type = "application/octet-stream"): void {
  const part = typeof data === "string" ? data : data.slice();
  const url = URL.createObjectURL(new Blob([part], { type }));
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
