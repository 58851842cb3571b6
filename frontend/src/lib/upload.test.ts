import { describe, expect, it } from "vitest";
import { suggestedOption } from "./upload";

describe("a refused upload's suggestion", () => {
  it("fills the option the API suggests", () => {
    expect(suggestedOption("Rows don't fit the header: line 2 has 14 fields; the header has 2. The first 3 lines look like a preamble: try skip_rows=3")).toEqual({ skip_rows: "3" });
    expect(suggestedOption("… The fields look separated by ';': try delimiter=';'")).toEqual({ delimiter: ";" });
    expect(suggestedOption("… try delimiter='\\t'")).toEqual({ delimiter: "tab" });
    expect(suggestedOption("The file is empty")).toBeNull();
  });
});
