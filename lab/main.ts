// The lab page: the tutorial as four live parts (Theory, Train, Draw, Homework) over the same convlab core the CLI
// uses. This file builds the frame: the header with the part switch, the language switch and the weights bar.
import { useBrowserBackend } from "../src/browser/index.js";
import { el, Observable, tr, type Lang, type LabContext, type LabModel, type Texts } from "./context.js";
import { drawPart } from "./draw.js";
import { homeworkPart } from "./homework.js";
import { theoryPart } from "./theory.js";
import { trainPart } from "./train.js";
import { weightsBar } from "./weights.js";

/** The language to start in: `?lang=`, then the last choice, then the browser's. */
function startLang(): Lang {
  const asked = new URLSearchParams(location.search).get("lang") ?? localStorage.getItem("convlab.lang");
  if (asked === "en" || asked === "vi") return asked;
  return navigator.language.toLowerCase().startsWith("vi") ? "vi" : "en";
}

const PARTS: { id: string; name: Texts; build: (ctx: LabContext) => HTMLElement }[] = [
  { id: "theory", name: { en: "Theory", vi: "Lý thuyết" }, build: theoryPart },
  { id: "train", name: { en: "Train", vi: "Huấn luyện" }, build: trainPart },
  { id: "draw", name: { en: "Draw", vi: "Vẽ số" }, build: drawPart },
  { id: "homework", name: { en: "Homework", vi: "Bài tập" }, build: homeworkPart },
];

async function start(): Promise<void> {
  const ctx: LabContext = { lang: new Observable<Lang>(startLang()), model: new Observable<LabModel | null>(null) };
  ctx.lang.watch((lang) => {
    document.documentElement.lang = lang;
    localStorage.setItem("convlab.lang", lang);
  });
  // The page's own thread runs only single images (Draw); training runs in a worker with its own kernel workers.
  await useBrowserBackend({ threads: 1 });

  const langSwitch = el(
    "select",
    { testid: "lang-switch", "aria-label": "Language / Ngôn ngữ" },
    el("option", { value: "en" }, "English"),
    el("option", { value: "vi" }, "Tiếng Việt"),
  );
  langSwitch.value = ctx.lang.value;
  langSwitch.addEventListener("change", () => ctx.lang.set(langSwitch.value as Lang));

  const nav = el("nav");
  const main = el("main");
  const show = (id: string) => {
    for (const section of main.children) (section as HTMLElement).hidden = section.id !== id;
    for (const button of nav.children) button.classList.toggle("current", (button as HTMLElement).dataset.part === id);
    history.replaceState(null, "", `#${id}`);
  };
  for (const part of PARTS) {
    const button = el("button", { testid: `nav-${part.id}`, "data-part": part.id }, tr(ctx, part.name));
    button.addEventListener("click", () => show(part.id));
    nav.append(button);
    main.append(el("section", { id: part.id }, part.build(ctx)));
  }
  const header = el("header", {}, el("h1", {}, "convlab"), nav, langSwitch);
  document.body.append(header, weightsBar(ctx), main);
  const initial = location.hash.slice(1);
  show(PARTS.some((p) => p.id === initial) ? initial : "theory");
}

start().catch((error: unknown) => {
  document.body.append(el("pre", { class: "fatal" }, String((error as Error).stack ?? error)));
  throw error;
});
