import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../main/engine/errors.ts';
import { connectionFromEnv, connectionsFromPgpass, lookupPgpass, parseConnectionUri, parsePgpass } from '../../main/engine/profiles/profile-import.ts';
import { normaliseProfileFields } from '../../main/engine/profiles/profile-validation.ts';

describe('connection URI import', () => {
  it('reads user, password, host, port, database and ssl parameters', () => {
    const parsed = parseConnectionUri('postgresql://app%40corp:p%3Ass@db.example.com:6432/sales?sslmode=verify-full&sslrootcert=/etc/ca.crt');
    expect(parsed.fields).toMatchObject({ user: 'app@corp', host: 'db.example.com', port: 6432, database: 'sales', sslmode: 'verify-full', sslRootCert: '/etc/ca.crt' });
    expect(parsed.password).toBe('p:ss');
  });

  it('defaults port 5432, database = user, sslmode prefer; IPv6 hosts lose their brackets', () => {
    const parsed = parseConnectionUri('postgres://bob@[::1]');
    expect(parsed.fields).toMatchObject({ host: '::1', port: 5432, database: 'bob', sslmode: 'prefer' });
    expect(parsed.password).toBeNull();
  });

  it('refuses other schemes, a missing user and an unknown sslmode with a fix', () => {
    for (const uri of ['mysql://u@h/db', 'postgres://h/db', 'postgres://u@h/db?sslmode=always', 'not a uri']) {
      const error = (() => { try { parseConnectionUri(uri); } catch (e) { return e; } })();
      expect(error, uri).toBeInstanceOf(LifeboatError);
      expect((error as LifeboatError).fix, uri).toBeTruthy();
    }
  });
});

describe('~/.pgpass import', () => {
  const text = ['# comment', 'db1.example.com:5432:sales:alice:s3cr\\:et', '*:*:*:bob:wild', 'db2:*:*:carol:back\\\\slash', 'broken line', ''].join('\n');

  it('parses escapes and skips comments and malformed lines', () => {
    const entries = parsePgpass(text);
    expect(entries.map((e) => e.password)).toEqual(['s3cr:et', 'wild', 'back\\slash']);
    expect(entries[0]).toMatchObject({ host: 'db1.example.com', database: 'sales', user: 'alice', line: 2 });
  });

  it('turns concrete lines into profiles (a wildcard host cannot become one)', () => {
    const found = connectionsFromPgpass(text, '/home/x/.pgpass');
    expect(found.map((f) => f.fields.name)).toEqual(['alice@db1.example.com/sales', 'carol@db2/postgres']);
    expect(found[1]!.fields.port).toBe(5432);
    expect(found[0]!.source).toBe('/home/x/.pgpass line 2');
  });

  it('looks a password up with libpq first-match wildcards', () => {
    const entries = parsePgpass(text);
    expect(lookupPgpass(entries, { host: 'other', port: 1, database: 'x', user: 'bob' })).toBe('wild');
    expect(lookupPgpass(entries, { host: 'other', port: 1, database: 'x', user: 'nobody' })).toBeNull();
  });
});

describe('PG* environment import', () => {
  it('reads the libpq variables and falls back to ~/.pgpass for the password', () => {
    const parsed = connectionFromEnv({ PGHOST: 'h', PGPORT: '5433', PGUSER: 'bob', PGDATABASE: 'inv', PGSSLMODE: 'require' }, parsePgpass('h:5433:inv:bob:frompgpass'));
    expect(parsed.fields).toMatchObject({ host: 'h', port: 5433, user: 'bob', database: 'inv', sslmode: 'require' });
    expect(parsed.password).toBe('frompgpass');
    expect(connectionFromEnv({ PGHOST: 'h', PGUSER: 'bob', PGPASSWORD: 'env' }).password).toBe('env');
  });

  it('says what to set when nothing is set', () => {
    expect(() => connectionFromEnv({})).toThrow(/PGHOST/);
  });
});

describe('profile validation', () => {
  const base = { name: 'prod', host: 'db', port: 5432, database: 'app', user: 'app', sslmode: 'prefer', color: 'blue' } as const;
  it('normalises and names the field at fault', () => {
    expect(normaliseProfileFields({ ...base, name: '  prod ', database: '' })).toMatchObject({ name: 'prod', database: 'app' });
    expect(() => normaliseProfileFields({ ...base, port: 70000 })).toThrow(/Port/);
    expect(() => normaliseProfileFields({ ...base, host: 'db host' })).toThrow(/host/);
    expect(() => normaliseProfileFields({ ...base, sslmode: 'verify-full' })).toThrow(/CA certificate/);
    expect(() => normaliseProfileFields({ ...base, sslCert: '/c.crt' })).toThrow(/key/);
  });
});
