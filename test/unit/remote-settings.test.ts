import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialsOf, exportLines, hostOf, normalizeServerUrl, parseChoice, secretKey, trackingEnvironment, validateServerUrl } from '../../src/extension/remote-settings';

describe('remote server settings', () => {
  it('accepts http(s) tracking URIs and says what is wrong with others', () => {
    for (const good of ['http://127.0.0.1:5000', 'https://mlflow.example.com/', 'https://gw.example.com/team/mlflow', '  http://host:80  ']) assert.equal(validateServerUrl(good), undefined, good);
    assert.match(validateServerUrl('')!, /Enter the URL/);
    assert.match(validateServerUrl('mlflow.example.com')!, /Start the URL with http/);
    assert.match(validateServerUrl('ftp://host')!, /http:\/\/ or https:\/\//);
    assert.match(validateServerUrl('databricks://profile')!, /Databricks/);
    assert.match(validateServerUrl('https://admin:pw@host')!, /no user name or password in the URL/);
    assert.match(validateServerUrl('https://host/?x=1')!, /no \?query/);
  });

  it('normalizes a URL as MLFLOW_TRACKING_URI takes it and shows its host', () => {
    assert.equal(normalizeServerUrl(' https://mlflow.example.com/ '), 'https://mlflow.example.com');
    assert.equal(normalizeServerUrl('http://gw:8080/team/mlflow//'), 'http://gw:8080/team/mlflow');
    assert.equal(hostOf('http://gw:8080/team/mlflow'), 'gw:8080/team/mlflow');
    assert.equal(hostOf('https://mlflow.example.com'), 'mlflow.example.com');
  });

  it('keeps one secret per server, kind of auth and user; credentials need their secret', () => {
    const basic = { url: 'https://m', auth: 'basic' as const, username: 'ann' };
    assert.notEqual(secretKey(basic), secretKey({ ...basic, username: 'bob' }));
    assert.notEqual(secretKey(basic), secretKey({ url: 'https://m', auth: 'bearer' }));
    assert.deepEqual(credentialsOf(basic, 'pw'), { kind: 'basic', username: 'ann', password: 'pw' });
    assert.equal(credentialsOf(basic, undefined), undefined);
    assert.deepEqual(credentialsOf({ url: 'https://m', auth: 'none' }, undefined), { kind: 'none' });
  });

  it('gives scripts the tracking URI with a token or a user name and password, and export lines a shell reads back', () => {
    assert.deepEqual(trackingEnvironment('http://h', { kind: 'bearer', token: 't' }), { MLFLOW_TRACKING_URI: 'http://h', MLFLOW_TRACKING_TOKEN: 't' });
    assert.deepEqual(trackingEnvironment('http://h', { kind: 'basic', username: 'u', password: 'p' }), { MLFLOW_TRACKING_URI: 'http://h', MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' });
    assert.deepEqual(trackingEnvironment('http://h', { kind: 'none' }), { MLFLOW_TRACKING_URI: 'http://h' });
    assert.equal(exportLines({ A: "it's", B: 'http://h:5000/x', C: 'p w$' }), "export A='it'\\''s'\nexport B=http://h:5000/x\nexport C='p w$'\n");
  });

  it('reads back only a sound choice from workspace state, else the local store', () => {
    assert.deepEqual(parseChoice(undefined), { kind: 'local' });
    assert.deepEqual(parseChoice({ kind: 'remote', url: 'not a url', auth: 'none' }), { kind: 'local' });
    assert.deepEqual(parseChoice({ kind: 'remote', url: 'https://m/', auth: 'basic' }), { kind: 'local' }, 'basic without a user name');
    assert.deepEqual(parseChoice({ kind: 'remote', url: 'https://m/', auth: 'basic', username: 'ann', password: 'leaked?' }), { kind: 'remote', url: 'https://m', auth: 'basic', username: 'ann' });
    assert.deepEqual(parseChoice({ kind: 'remote', url: 'http://h:5000', auth: 'weird' }), { kind: 'remote', url: 'http://h:5000', auth: 'none' });
    assert.deepEqual(parseChoice({ kind: 'mlflow-store', path: '/w/mlflow.db', extra: 1 }), { kind: 'mlflow-store', path: '/w/mlflow.db' });
    assert.deepEqual(parseChoice({ kind: 'mlflow-store', path: 'mlflow.db' }), { kind: 'local' }, 'a relative path is not trusted');
    assert.deepEqual(parseChoice({ kind: 'mlflow-store' }), { kind: 'local' });
  });
});
