/** One column of a terminal table: its header, how a row shows in it, and whether it holds numbers (right-aligned). */
export interface Column<T> {
  header: string;
  value: (row: T) => string;
  numeric?: boolean;
}

/** A plain-text table, columns padded to their widest cell, numbers right-aligned so their digits line up. */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((row) => columns.map((c) => c.value(row)))];
  const widths = columns.map((_, j) => Math.max(...cells.map((line) => line[j].length)));
  return cells
    .map((line) =>
      line
        .map((cell, j) => (columns[j].numeric === true ? cell.padStart(widths[j]) : cell.padEnd(widths[j])))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
