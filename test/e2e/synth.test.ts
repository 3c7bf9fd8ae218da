// What users do with the example app offline: `cdk synth` (reproducibly) and `cdk diff` to review a change.
import * as fs from 'fs';
import * as path from 'path';
import { RECONCILE_CONTEXT_KEY } from '../../lib/common/reconcile';
import { mustCdk, readTree, tempDir, cdk } from '../support/cdk-cli';

const STACK = 'ConnectionSharingExample';

describe('example app through the CDK CLI', () => {
  let first: string;

  beforeAll(() => {
    first = tempDir('synth-a');
    mustCdk(['synth', '--quiet', '-o', first]);
  });

  test('two clean synths give byte-identical templates and asset hashes', () => {
    const second = tempDir('synth-b');
    mustCdk(['synth', '--quiet', '-o', second]);
    // tree.json and manifest.json carry no deploy-relevant bytes beyond what the template and assets hold,
    // but cdk.out/*.json metadata may name the temp folder: compare what CloudFormation and the publisher use.
    // performance-counters.json is written only when a synth takes over 10 s per stack (a loaded machine).
    const relevant = (rel: string) => rel === 'tree.json' || rel === 'cdk.out' || rel === 'manifest.json' || rel === 'performance-counters.json';
    const a = readTree(first, relevant);
    const b = readTree(second, relevant);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [rel, bytes] of a) expect({ rel, same: bytes.equals(b.get(rel)!) }).toEqual({ rel, same: true });
    const assets = JSON.parse(fs.readFileSync(path.join(first, `${STACK}.assets.json`), 'utf8'));
    expect(Object.keys(assets.files).length).toBeGreaterThanOrEqual(3);
  });

  test('cdk diff against the deployed template names exactly the one property that changed', () => {
    const result = cdk(['diff', '--template', path.join(first, `${STACK}.template.json`), STACK, '-c', 'accessType=DENY_ALL']);
    const out = `${result.stdout}\n${result.stderr}`;
    expect(out).toMatch(/\[~\] Custom::PartnerConnectionPreferences/);
    expect(out).toMatch(/\[~\] AccessType/);
    expect(out).toMatch(/\[-\] ALLOW_BY_DEFAULT_DENY_SOME/);
    expect(out).toMatch(/\[\+\] DENY_ALL/);
    // Exactly one resource changes, and nothing is added or removed.
    const resourceLines = out.split('\n').filter((l) => /^\[[~+-]\] (AWS|Custom)::/.test(l.trim()));
    expect(resourceLines).toHaveLength(1);
  });

  test('without the reconcile key the template is the one a reconciling synth gives minus its Reconcile properties, byte for byte', () => {
    const reconciling = tempDir('synth-reconcile');
    mustCdk(['synth', '--quiet', '-o', reconciling, '-c', `${RECONCILE_CONTEXT_KEY}=r1`]);
    const plain = fs.readFileSync(path.join(first, `${STACK}.template.json`), 'utf8');
    const template = JSON.parse(fs.readFileSync(path.join(reconciling, `${STACK}.template.json`), 'utf8'));
    const custom = Object.values(template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>).filter((r) => r.Type.startsWith('Custom::'));
    expect(custom.map((r) => [r.Type, r.Properties.Reconcile])).toEqual([
      ['Custom::PartnerConnectionPreferences', 'r1'],
      ['Custom::ConnectionAliasSharing', 'r1'],
    ]);
    for (const r of custom) delete r.Properties.Reconcile;
    // As the CDK writes templates: one-space indentation.
    expect(JSON.stringify(template, undefined, 1)).toBe(plain);
    expect(plain).not.toContain('Reconcile');
  });

  test('cdk diff shows a reconcile deploy as what it is: a Reconcile property with the given value on each resource, nothing else', () => {
    const result = cdk(['diff', '--template', path.join(first, `${STACK}.template.json`), STACK, '-c', `${RECONCILE_CONTEXT_KEY}=2026-12-02T09:00Z`]);
    const out = `${result.stdout}\n${result.stderr}`;
    const lines = out.split('\n').map((l) => l.trim());
    const resourceLines = lines.filter((l) => /^\[[~+-]\] (AWS|Custom)::/.test(l));
    expect(resourceLines).toEqual([
      expect.stringMatching(/^\[~\] Custom::PartnerConnectionPreferences Preferences\/Resource Preferences/),
      expect.stringMatching(/^\[~\] Custom::ConnectionAliasSharing AliasSharing\/Resource AliasSharing/),
    ]);
    // Each: one added property and its value; no replacement.
    expect(lines.filter((l) => l.startsWith('└─') || l.startsWith('├─'))).toEqual(['└─ [+] Reconcile', '└─ 2026-12-02T09:00Z', '└─ [+] Reconcile', '└─ 2026-12-02T09:00Z']);
    expect(out).not.toMatch(/replace/i);
  });
});
