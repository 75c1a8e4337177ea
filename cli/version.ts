/**
 * dmasim's version, from deno.json.
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

/** dmasim's version, e.g. "0.1.0". */
export const VERSION: string = denoJson.version;

/** The version as fio's JSON `"fio version"` field shows it: `dmasim-0.1.0`. */
export const VERSION_STRING: string = `dmasim-${VERSION}`;
