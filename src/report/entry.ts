// ReportEntry in a file of its own: the public types then do not pull in vega-lite's typings (which
// need the DOM lib), so a Node project type-checks ctlkit without skipLibCheck.
import type { SweepResults } from '../sweep/types.js';

/** One sweep result with the name it is shown under. */
export interface ReportEntry {
  label: string;
  results: SweepResults;
  /** a short name for legends (default: label) */
  short?: string;
}
