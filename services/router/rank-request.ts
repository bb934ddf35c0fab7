import { parseJson } from '../common/http';
import { JSON_OK, scanJson } from './json-scan';
import { candidateCountOf } from './rank-answer';

/**
 * Judges a rank request body the way the replicas would judge its syntax, before it is forwarded: a body that
 * is not JSON is refused here with the service's own 400 invalid_json (thrown as an HttpError), so it never
 * reaches a replica. Returns the number of candidates when the body has a top-level `candidates` array (to
 * check the answer's scores against), else undefined.
 *
 * Checks the syntax with a scan that builds nothing (see json-scan.ts); anything the scan refuses or is unsure
 * about goes to JSON.parse, whose verdict and error message stand.
 */
export function candidateCountOfRequest(body: Buffer): number | undefined {
  const scanned = scanJson(body);
  if (scanned.verdict === JSON_OK) return scanned.candidates === -1 ? undefined : scanned.candidates;
  return candidateCountOf(parseJson(body));
}
