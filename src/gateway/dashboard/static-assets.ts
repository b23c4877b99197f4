import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** A file the dashboard serves, read once. */
export interface Asset {
  body: Buffer
  contentType: string
}

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'node-trees.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
}

/**
 * The page's files from `assets/` beside this module; a compiled copy (under `dist/`) reads them
 * from `src/`, which the package ships, since the build copies no assets.
 */
export function loadAssets(): Map<string, Asset> {
  let dir = fileURLToPath(new URL('./assets/', import.meta.url))
  if (!existsSync(dir))
    dir = fileURLToPath(new URL('../../../src/gateway/dashboard/assets/', import.meta.url))
  const assets = new Map<string, Asset>()
  for (const [file, contentType] of Object.entries(FILES)) {
    assets.set(file, { body: readFileSync(dir + file), contentType })
  }
  return assets
}
