import { SecrecyRecorder } from '@tokenstore/conformance';
import { describe, expect, it } from 'vitest';

const TOKEN = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';

describe('SecrecyRecorder', () => {
  it('reports an issued value found in an event, naming the kind of value and the place, never the value', () => {
    const recorder = new SecrecyRecorder();
    recorder.recordResult('issueAccessToken', { accessToken: TOKEN, expiresIn: 3600 });
    recorder.recordExposure('event security', [{ grantId: 'g', note: `token ${TOKEN}` }]);
    const leaks = recorder.leaks();
    expect(leaks).toEqual(['accessToken found in event security']);
    expect(leaks.join()).not.toContain(TOKEN);
  });

  it('looks into error messages and their causes', () => {
    const recorder = new SecrecyRecorder();
    recorder.recordResult('registerClient', { consumerKey: 'k', consumerSecret: TOKEN });
    recorder.recordError(new Error('outer', { cause: new Error(`driver said ${TOKEN}`) }), 'caught error');
    expect(recorder.leaks()).toEqual(['consumerSecret found in caught error cause message']);
  });

  it('records a plain string result (a regenerated secret) and ignores values too short to be secrets', () => {
    const recorder = new SecrecyRecorder();
    recorder.recordResult('regenerateClientSecret', TOKEN);
    recorder.recordPlaintext('short', 'abc');
    recorder.recordExposure('console.log', ['abc', TOKEN.slice(0, 20)]);
    expect(recorder.leaks()).toEqual([]);
    recorder.recordExposure('console.log', [TOKEN]);
    expect(recorder.leaks()).toEqual(['regenerateClientSecret result found in console.log']);
  });

  it('keeps the plaintexts of the current test apart from the whole run', () => {
    const recorder = new SecrecyRecorder();
    recorder.recordPlaintext('code', TOKEN);
    recorder.beginTest();
    recorder.recordPlaintext('code', `${TOKEN}x`);
    expect([...recorder.plaintextsOfCurrentTest().keys()]).toEqual([`${TOKEN}x`]);
    expect(recorder.plaintextCount).toBe(2);
  });
});
