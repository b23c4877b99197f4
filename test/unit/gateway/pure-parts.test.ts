import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { allowedHostsOf, hostPort, ownOriginsOf } from '../../../src/gateway/security/host-origin.ts'
import { jsonDeeperThan } from '../../../src/gateway/security/json-depth.ts'
import { HttpProblem, problemOf } from '../../../src/gateway/security/problem.ts'
import { generateToken, readOrCreateTokenFile, tokensEqual } from '../../../src/gateway/security/token.ts'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('tokens', () => {
  it('are 32 random bytes in base64url, different each time', () => {
    const a = generateToken()
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(a, 'base64url')).toHaveLength(32)
    expect(generateToken()).not.toBe(a)
  })

  it('compare equal only when equal, whatever their lengths', () => {
    const token = generateToken()
    expect(tokensEqual(token, token)).toBe(true)
    expect(tokensEqual(`${token}x`, token)).toBe(false)
    expect(tokensEqual('', token)).toBe(false)
    expect(tokensEqual(token.slice(0, -1), token)).toBe(false)
  })

  it('a token file is created with mode 0600 once, then read; an open one is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'troupe-token-'))
    dirs.push(dir)
    const file = join(dir, 'token')
    const created = readOrCreateTokenFile(file)
    expect(created.created).toBe(true)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readOrCreateTokenFile(file)).toEqual({ token: created.token, created: false })
    const open = join(dir, 'open')
    writeFileSync(open, 'a-long-enough-token-value\n', { mode: 0o644 })
    expect(() => readOrCreateTokenFile(open)).toThrow(/chmod 600/)
    const short = join(dir, 'short')
    writeFileSync(short, 'abc\n', { mode: 0o600 })
    expect(() => readOrCreateTokenFile(short)).toThrow(/at least 16 characters/)
  })
})

describe('problems', () => {
  it('are RFC 9457 documents: type, title, status, detail, instance', () => {
    const problem = new HttpProblem(409, 'name-taken', 'The name is taken', 'choose another', { 'x-a': 'b' })
    expect(problemOf(problem, '/actors/a')).toEqual({
      type: 'urn:troupe:gateway:name-taken',
      title: 'The name is taken',
      status: 409,
      detail: 'choose another',
      instance: '/actors/a',
    })
    expect(problem.headers).toEqual({ 'x-a': 'b' })
  })
})

describe('the depth check', () => {
  it('counts the nesting of objects and arrays, not brackets in strings', () => {
    expect(jsonDeeperThan('[[[]]]', 3)).toBe(false)
    expect(jsonDeeperThan('[[[[]]]]', 3)).toBe(true)
    expect(jsonDeeperThan('{"a":{"b":{"c":1}}}', 2)).toBe(true)
    expect(jsonDeeperThan('{"a":[1,{"b":2}],"c":{}}', 3)).toBe(false)
    expect(jsonDeeperThan('"[[[[[[[["', 1)).toBe(false)
    expect(jsonDeeperThan('["\\"[[[[[["]', 1)).toBe(false)
    expect(jsonDeeperThan('42', 1)).toBe(false)
  })

  it('reads a megabyte of brackets without recursion', () => {
    expect(jsonDeeperThan('['.repeat(1 << 20), 32)).toBe(true)
  })
})

describe('hosts and origins', () => {
  it('are loopback with the port, the host it listens on, and the extra ones', () => {
    expect([...allowedHostsOf('127.0.0.1', 8080, [])]).toEqual([
      '127.0.0.1:8080',
      'localhost:8080',
      '[::1]:8080',
    ])
    expect(allowedHostsOf('10.0.0.5', 80, ['Gw.Example:80']).has('gw.example:80')).toBe(true)
    expect(allowedHostsOf('10.0.0.5', 80, []).has('10.0.0.5:80')).toBe(true)
    expect(allowedHostsOf('0.0.0.0', 80, []).has('0.0.0.0:80')).toBe(false)
    expect(hostPort('::1', 1)).toBe('[::1]:1')
    expect([...ownOriginsOf(new Set(['localhost:1']))]).toEqual(['http://localhost:1'])
  })
})
