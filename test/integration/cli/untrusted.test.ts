import { failAfter, portalOf, start, UntrustedRequestError } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { lines } from '../../fixtures/portal-functions.ts'
import { reapAfterEach } from '../../support/child-nodes.ts'
import { cookieFolder, killAll, troupe, troupeRun } from './support.ts'

const folder = cookieFolder()
const { systems } = reapAfterEach()

afterEach(killAll)
afterAll(() => folder.remove())

describe('troupe run --untrusted', () => {
  it('starts a node that refuses a stop from another node, answers its asks and runs only --allow functions', async () => {
    const node = `guarded@127.0.0.1:${await freePort()}`
    const cli = troupe([
      'run',
      'test/fixtures/cli-actors.ts#Echo',
      '--node',
      node,
      '--name',
      'echo',
      '--cookie-file',
      folder.cookie,
      '--untrusted',
      '--allow',
      'test/fixtures/portal-functions.ts#hi',
    ])
    await cli.waitFor(`echo running at troupe://${node}/user/echo\n`)
    const other = await start({
      node: `other@127.0.0.1:${await freePort()}`,
      cookie: 'cli-test-cookie-0123456789',
      logLevel: 'silent',
    })
    systems.push(other)
    const echo = other.refOf(`troupe://${node}/user/echo`)
    const error = await failAfter(10_000, () => other.stop(echo)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UntrustedRequestError)
    expect(error).toMatchObject({ node, from: other.node, request: 'stop' })
    expect(await failAfter(10_000, () => echo.ask('still here'))).toBe('still here')
    const portal = portalOf(other, echo)
    expect((await failAfter(10_000, () => portal.run(lines.hi))).name).toBe('echo')
    await expect(failAfter(10_000, () => portal.run(lines.divide, [6, 3]))).rejects.toThrow(
      UntrustedRequestError,
    )
    expect(cli.child.exitCode).toBeNull()
  })

  it('takes --allow only with --untrusted, and only a function the module exposes', async () => {
    const base = ['run', 'test/fixtures/cli-actors.ts#Echo', '--name', 'echo', '--cookie-file', folder.cookie]
    const alone = await troupeRun([
      ...base,
      '--node',
      `a@127.0.0.1:${await freePort()}`,
      '--allow',
      'test/fixtures/portal-functions.ts#hi',
    ])
    expect(alone.code, alone.stderr).toBe(2)
    expect(alone.stderr).toContain('give --untrusted too')
    const missing = await troupeRun([
      ...base,
      '--node',
      `b@127.0.0.1:${await freePort()}`,
      '--untrusted',
      '--allow',
      'test/fixtures/portal-functions.ts#nope',
    ])
    expect(missing.code, missing.stderr).toBe(2)
    expect(missing.stderr).toContain("exposes no function 'nope' (its exposed functions: hi, sayHello")
    const malformed = await troupeRun([...base, '--node', 'c@127.0.0.1:1', '--untrusted', '--allow', 'hi'])
    expect(malformed.code, malformed.stderr).toBe(2)
    expect(malformed.stderr).toContain('expected module#function')
  })

  it('documents both options in its help', async () => {
    const help = await troupeRun(['run', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('--untrusted')
    expect(help.stdout).toContain('--allow <module#function>')
  })
})
