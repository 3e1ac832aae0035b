// The tutorial's misprints, flagged beside the step they belong to. The words are those `convlab explain` prints
// (its document, toDocument), so the page and the CLI never disagree about what the tutorial got wrong.
import { toDocument, type Block } from "../src/explain/doc.js";
import { explain } from "../src/explain/explain.js";
import { messages } from "../src/explain/messages.js";
import { TOPICS, type Check, type Lang, type Matrix } from "../src/explain/types.js";
import { el, tr, type LabContext, type Texts } from "./context.js";
import { CellGrid, figure, op, trm } from "./theory-dom.js";

/** One printed value of the tutorial set against the computation, with its explanation in both languages. */
export interface CheckNote {
  check: Check;
  /** "§2.1 the complete feature map S: WRONG (printed …, computed …)". */
  line: Texts;
  /** Why it is wrong, or why a right value still deserves a word (a sum missing one of its 9 terms). */
  reasons: Texts[];
}

/** The check line and the reasons that follow it in the document, for every check in the document's order. */
function noteTexts(blocks: Block[], lang: Lang): { line: string; reasons: string[] }[] {
  const title = messages(lang).checksTitle;
  const notes: { line: string; reasons: string[] }[] = [];
  let inChecks = false;
  for (const block of blocks) {
    if (block.kind === "heading") inChecks = block.text === title;
    else if (inChecks && block.kind === "check") notes.push({ line: block.text, reasons: [] });
    else if (inChecks && block.kind === "text") notes.at(-1)?.reasons.push(block.text);
  }
  return notes;
}

let cache: Map<string, CheckNote> | null = null;

/**
 * Every check of the tutorial's worked examples, by id ("conv.featureMap"). They depend on nothing the learner
 * edits (they are about the tutorial's own numbers), so they are computed once.
 */
export function tutorialNotes(): Map<string, CheckNote> {
  if (cache !== null) return cache;
  const explanation = explain(TOPICS);
  const checks = explanation.topics.flatMap((topic) => topic.checks);
  const en = noteTexts(toDocument(explanation, "en"), "en");
  const vi = noteTexts(toDocument(explanation, "vi"), "vi");
  // The notes are matched to the checks by position; if the document's layout changed, say so rather than
  // attach an explanation to the wrong check.
  if (en.length !== checks.length || vi.length !== checks.length) {
    throw new Error(`theory: ${checks.length} checks but ${en.length}/${vi.length} notes in the explain document`);
  }
  cache = new Map(
    checks.map((check, k) => [
      check.id,
      {
        check,
        line: { en: en[k].line, vi: vi[k].line },
        reasons: en[k].reasons.map((reason, r) => ({ en: reason, vi: vi[k].reasons[r] })),
      },
    ]),
  );
  return cache;
}

/** The printed matrix next to the computed one, the cells that differ framed in both. */
function printedVsComputed(ctx: LabContext, printed: Matrix, computed: Matrix, check: Check): HTMLElement {
  const differs = (i: number, j: number) => check.mismatches.some((x) => x.i === i && x.j === j);
  const grid = (m: Matrix, who: string) => {
    const g = new CellGrid({ class: "small", "data-matrix": who });
    g.show(m, (i, j) => [differs(i, j) && "differs"]);
    return g.element;
  };
  return el(
    "div",
    { class: "th-row" },
    figure(trm(ctx, "printed"), grid(printed, "printed")),
    op("≠"),
    figure(trm(ctx, "computed"), grid(computed, "computed")),
  );
}

function noteElement(ctx: LabContext, note: CheckNote): HTMLElement {
  const { check } = note;
  const kind = check.agrees ? "th-note" : "th-misprint";
  const box = el(
    "div",
    { class: kind, testid: kind === "th-misprint" ? "theory-misprint" : "theory-note", "data-check": check.id },
    el("p", { class: "th-note-line" }, el("span", { class: "th-icon" }, check.agrees ? "✓" : "⚠"), tr(ctx, note.line)),
  );
  const { printed, computed } = check;
  // As `convlab explain` does: a grid only for a wrong matrix of more than one row, where the framed cells help.
  if (!check.agrees && typeof printed === "object" && typeof computed === "object" && computed.length > 1) {
    box.append(printedVsComputed(ctx, printed, computed, check));
  }
  for (const reason of note.reasons) box.append(el("p", {}, tr(ctx, reason)));
  return box;
}

/**
 * The notes for the checks `ids`: each misprint as a warning (with the printed and computed matrices when that
 * helps), a right value that still needs a word as a note, and the plainly right ones in one line of ticks.
 */
export function checkNotes(ctx: LabContext, ids: readonly string[], testid: string, titled = true): HTMLElement {
  const notes = ids.map((id) => {
    const note = tutorialNotes().get(id);
    if (note === undefined) throw new Error(`theory: no check "${id}" in the explain document`);
    return note;
  });
  const plain = notes.filter((n) => n.check.agrees && n.reasons.length === 0);
  const box = el("div", { class: "th-checks", testid });
  if (titled) box.append(el("h4", {}, trm(ctx, "checksTitle")));
  box.append(...notes.filter((n) => !plain.includes(n)).map((n) => noteElement(ctx, n)));
  if (plain.length > 0) {
    const list = el("ul", { class: "th-right" });
    for (const n of plain) list.append(el("li", { "data-check": n.check.id }, "✓ ", tr(ctx, n.line)));
    box.append(list);
  }
  return box;
}
