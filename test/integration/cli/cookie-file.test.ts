import { chmodSync, writeFileSync } from 'node:fs'
import { freePort } from 'troupe/testkit'
import { afterEach, describe, expect, test } from 'vitest'
import { cookieFolder, killAll, troupeRun } from './support.ts'

afterEach(killAll)

describe.skipIf(process.platform === 'win32')('troupe --cookie-file', () => {
  test('refuses a cookie file that others than its owner may read: exit 2, saying how to fix it', async () => {
    const folder = cookieFolder()
    try {
      chmodSync(folder.cookie, 0o644)
      const nowhere = `127.0.0.1:${await freePort()}`
      const run = await troupeRun(['ps', '--registry', nowhere, '--cookie-file', folder.cookie])
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(
        `troupe ps: --cookie-file ${folder.cookie}: invalid option 'cookie': the cookie file`,
      )
      expect(run.stderr).toContain(`is open to others than its owner (mode 0644)`)
      expect(run.stderr).toContain(`chmod 600 ${folder.cookie}`)
    } finally {
      folder.remove()
    }
  })

  test('refuses a cookie shorter than the rule of every node, with the text of the transport options', async () => {
    const folder = cookieFolder()
    try {
      writeFileSync(folder.cookie, 'short-cookie\n')
      const nowhere = `127.0.0.1:${await freePort()}`
      const run = await troupeRun(['ps', '--registry', nowhere, '--cookie-file', folder.cookie])
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(
        `invalid option 'cookie': expected a secret of at least 16 characters shared by the nodes (in ${folder.cookie})`,
      )
    } finally {
      folder.remove()
    }
  })
})
