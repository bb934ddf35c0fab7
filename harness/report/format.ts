// How every report writes a duration, so the page, the console, JUnit and the CI summary agree to the digit.

/** A figure that was not measured, or an event that did not happen, unless the caller names it ('never'). */
const ABSENT = '–';

/** "248.5 ms" */
export const ms = (v: number | null | undefined, absent = ABSENT): string => (v === null || v === undefined ? absent : `${v.toFixed(1)} ms`);

/** "12.3 s" from milliseconds */
export const seconds = (v: number | null | undefined, absent = ABSENT): string => (v === null || v === undefined ? absent : `${(v / 1000).toFixed(1)} s`);

/** "63.4%" */
export const percent = (v: number | null | undefined, absent = ABSENT): string => (v === null || v === undefined ? absent : `${v.toFixed(1)}%`);
