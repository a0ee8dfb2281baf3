/**
 * Classifies the differences between a released OpenAPI document and a candidate. The diff and its
 * first classification come from api-smart-diff; a few rules are then tightened where our policy is
 * stricter than the tool's defaults (see `tighten`). Only differences under `paths` count: those are
 * resolved in the context of a request or a response, which decides whether a change breaks clients.
 */
import { apiCompare } from 'api-smart-diff';

export type Severity = 'breaking' | 'non-breaking' | 'annotation' | 'deprecated' | 'unclassified';

export interface Finding {
  severity: Severity;
  action: string;
  /** JSON pointer-ish path of the change, e.g. `paths./v1/time.get.responses.200...`. */
  location: string;
  description: string;
  /** Which of our rules decided, when it was not the tool's own classification. */
  rule?: string;
}

type Path = readonly (string | number)[];

export function classifyOpenApi(before: object, after: object): Finding[] {
  const { diffs } = apiCompare(before, after);
  const findings: Finding[] = [];
  for (const d of diffs as { type: Severity; action: string; path: Path; description?: string }[]) {
    const path = d.path;
    if (path[0] !== 'paths' && path[0] !== 'security') continue;
    const tightened = tighten(path, d.action);
    const relaxed = tightened ? undefined : relax(path, d.action);
    findings.push({
      severity: tightened ? 'breaking' : relaxed ? 'non-breaking' : d.type,
      action: d.action,
      location: path.join('.'),
      description: d.description ?? `${d.action} ${path.join('.')}`,
      ...((tightened ?? relaxed) && { rule: tightened ?? relaxed }),
    });
  }
  return findings;
}

/** Our stricter rules; each returns the rule's name when it makes a change breaking. */
function tighten(path: Path, action: string): string | undefined {
  // Clients are written against a security requirement; any change to it needs a new version.
  if (path.includes('security')) return 'security-changed';
  const responseAt = path.indexOf('responses');
  if (responseAt < 0) return undefined;
  const inSchema = path.slice(responseAt);
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  // A client may read any documented response field, optional or not.
  if (action === 'remove' && parent === 'properties') return 'response-field-removed';
  // A client parses a response field as its documented type.
  if (action === 'replace' && last === 'type' && inSchema.includes('schema')) return 'response-type-changed';
  return undefined;
}

/**
 * Where our policy is looser than the tool's: a response that now promises a field or a header
 * always (a `required` added under `responses`) breaks no client: a client that handled its
 * absence still works when it is always there.
 */
function relax(path: Path, action: string): string | undefined {
  if (action !== 'add' || !path.includes('responses')) return undefined;
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (last === 'required' || parent === 'required') return 'response-guarantee-added';
  return undefined;
}

export function breaking(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'breaking');
}
