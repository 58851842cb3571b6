// Upload options as the dialog holds them, and the fix a refused upload suggests.

export interface ReadOptions {
  skip_rows: string;
  header_row: boolean;
  delimiter: string;
  encoding: string;
}

/** The option a 422 suggests ("try skip_rows=1", "try delimiter=';'"), to fill in for the next try. */
export function suggestedOption(message: string): Partial<ReadOptions> | null {
  const skip = /try skip_rows=(\d+)/.exec(message);
  if (skip) return { skip_rows: skip[1] };
  const delim = /try delimiter='([^']+)'/.exec(message);
  if (delim) return { delimiter: delim[1] === "\\t" ? "tab" : delim[1] };
  return null;
}
