import { chmodSync } from 'node:fs'
import { freePort } from 'troupe/testkit'
import { afterEach, describe, expect, test } from 'vitest'
import { cookieFolder, killAll, troupeRun } from './support.ts'

afterEach(killAll)

describe.skipIf(process.platform === 'win32')('troupe --cookie-file', () => {
  test('prints a warning on stderr for a cookie file that others than its owner may read', async () => {
    const folder = cookieFolder()
    try {
      chmodSync(folder.cookie, 0o644)
      const nowhere = `127.0.0.1:${await freePort()}`
      const run = await troupeRun(['ps', '--registry', nowhere, '--cookie-file', folder.cookie])
      expect(run.stderr).toContain(`TroupeWarning: the cookie file ${folder.cookie} is open to others`)
      expect(run.stderr).toContain(`chmod 600 ${folder.cookie}`)
      // The command still says why it failed: nothing listens there.
      expect(run.code).toBe(1)
      expect(run.stderr).toContain('troupe ps:')
    } finally {
      folder.remove()
    }
  })
})
